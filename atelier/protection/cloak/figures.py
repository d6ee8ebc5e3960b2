"""The cloak's measured effect, for the help page: read from the evaluation harness's committed
results (bench/cloak_eval.py writes bench/results/cloak_eval.json), so what the site tells artists is
what was last measured, never a number typed by hand."""

import json
from functools import lru_cache

from django.conf import settings

RESULTS = settings.BASE_DIR / "bench" / "results" / "cloak_eval.json"


def _percent(summary: dict, key: str) -> float | None:
    value = summary.get(key, {}).get("mean")
    return None if value is None else 100 * value


@lru_cache(maxsize=1)
def measured_figures() -> dict | None:
    """Means at the evaluated strength, as the help page shows them; None when no results are shipped."""
    try:
        report = json.loads(RESULTS.read_text())
        summary, rows = report["summary"], report["rows"]
    except (OSError, ValueError, KeyError):
        return None
    return {
        "strength": report.get("strength", "default"),
        "images": len({row["image"] for row in rows}),
        "styles": len({(row["image"], row["style"]) for row in rows}) // max(1, len({row["image"] for row in rows})),
        "ssim": summary["ssim"]["mean"],
        "psnr": summary["psnr"]["mean"],
        "max_change": summary["max_change"]["worst"],
        "seconds_per_tile": summary["seconds"]["mean"],
        "mobilenet": _percent(summary, "mobilenet_png"),
        "clip": _percent(summary, "clip_png"),
        "clip_jpeg": _percent(summary, "clip_jpeg75"),
        "clip_resize": _percent(summary, "clip_resize2x"),
        "clip_noise": _percent(summary, "clip_png_noise"),
    }
