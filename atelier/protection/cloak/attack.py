"""The per-tile optimisation: move MobileNetV2 features towards the style target inside a perceptual budget."""

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from pytorch_msssim import ssim

from atelier.protection.cloak.mobilenet import feature_extractor
from atelier.protection.cloak.transforms import VIEWS, View, degrade


@dataclass(frozen=True)
class Strength:
    """One trade between visibility and effect. Budgets are in [0, 1] pixel units."""

    name: str
    linf: float  # hard per-pixel cap
    psnr_floor: float  # enforced by scaling the perturbation down (an L2 ball)
    ssim_floor: float  # below it the loss pays a penalty
    steps: int
    first_step: float  # signed-step size at the start, as a fraction of `linf`; it shrinks on a cosine
    views_per_step: int = 2


STRENGTHS = {
    "low": Strength("low", linf=4 / 255, psnr_floor=39.0, ssim_floor=0.985, steps=100, first_step=0.25),
    "default": Strength("default", linf=8 / 255, psnr_floor=34.5, ssim_floor=0.965, steps=160, first_step=0.25),
    "high": Strength("high", linf=12 / 255, psnr_floor=31.0, ssim_floor=0.93, steps=200, first_step=0.25),
}

# Blocks are weighted equally after each is scaled by its starting distance, so no block dominates by size.
BLOCK_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 1.0)
SSIM_PENALTY = 50.0
MOMENTUM = 0.9  # accumulated gradient direction (Dong et al. 2018): steadier steps that transfer better
SSIM_WINDOW_MIN = 11  # pytorch-msssim's Gaussian window needs both sides at least this long


def _features(image: torch.Tensor) -> list[torch.Tensor]:
    return feature_extractor()(image)


@dataclass
class _ViewTarget:
    view: View
    target: list[torch.Tensor]
    start_distance: list[float]


def _prepare_targets(original: torch.Tensor, target: torch.Tensor) -> list[_ViewTarget]:
    prepared = []
    with torch.no_grad():
        for view in VIEWS:
            target_features = _features(view.apply(target))
            own_features = _features(view.apply(original))
            start = [
                max(float((a - b).pow(2).mean()), 1e-8) for a, b in zip(own_features, target_features, strict=True)
            ]
            prepared.append(_ViewTarget(view, target_features, start))
    return prepared


def feature_loss(image: torch.Tensor, view_target: "_ViewTarget") -> torch.Tensor:
    """Mean over blocks of the squared feature distance to the target, relative to where the original started."""
    features = _features(image)
    total = image.new_zeros(())
    for weight, mine, theirs, start in zip(
        BLOCK_WEIGHTS, features, view_target.target, view_target.start_distance, strict=True
    ):
        total = total + weight * (mine - theirs).pow(2).mean() / start
    return total / sum(BLOCK_WEIGHTS)


def _step_size(strength: Strength, step: int) -> float:
    """Cosine decay from `first_step`·L∞ to 2 % of that: big moves early, fine placement late."""
    start = strength.first_step * strength.linf
    end = start * 0.02
    return end + 0.5 * (start - end) * (1 + math.cos(math.pi * step / max(1, strength.steps - 1)))


def _project(delta: torch.Tensor, original: torch.Tensor, strength: Strength) -> torch.Tensor:
    """Back inside every hard limit: the L∞ box, valid pixel values, and the PSNR floor (an L2 ball)."""
    delta = delta.clamp(-strength.linf, strength.linf)
    delta = (original + delta).clamp(0.0, 1.0) - original
    allowed_rms = 10 ** (-strength.psnr_floor / 20)
    rms = float(delta.pow(2).mean().sqrt())
    if rms > allowed_rms:
        delta = delta * (allowed_rms / rms)
    return delta


def cloak_tile(
    original: torch.Tensor,
    target: torch.Tensor,
    strength: Strength,
    generator: torch.Generator,
    on_step: Callable[[int], None] | None = None,
) -> torch.Tensor:
    """The perturbation (1×3×H×W, same units as the image) for one tile of at most 512².

    Signed-gradient descent with momentum on the feature loss averaged over random views, plus a penalty once
    SSIM against the original falls under the floor.
    """
    views = _prepare_targets(original, target)
    use_ssim = min(original.shape[-2:]) >= SSIM_WINDOW_MIN
    delta = torch.zeros_like(original)
    velocity = torch.zeros_like(original)
    for step in range(strength.steps):
        delta.requires_grad_(True)
        cloaked = original + delta
        loss = cloaked.new_zeros(())
        chosen = torch.randperm(len(views), generator=generator)[: strength.views_per_step]
        for index in chosen.tolist():
            view_target = views[index]
            seen = degrade(view_target.view.apply(cloaked), generator)
            loss = loss + feature_loss(seen, view_target) / len(chosen)
        if use_ssim:
            similarity = ssim(cloaked, original, data_range=1.0, size_average=True)
            loss = loss + SSIM_PENALTY * F.relu(strength.ssim_floor - similarity)
        (gradient,) = torch.autograd.grad(loss, delta)
        with torch.no_grad():
            velocity = MOMENTUM * velocity + gradient / gradient.abs().mean().clamp_min(1e-12)
            delta = delta.detach() - _step_size(strength, step) * velocity.sign()
            delta = _project(delta, original, strength)
        if on_step is not None:
            on_step(step + 1)
    return delta.detach()
