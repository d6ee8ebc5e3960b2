"""Which image formats Atelier accepts, recognised by their content (never by file name)."""

import pillow_heif
from PIL import Image, features

# Pillow format name -> what a person calls it.
ACCEPTED_IMAGE_FORMATS = {
    "JPEG": "JPEG",
    "PNG": "PNG",
    "WEBP": "WebP",
    "GIF": "GIF",
    "AVIF": "AVIF",
    "HEIF": "HEIC/HEIF",
}


def register_extra_openers() -> None:
    """Teach Pillow to read phone photos (HEIC/HEIF) and, where Pillow lacks it, AVIF."""
    pillow_heif.register_heif_opener()
    if not features.check("avif"):
        pillow_heif.register_avif_opener()


def accepted_formats_label() -> str:
    return ", ".join(ACCEPTED_IMAGE_FORMATS.values())


__all__ = ["ACCEPTED_IMAGE_FORMATS", "Image", "accepted_formats_label", "register_extra_openers"]
