"""Style cloak: a small, bounded perturbation that makes image encoders see the work in a different style.

Method (Glaze-shaped, after Shan et al. 2023, on what runs offline on a CPU):

1. The artist's image is re-rendered in a distant style by a fast style-transfer network (`style_targets`).
2. Per 512² tile, a perturbation δ is optimised so that MobileNetV2 features of x+δ at five blocks move towards
   those of the style target (`attack`). MobileNetV2 stands in for the encoders of generative models, which
   do not ship offline and are too slow to differentiate on this CPU (~19 s per step for the SD VAE).
3. The loss is averaged over random resizes, a 2× down-and-up, blur and noise (`transforms`), so the shift
   survives JPEG and resizing and carries over better to encoders it was not tuned on.
4. Signed-gradient steps with momentum and a cosine-shrinking step size; after every step δ is projected
   into the hard limits: the L∞ cap (8/255 by default), valid pixel values and a PSNR floor. A penalty
   keeps SSIM above a floor.
5. Tiles overlap by 64 px and cross-fade (`tiling`); alpha is carried over unchanged.

Limits, stated plainly: this is a deterrent, not a guarantee. It is measured against the encoder it attacks
and one held-out CLIP encoder (bench/cloak_eval.py), not against the fine-tuning pipelines that mimic styles.
Hönig et al. 2024, "Adversarial Perturbations Cannot Reliably Protect Artists From Generative AI", show that
simple steps such as noisy upscaling remove even Glaze's protection; anyone determined can remove this one.
Measured at the default strength on 8 images × 2 styles (bench/results/cloak_eval.json): SSIM ≥ 0.964,
PSNR ≥ 34.4 dB, L∞ 8/255; the held-out CLIP embedding moves 0.16 of the way to the target (0.14 after JPEG
q75, 0.13 after a 2× resize; noise controls ≤ 0.02), MobileNetV2 0.26 on average, short of the issue's
0.45: with PSNR and SSIM both binding, the low blocks (texture at stride 4) barely move.
Cost grows with the number of tiles: 70–85 s per 512² tile on one thread of this machine's two cores.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch
from PIL import Image

from atelier.protection.cloak.attack import STRENGTHS, Strength, cloak_tile
from atelier.protection.cloak.measures import visibility
from atelier.protection.cloak.mobilenet import limit_threads
from atelier.protection.cloak.style_targets import choose_style, render_style, to_tensor
from atelier.protection.cloak.tiling import blend_into, layout, tile_count

MIN_SIDE = 64


class CloakRefused(ValueError):
    """The image cannot be cloaked; the message is fit to show the artist."""


@dataclass(frozen=True)
class CloakResult:
    image: Image.Image  # same size; RGB, or RGBA with the input's alpha untouched
    style: int  # the built-in style the image was pushed towards
    strength: str
    psnr: float
    ssim: float
    max_change: int  # in 0–255 levels; never above the strength's L∞ cap
    seconds: float
    tiles: int


def check_cloakable(image: Image.Image) -> None:
    """Refuse what the cloak cannot handle, before any work is queued."""
    if getattr(image, "is_animated", False) or getattr(image, "n_frames", 1) > 1:
        raise CloakRefused("Animated images can't be cloaked. Upload a still image to use the cloak.")
    width, height = image.size
    if min(width, height) < MIN_SIDE:
        raise CloakRefused(
            f"This image is too small to cloak ({width}×{height} px); both sides need at least {MIN_SIDE} px."
        )


def estimated_tiles(width: int, height: int) -> int:
    """How many 512² tiles an image of this size takes; the site multiplies it by seconds per tile for an ETA."""
    return tile_count(width, height)


def _split_alpha(image: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if has_alpha:
        rgba = image.convert("RGBA")
        return rgba.convert("RGB"), rgba.getchannel("A")
    return image.convert("RGB"), None


def cloak_image(
    image: Image.Image,
    *,
    strength: str | Strength = "default",
    seed: int = 0,
    style: int | None = None,
    progress: Callable[[float], None] | None = None,
    step_scale: float = 1.0,
) -> CloakResult:
    """Cloak `image` and measure how visible the cloak is.

    `strength` is low, default or high; a `Strength` is accepted too, so tests can run fewer steps.
    Deterministic for the same image, strength, seed and style. `style` defaults to the built-in style
    farthest from the image. `progress(fraction_done)` is called after every optimisation step.
    Raises CloakRefused for animated or tiny images, ValueError for an unknown strength.
    """
    if isinstance(strength, Strength):
        settings = strength
    elif strength in STRENGTHS:
        settings = STRENGTHS[strength]
    else:
        raise ValueError(f"unknown strength {strength!r}; use one of {', '.join(STRENGTHS)}")
    check_cloakable(image)
    started = time.perf_counter()
    limit_threads()
    if step_scale != 1.0:  # fewer steps: less effect, less time (slow machines, the test suite)
        settings = replace(settings, steps=max(1, round(settings.steps * step_scale)))
    rgb, alpha = _split_alpha(image)
    chosen_style = choose_style(rgb) if style is None else style

    source = np.asarray(rgb, dtype=np.uint8)
    output = source.copy()
    tiles = layout(*rgb.size)
    total_steps = len(tiles) * settings.steps
    for index, tile in enumerate(tiles):
        box = (tile.left, tile.top, tile.left + tile.width, tile.top + tile.height)
        crop = rgb.crop(box)
        original = to_tensor(crop)
        target = to_tensor(render_style(crop, chosen_style))
        generator = torch.Generator().manual_seed(seed * 1_000_003 + index)

        def on_step(step: int, done_before: int = index * settings.steps) -> None:
            if progress is not None:
                progress((done_before + step) / total_steps)

        delta = cloak_tile(original, target, settings, generator, on_step)
        blend_into(output, source, tile, delta[0].permute(1, 2, 0).numpy() * 255.0)

    cloaked = Image.fromarray(output)
    if alpha is not None:
        cloaked.putalpha(alpha)
    measured = visibility(source, output)
    return CloakResult(
        image=cloaked,
        style=chosen_style,
        strength=settings.name,
        psnr=measured.psnr,
        ssim=measured.ssim,
        max_change=measured.max_change,
        seconds=time.perf_counter() - started,
        tiles=len(tiles),
    )
