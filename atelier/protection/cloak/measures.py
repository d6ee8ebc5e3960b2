"""How visible a cloak is: PSNR, SSIM and the largest pixel change, measured block by block so a huge image
never needs a whole-image float copy."""

import itertools
import math
from dataclasses import dataclass

import numpy as np
import torch
from pytorch_msssim import ssim

BLOCK = 1024


@dataclass(frozen=True)
class Visibility:
    psnr: float  # dB over RGB; inf when nothing changed
    ssim: float  # pytorch-msssim (11-px Gaussian window) over RGB, area-weighted over blocks
    max_change: int  # largest change of any channel of any pixel, in 0–255 levels


def _spans(length: int) -> list[tuple[int, int]]:
    count = max(1, math.ceil(length / BLOCK))
    edges = [round(index * length / count) for index in range(count + 1)]
    return list(itertools.pairwise(edges))


def _tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(array.astype(np.float32) / 255.0).permute(2, 0, 1).unsqueeze(0)


def visibility(before: np.ndarray, after: np.ndarray) -> Visibility:
    """Compare two uint8 H×W×3 arrays."""
    squared_error = 0.0
    ssim_sum = 0.0
    ssim_area = 0
    max_change = 0
    for top, bottom in _spans(before.shape[0]):
        for left, right in _spans(before.shape[1]):
            a = before[top:bottom, left:right]
            b = after[top:bottom, left:right]
            difference = a.astype(np.int16) - b.astype(np.int16)
            squared_error += float(np.square(difference, dtype=np.float64).sum())
            max_change = max(max_change, int(np.abs(difference).max()))
            if min(a.shape[:2]) >= 11:
                area = a.shape[0] * a.shape[1]
                with torch.no_grad():
                    ssim_sum += float(ssim(_tensor(a), _tensor(b), data_range=1.0)) * area
                ssim_area += area
    mse = squared_error / before.size
    psnr = math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)
    return Visibility(psnr=psnr, ssim=ssim_sum / ssim_area if ssim_area else 1.0, max_change=max_change)
