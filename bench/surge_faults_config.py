"""The configuration bench/surge_faults.py runs: production's, as deploy/env.example and the settings
give it, on this bench's scale-out (two app-server instances, two media worker processes)."""

import math
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEDIA_WORKERS = 2  # the scale-out of issue 19 part 2: two media worker processes
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
# Production's choices this bench takes from deploy/env.example rather than a copy of its own; each
# can still be overridden from the environment (e.g. BACKGROUND_NICENESS=10 for the older run).
# MEDIA_DETECTION_ONE_PASS is not listed there: left unset, the stack takes the settings' default.
FROM_ENV_EXAMPLE = ("CELERY_DEFAULT_CONCURRENCY", "CELERY_DETECTION_CONCURRENCY", "BACKGROUND_NICENESS")
PASSED_THROUGH = ("MEDIA_DETECTION_ONE_PASS",)


def env_example() -> dict[str, str]:
    """deploy/env.example's KEY=VALUE lines (comments and blank lines skipped)."""
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        key, equals, value = line.strip().partition("=")
        if equals and not key.startswith("#"):
            values[key] = value
    return values


def production_pools() -> dict[str, str]:
    """The Celery pool sizes and niceness production ships (deploy/env.example). Its media pool is
    CELERY_MEDIA_CONCURRENCY processes in MEDIA_WORKERS workers; spread over this bench's two media
    workers, each gets its share rounded up, so the two together run at least as many as production."""
    example = env_example()
    production_total = int(example["CELERY_MEDIA_CONCURRENCY"]) * int(example.get("MEDIA_WORKERS") or 1)
    values = {key: example[key] for key in FROM_ENV_EXAMPLE}
    values["CELERY_MEDIA_CONCURRENCY"] = str(max(1, math.ceil(production_total / MEDIA_WORKERS)))
    overrides = {key: os.environ[key] for key in (*values, *PASSED_THROUGH) if os.environ.get(key)}
    return values | overrides
