"""The cloak's measured effect, for the help page: read from the evaluation harness's committed
results (bench/cloak_eval.py writes bench/results/cloak_eval.json), so what the site tells artists is
what was last measured, never a number typed by hand."""

import json
from functools import lru_cache

from django.conf import settings

RESULTS = settings.BASE_DIR / "bench" / "results" / "cloak_eval.json"


@lru_cache(maxsize=1)
def measured_figures() -> dict | None:
    try:
        return json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        return None
