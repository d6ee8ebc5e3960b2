"""Turning a private original into public renditions: oriented, sRGB, cropped, resized, stripped.

Renditions are re-encoded from decoded pixels and saved with no EXIF, XMP or ICC data, so
GPS positions and camera serial numbers in the original never reach the public.
"""

import io

from PIL import Image, ImageCms, ImageOps

from atelier.media.crops import CropBox

_SRGB_PROFILE = ImageCms.createProfile("sRGB")
# 16-bit greyscale PNGs open as these modes; a plain convert("RGB") clips every value above 255
# (mid-grey becomes white), so they are scaled to 8 bits first.
_WIDE_INTEGER_MODES = {"I;16", "I;16L", "I;16B", "I;16N", "I"}


def _to_eight_bits(image: Image.Image) -> Image.Image:
    wide = image.convert("I") if image.mode != "I" else image
    # 16-bit samples (0..65535) to 8-bit (0..255); "I" images from 16-bit files hold the same range.
    return wide.point(lambda value: value / 257).convert("L")


def open_oriented(file) -> Image.Image:
    """Decode the original, apply its EXIF orientation and convert its colours to sRGB."""
    image = Image.open(file)
    image.load()
    image = ImageOps.exif_transpose(image)
    return to_srgb(image)


def to_srgb(image: Image.Image) -> Image.Image:
    """Convert through the embedded ICC profile when there is one; otherwise assume sRGB."""
    if image.mode in _WIDE_INTEGER_MODES:
        image = _to_eight_bits(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    target_mode = "RGBA" if has_alpha else "RGB"
    icc = image.info.get("icc_profile")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            working = image.convert("RGBA" if has_alpha else "RGB")
            converted = ImageCms.profileToProfile(
                working, source, _SRGB_PROFILE, outputMode=working.mode, renderingIntent=ImageCms.Intent.PERCEPTUAL
            )
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile is ignored rather than failing the upload
    # No copy when the mode already fits: a 48 MP copy is 144 MB of memory for nothing.
    return image if image.mode == target_mode else image.convert(target_mode)


def render_crop(image: Image.Image, crop: CropBox, size: tuple[int, int]) -> Image.Image:
    """Crop to the box and scale down to fit `size`, never up."""
    cropped = image.crop(crop.to_pixels(image.width, image.height))
    # Crops and target heights are both rounded to whole pixels (800 / 3 → 267), so a crop of the
    # target's aspect can be a pixel too tall; allowing that pixel keeps the target width (800, not 799).
    limit = (size[0], size[1] + 1)
    if cropped.width > limit[0] or cropped.height > limit[1]:
        cropped = ImageOps.contain(cropped, limit, method=Image.Resampling.LANCZOS)
    return cropped


def fit_within(image: Image.Image, long_side: int) -> Image.Image:
    """Scale down so the longer side is at most `long_side`, never up."""
    if max(image.size) <= long_side:
        return image.copy()
    return ImageOps.contain(image, (long_side, long_side), method=Image.Resampling.LANCZOS)


def encode_webp(image: Image.Image, *, quality: int = 82) -> bytes:
    """WebP bytes with no metadata at all (no exif, xmp or icc arguments are passed)."""
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=quality, method=4)
    return buffer.getvalue()
