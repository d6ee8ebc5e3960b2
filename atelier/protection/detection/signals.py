"""Every local detection signal over one original upload, for the detection service to record.

The file is opened once: provenance reads its metadata, then its pixels are decoded once and shared
by the watermark decoder and the classifier. Nothing here raises: a signal that fails (a decompression
bomb, a truncated file, a model that will not load) is that signal's "error" Finding and the others
still run. The remote Hive check is separate (hive.hive_check) because it is optional and slow.
"""

import logging

import numpy as np
from PIL import Image

from atelier.protection.detection import classifier, provenance, stealth, watermark
from atelier.protection.detection.provenance import Finding

logger = logging.getLogger(__name__)
PIXEL_SIGNALS = ("stealth", "watermark", "classifier")


def _pixel_errors(message: str) -> list[Finding]:
    return [Finding(signal, "error", {"error": message[:300]}) for signal in PIXEL_SIGNALS]


def open_bounded(path) -> tuple[Image.Image | None, str]:
    """(decoded first frame, "") or (None, why). Refuses more than Image.MAX_IMAGE_PIXELS before any
    pixel is decoded, so a decompression bomb costs a header read."""
    try:
        image = Image.open(path)
        width, height = image.size
        limit = Image.MAX_IMAGE_PIXELS
        if limit and width * height > limit:
            image.close()
            return None, f"decompression bomb refused: {width}×{height} px is over {limit} px"
        image.load()
        return image, ""
    except Image.DecompressionBombError as error:
        return None, f"decompression bomb refused: {error}"
    except Exception as error:
        return None, f"{type(error).__name__}: {error}"


def run_local_signals(
    path, original_format: str, *, probe: classifier.Probe | None = None, image: Image.Image | None = None
) -> tuple[list[Finding], np.ndarray | None]:
    """(findings of provenance, watermark and classifier, CLIP embedding or None). `image`: the
    original's pixels when the caller has already decoded them (the media step does), to skip a
    second decode; it must be the untouched original, never a rendition."""
    try:
        findings = provenance.read_all(path, original_format)
    except Exception as error:  # each reader catches its own; this guards the list itself
        logger.exception("provenance readers failed on %s", path)
        findings = [Finding("provenance", "error", {"error": f"{type(error).__name__}: {str(error)[:300]}"})]
    owned = image is None
    if owned:
        image, problem = open_bounded(path)
        if image is None:
            return [*findings, *_pixel_errors(problem)], None
    try:
        findings.append(_guarded("stealth", lambda: stealth.read_stealth(image)))
        findings.append(_guarded("watermark", lambda: watermark.read_watermarks(image)))
        classified = _guarded("classifier", lambda: classifier.classify(image, probe=probe))
    finally:
        if owned:
            image.close()
    finding, embedding = classified if isinstance(classified, tuple) else (classified, None)
    return [*findings, finding], embedding


def _guarded(signal: str, call):
    """The signal's own result, or its error: each signal already catches its failures; this is the
    promise that a bug in one never costs the others."""
    try:
        return call()
    except Exception as error:
        logger.exception("%s signal failed", signal)
        return Finding(signal, "error", {"error": f"{type(error).__name__}: {str(error)[:300]}"})
