"""Random transforms the perturbation must survive (expectation over transformation, Athalye et al. 2018).

A perturbation tuned for the exact pixels dies in the first JPEG save or resize. Optimising the average loss
over resizes, blur and noise pushes it towards lower frequencies that survive those steps, and that is also
what carries it over to other encoders (a CLIP encoder sees the image at 224 px).
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class View:
    """A geometric view of the tile: resized by `scale`, or (with `down_up`) down by `scale` and back up."""

    scale: float
    down_up: bool = False

    def size(self, height: int, width: int) -> tuple[int, int]:
        if self.down_up:
            return height, width
        return max(32, round(height * self.scale)), max(32, round(width * self.scale))

    def apply(self, image: torch.Tensor) -> torch.Tensor:
        height, width = image.shape[-2:]
        if self.down_up:
            small = (max(16, round(height * self.scale)), max(16, round(width * self.scale)))
            shrunk = F.interpolate(image, size=small, mode="bilinear", antialias=True, align_corners=False)
            return F.interpolate(shrunk, size=(height, width), mode="bilinear", align_corners=False)
        if self.scale == 1.0:
            return image
        return F.interpolate(image, size=self.size(height, width), mode="bilinear", antialias=True, align_corners=False)


# Full size (what a scraper keeps), a 2× down-and-up (a resize round trip), and the scales a fine-tuning
# pipeline or a CLIP encoder works at (~0.44 of a 512 tile is 224 px).
VIEWS = (View(1.0), View(0.5, down_up=True), View(0.75), View(0.44))


def gaussian_blur(image: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur; stands in for the high-frequency loss of JPEG and resampling."""
    if sigma <= 0.05:
        return image
    radius = max(1, round(sigma * 2.5))
    offsets = torch.arange(-radius, radius + 1, dtype=image.dtype)
    kernel = torch.exp(-(offsets**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    channels = image.shape[1]
    padded = F.pad(image, (radius, radius, radius, radius), mode="replicate")
    horizontal = kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1)
    vertical = kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1)
    return F.conv2d(F.conv2d(padded, horizontal, groups=channels), vertical, groups=channels)


def degrade(image: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A random mild degradation: blur with σ up to 1 px, then noise up to 3/255, like a JPEG q75 round trip."""
    sigma = float(torch.rand((), generator=generator)) * 1.0
    noise_level = float(torch.rand((), generator=generator)) * 3.0 / 255.0
    blurred = gaussian_blur(image, sigma)
    noise = torch.randn(image.shape, generator=generator, dtype=image.dtype) * noise_level
    return (blurred + noise).clamp(0.0, 1.0)
