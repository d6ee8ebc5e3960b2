"""The copies an art thief makes of a work, for bench/theft.py: one function per kind, each drawing
its strength from `rng` within the range the issue names (JPEG q60–90 or WebP, 25–200 %, crops up to
30 %, mirror, ±5°, colour shift, a stamped signature, a screenshot-style frame)."""

import io

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps


def _reencoded(image: Image.Image, fmt: str, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, fmt, quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def reencode(image, rng):
    if rng.random() < 0.5:
        return _reencoded(image, "JPEG", int(rng.integers(60, 91)))
    return _reencoded(image, "WEBP", int(rng.integers(60, 91)))


def resize(image, rng):
    factor = float(rng.choice([rng.uniform(0.25, 0.6), rng.uniform(1.2, 2.0)]))
    size = (max(8, round(image.width * factor)), max(8, round(image.height * factor)))
    return _reencoded(image.resize(size, Image.Resampling.BICUBIC), "JPEG", 85)


def crop(image, rng):
    """Up to 30 % cut off in total across the width and the height, from any sides."""
    cut_w, cut_h = rng.uniform(0.05, 0.30), rng.uniform(0.05, 0.30)
    left = rng.uniform(0, cut_w)
    top = rng.uniform(0, cut_h)
    box = (
        round(image.width * left), round(image.height * top),
        round(image.width * (1 - (cut_w - left))), round(image.height * (1 - (cut_h - top))),
    )  # fmt: skip
    return _reencoded(image.crop(box), "JPEG", 85)


def mirror(image, rng):
    return _reencoded(ImageOps.mirror(image), "JPEG", 85)


def rotate(image, rng):
    """±1–5°, cropped to the largest upright rectangle inside so no black corners give it away."""
    angle = float(rng.uniform(1, 5) * rng.choice([-1, 1]))
    turned = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False)
    radians = np.deg2rad(abs(angle))
    w, h = image.size
    inner_w = w * np.cos(radians) - h * np.sin(radians)
    inner_h = h * np.cos(radians) - w * np.sin(radians)
    scale = max(0.5, min(inner_w / w, inner_h / h))
    cw, ch = round(w * scale), round(h * scale)
    box = ((w - cw) // 2, (h - ch) // 2, (w - cw) // 2 + cw, (h - ch) // 2 + ch)
    return _reencoded(turned.crop(box), "JPEG", 85)


def colour(image, rng):
    shifted = ImageEnhance.Color(image).enhance(float(rng.uniform(0.4, 1.6)))
    shifted = ImageEnhance.Brightness(shifted).enhance(float(rng.uniform(0.8, 1.2)))
    shifted = ImageEnhance.Contrast(shifted).enhance(float(rng.uniform(0.8, 1.2)))
    array = np.asarray(shifted).astype(np.int16)
    array = np.clip(array + rng.integers(-25, 26, size=3), 0, 255).astype(np.uint8)  # a tint
    return _reencoded(Image.fromarray(array), "JPEG", 85)


def stamp(image, rng):
    """A signature or a watermark: text and a box of 5–15 % of the picture, in a corner or across it."""
    stamped = image.copy()
    draw = ImageDraw.Draw(stamped, "RGBA")
    w, h = image.size
    size = max(12, int(min(w, h) * rng.uniform(0.05, 0.12)))
    font = ImageFont.load_default(size=size)
    text = "© " + "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), 8))
    if rng.random() < 0.5:
        x, y = int(w * rng.uniform(0.55, 0.7)), int(h * rng.uniform(0.82, 0.9))
        draw.rectangle((x - 4, y - 4, x + size * 5, y + size + 4), fill=(0, 0, 0, 140))
        draw.text((x, y), text, fill=(255, 255, 255, 255), font=font)
    else:
        draw.text((w * 0.2, h * 0.45), text, fill=(255, 255, 255, 110), font=font)
    return _reencoded(stamped, "JPEG", 85)


def border(image, rng):
    """A screenshot: the work inside a window with a title bar and a grey margin around."""
    w, h = image.size
    pad = int(max(w, h) * rng.uniform(0.04, 0.12))
    bar = int(h * 0.06) + 8
    frame = Image.new("RGB", (w + 2 * pad, h + 2 * pad + bar), tuple(int(v) for v in rng.integers(200, 250, 3)))
    draw = ImageDraw.Draw(frame)
    draw.rectangle((0, 0, frame.width, bar), fill=(40, 40, 48))
    draw.text((10, bar // 4), "image.png — Viewer", fill=(230, 230, 230), font=ImageFont.load_default(size=bar // 2))
    frame.paste(image, (pad, pad + bar))
    return _reencoded(frame, "PNG" if rng.random() < 0.5 else "JPEG", 90)


KINDS = {
    "reencode": reencode, "resize": resize, "crop": crop, "mirror": mirror, "rotate": rotate,
    "colour": colour, "stamp": stamp, "border": border,
}  # fmt: skip
