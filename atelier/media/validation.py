"""Checking an uploaded image by its content before anything keeps it.

Order matters: size in bytes, then the header (format and pixel count, read without decoding
pixels, so a decompression bomb is refused before it can allocate memory), then a cheap
decode that proves the file is not truncated or corrupt.
"""

import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image

from atelier.media.decoding import DECODER_ERRORS
from atelier.media.image_formats import ACCEPTED_IMAGE_FORMATS, accepted_formats_label


@dataclass(frozen=True)
class ImageFacts:
    format: str
    width: int
    height: int


def inspect_image(upload, *, max_bytes: int, max_pixels: int) -> ImageFacts:
    """Return what the file really is, or raise ValidationError with a message a person understands."""
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError(
            "This file is %(size)s; the limit is %(limit)s.",
            code="too_big",
            params={"size": filesizeformat(size), "limit": filesizeformat(max_bytes)},
        )
    if not size:
        raise ValidationError("This file is empty.", code="empty")
    upload.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(upload)
            facts = ImageFacts(format=image.format or "", width=image.width, height=image.height)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValidationError(
                "This image has too many pixels to process safely (the limit is %(limit)s megapixels).",
                code="too_many_pixels",
                params={"limit": max_pixels // 1_000_000},
            ) from None
        except DECODER_ERRORS:  # DDS's NotImplementedError, AVIF's RuntimeError, ...
            raise ValidationError(
                "This file is not an image we can read. Upload %(formats)s.",
                code="not_an_image",
                params={"formats": accepted_formats_label()},
            ) from None
        if facts.format not in ACCEPTED_IMAGE_FORMATS:
            raise ValidationError(
                "%(format)s images are not supported. Upload %(formats)s.",
                code="unsupported_format",
                params={"format": facts.format or "This kind of", "formats": accepted_formats_label()},
            )
        if facts.width < 1 or facts.height < 1 or facts.width * facts.height > max_pixels:
            raise ValidationError(
                "This image is %(width)s×%(height)s pixels; the limit is %(limit)s megapixels.",
                code="too_many_pixels",
                params={"width": facts.width, "height": facts.height, "limit": max_pixels // 1_000_000},
            )
        _prove_decodable(image)
    upload.seek(0)
    return facts


def _prove_decodable(image: Image.Image) -> None:
    """Decode the pixels (at reduced scale for JPEG) so a truncated or corrupt file is caught now."""
    try:
        if image.format == "JPEG":
            image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
        image.load()
    except DECODER_ERRORS:
        raise ValidationError(
            "This image file is damaged or incomplete; try exporting it again.", code="corrupt"
        ) from None
