"""Test pictures with four coloured quadrants, so a crop can be read back from rendered pixels."""

import io
from pathlib import Path

from PIL import Image, ImageStat

from tests.media.sample_files import QUADRANT_COLOURS, quadrant_image


def quadrant_png(path: Path, size: tuple[int, int]) -> Path:
    """Write a PNG of `size` whose four quadrants have the colours in QUADRANT_COLOURS."""
    quadrant_image(size).save(path, format="PNG")
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
