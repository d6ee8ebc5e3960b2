"""Test pictures with four coloured quadrants, so a crop can be read back from rendered pixels."""

import io
from pathlib import Path

from PIL import Image, ImageStat

QUADRANT_COLOURS = {
    "top-left": (214, 48, 49),  # red
    "top-right": (39, 174, 96),  # green
    "bottom-left": (41, 98, 255),  # blue
    "bottom-right": (253, 203, 46),  # yellow
}


def quadrant_png(path: Path, size: tuple[int, int]) -> Path:
    """Write a PNG of `size` whose four quadrants have the colours above."""
    width, height = size
    image = Image.new("RGB", size)
    half_w, half_h = width // 2, height // 2
    image.paste(QUADRANT_COLOURS["top-left"], (0, 0, half_w, half_h))
    image.paste(QUADRANT_COLOURS["top-right"], (half_w, 0, width, half_h))
    image.paste(QUADRANT_COLOURS["bottom-left"], (0, half_h, half_w, height))
    image.paste(QUADRANT_COLOURS["bottom-right"], (half_w, half_h, width, height))
    image.save(path, format="PNG")
    return path


def nearest_quadrant(png: bytes, box: tuple[float, float, float, float] = (0.3, 0.3, 0.7, 0.7)) -> tuple[str, float]:
    """The quadrant whose colour is closest to the mean of `box` (fractions) of a screenshot, and the distance."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    left, top, right, bottom = box
    region = image.crop(
        (round(left * image.width), round(top * image.height), round(right * image.width), round(bottom * image.height))
    )
    mean = ImageStat.Stat(region).mean

    def distance(colour):
        return sum((a - b) ** 2 for a, b in zip(mean, colour, strict=True)) ** 0.5

    name = min(QUADRANT_COLOURS, key=lambda quadrant: distance(QUADRANT_COLOURS[quadrant]))
    return name, distance(QUADRANT_COLOURS[name])
