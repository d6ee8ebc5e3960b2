"""8-bit RGB pixels for the pixel-reading signals, from whatever mode an upload decodes to.

Pillow's own conversion clips 16-bit and float images to white, so a 16-bit PNG would reach the
classifier as a blank page; those modes are scaled to 0–255 first.
"""

import numpy as np
from PIL import Image

_WIDE_MODES = {"I;16": 65535.0, "I;16L": 65535.0, "I;16B": 65535.0, "I;16N": 65535.0, "I": 65535.0}


def rgb8(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in _WIDE_MODES or image.mode == "F":
        values = np.nan_to_num(np.asarray(image, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        # Float images have no fixed range: 0–1 is the usual one, else their own maximum.
        top = _WIDE_MODES.get(image.mode) or max(float(values.max()) if values.size else 1.0, 1.0)
        scaled = np.clip(values * (255.0 / top), 0, 255).astype(np.uint8)
        return Image.fromarray(scaled).convert("RGB")
    return image.convert("RGB")
