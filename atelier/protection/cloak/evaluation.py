"""Measuring what a cloak does: progress towards the style target, and what a scraper's handling does to it.

Shared by bench/cloak_eval.py and the tests, so both judge the engine by the same yardstick.
Progress P = 1 − d(E(x′), E(t)) / d(E(x), E(t)): 0 means no move towards the target t, 1 means x′ looks like t
to the encoder E, and negative means it moved away.
"""

import io

import numpy as np
import torch
from PIL import Image

from atelier.protection.cloak.mobilenet import feature_extractor
from atelier.protection.cloak.style_targets import to_tensor


def mobilenet_embedding(image: Image.Image) -> list[torch.Tensor]:
    with torch.no_grad():
        return feature_extractor()(to_tensor(image))


def block_distances(a: list[torch.Tensor], b: list[torch.Tensor]) -> list[float]:
    return [float((x - y).pow(2).mean().sqrt()) for x, y in zip(a, b, strict=True)]


def mobilenet_progress(original: list[torch.Tensor], cloaked: list[torch.Tensor], target: list[torch.Tensor]) -> float:
    """Progress in MobileNetV2: the mean over the five tapped blocks of each block's progress.

    Each block counts equally, as in the cloak's loss; a pooled distance would let whichever block has the
    largest activations decide. `per_block_progress` gives the five figures behind the mean.
    """
    per_block = per_block_progress(original, cloaked, target)
    return sum(per_block) / len(per_block)


def per_block_progress(
    original: list[torch.Tensor], cloaked: list[torch.Tensor], target: list[torch.Tensor]
) -> list[float]:
    before = block_distances(original, target)
    after = block_distances(cloaked, target)
    return [progress(moved, start) for moved, start in zip(after, before, strict=True)]


def progress(after: float, before: float) -> float:
    return 1.0 - after / before if before > 0 else 0.0


def jpeg_round_trip(image: Image.Image, quality: int = 75) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def resize_round_trip(image: Image.Image, factor: int = 2) -> Image.Image:
    """Down by `factor` and back up, as a scraper's thumbnailer and an upscaler would."""
    width, height = image.size
    small = image.resize((max(1, width // factor), max(1, height // factor)), Image.Resampling.LANCZOS)
    return small.resize((width, height), Image.Resampling.BICUBIC)


def noise_control(image: Image.Image, max_change: int, seed: int = 0) -> Image.Image:
    """The same L∞ budget spent on random ±max_change levels: what a cloak must beat to count as targeted."""
    array = np.asarray(image.convert("RGB"), dtype=np.int16)
    signs = np.random.default_rng(seed).choice(np.array([-1, 1], dtype=np.int16), size=array.shape)
    return Image.fromarray(np.clip(array + signs * max_change, 0, 255).astype(np.uint8))
