"""Every local detection signal over one original upload, for the detection service to record.

The file is opened once: provenance reads its metadata, then its pixels are decoded once and shared
by the stealth reader, the watermark decoder and the classifier. Where the media step has already
decoded the same pixels in the same task (detection.one_pass), they are used instead (`decoded`).

A JPEG with 4:2:0 chroma subsampling is decoded at the size the classifier needs (libjpeg's DCT
scaling, `Image.draft`: a 12-MP photo in about a quarter of the time): both pixel marks live in what
such a file has lost. The SD marks sit in the colour channel's fine detail, which 4:2:0 halves (the
bench's marked files re-saved at 4:2:0: 0 caught, at 4:4:4 most), and stealth metadata needs
lossless pixels. Any other file is decoded at full size. Nothing here raises: a signal that fails (a decompression
bomb, a truncated file, a model that will not load) is that signal's "error" Finding and the others
still run. The remote Hive check is separate (hive.hive_check) because it is optional and slow.
"""

import logging

import numpy as np
from PIL import Image, JpegImagePlugin

from atelier.media import decoding
from atelier.protection.detection import classifier, provenance, stealth, watermark
from atelier.protection.detection.provenance import Finding

logger = logging.getLogger(__name__)
PIXEL_SIGNALS = ("stealth", "watermark", "classifier")


def _pixel_errors(message: str) -> list[Finding]:
    return [Finding(signal, "error", {"error": message[:300]}) for signal in PIXEL_SIGNALS]


def open_bounded(path) -> tuple[Image.Image | None, str]:
    """(decoded first frame, "") or (None, why). Refuses more than Image.MAX_IMAGE_PIXELS before any
    pixel is decoded, so a decompression bomb costs a header read."""
    decoded, problem = _decoded(path, None)
    return (decoded.image if decoded else None), problem


SUBSAMPLING_420 = 2  # JpegImagePlugin.get_sampling: 0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0
LOSSY_SKIP = "a 4:2:0 JPEG cannot keep it: decoded at the classifier's size instead"


def jpeg_box_for_signals(image: Image.Image) -> tuple[int, int] | None:
    """The DCT-scaling box for a large 4:2:0 JPEG (no less than twice the classifier's input on the
    short side), None for any other file: the pixel marks need every stored pixel."""
    width, height = image.size
    side = 2 * classifier.SIZE
    if (
        image.format != "JPEG"
        or JpegImagePlugin.get_sampling(image) != SUBSAMPLING_420
        or min(width, height) < 2 * side
    ):
        return None
    scale = min(width, height) / side
    return int(width / scale) + 1, int(height / scale) + 1


def _decoded(path, jpeg_box) -> tuple[decoding.DecodedOriginal | None, str]:
    try:
        return decoding.decode_original(path, jpeg_box=jpeg_box), ""
    except decoding.DecodeRefused as error:
        return None, str(error)
    except Image.DecompressionBombError as error:
        return None, f"decompression bomb refused: {error}"
    except Exception as error:
        return None, f"{type(error).__name__}: {error}"


def open_for_signals(path) -> tuple[Image.Image | None, str, bool]:
    """(decoded image, "", reduced) or (None, why, False): like `open_bounded`, but a 4:2:0 JPEG is
    decoded reduced by DCT scaling to no less than twice the classifier's input (`reduced` True)."""
    decoded, problem = _decoded(path, jpeg_box_for_signals)
    return (decoded.image, "", decoded.reduced) if decoded else (None, problem, False)


def shares_decode(decoded: decoding.DecodedOriginal) -> bool:
    """Whether pixels another step decoded are exactly what this step would decode itself: a full
    decode of a file that is not a large 4:2:0 JPEG (that one is read DCT-scaled, in a fraction of a
    full decode). Verdicts never depend on which step decoded the pixels."""
    return not decoded.reduced and jpeg_box_for_signals(decoded.image) is None


def run_local_signals(
    path,
    original_format: str,
    *,
    probe: classifier.Probe | None = None,
    image: Image.Image | None = None,
    decoded: decoding.DecodedOriginal | None = None,
) -> tuple[list[Finding], np.ndarray | None]:
    """(findings of provenance, watermark and classifier, CLIP embedding or None). `image`: the
    original's untouched pixels when the caller has already decoded them, to skip a second decode
    (never a rendition). `decoded`: the decode the media step made of this original in the same
    task, used when `shares_decode` says it is what this step would decode (a PNG, a WebP…)."""
    try:
        findings = provenance.read_all(path, original_format)
    except Exception as error:  # each reader catches its own; this guards the list itself
        logger.exception("provenance readers failed on %s", path)
        findings = [Finding("provenance", "error", {"error": f"{type(error).__name__}: {str(error)[:300]}"})]
    if image is None and decoded is not None and shares_decode(decoded):
        image = decoded.image
    owned, reduced = image is None, False
    if owned:
        image, problem, reduced = open_for_signals(path)
        if image is None:
            return [*findings, *_pixel_errors(problem)], None
    try:
        if reduced:
            findings += [Finding(signal, "clear", {"skipped": LOSSY_SKIP}) for signal in ("stealth", "watermark")]
        else:
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
