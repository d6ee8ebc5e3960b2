"""Normalised crop rectangles: fractions of the (orientation-corrected) image, so one rectangle
fits the original, any preview of it and every rendition, whatever their pixel sizes."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class CropBox:
    x: float
    y: float
    width: float
    height: float

    @classmethod
    def from_values(cls, x, y, width, height) -> "CropBox":
        try:
            box = cls(float(x), float(y), float(width), float(height))
        except (TypeError, ValueError, OverflowError):  # OverflowError: an integer past float's range
            raise ValidationError("The crop must be four numbers.", code="crop_invalid") from None
        box.validate()
        return box

    def validate(self) -> None:
        values = (self.x, self.y, self.width, self.height)
        if any(v != v for v in values):  # NaN
            raise ValidationError("The crop must be four numbers.", code="crop_invalid")
        if not (0 <= self.x < 1 and 0 <= self.y < 1 and 0 < self.width <= 1 and 0 < self.height <= 1):
            raise ValidationError("The crop must lie inside the image.", code="crop_outside")
        if self.x + self.width > 1.0001 or self.y + self.height > 1.0001:
            raise ValidationError("The crop must lie inside the image.", code="crop_outside")

    def as_dict(self) -> dict:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}

    def to_pixels(self, image_width: int, image_height: int) -> tuple[int, int, int, int]:
        """Pixel box (left, top, right, bottom) in an image of the given size."""
        # At least one pixel, even for a sliver at the far edge (x < 1 may still round to the width).
        left = min(round(self.x * image_width), image_width - 1)
        top = min(round(self.y * image_height), image_height - 1)
        right = min(image_width, max(left + 1, round((self.x + self.width) * image_width)))
        bottom = min(image_height, max(top + 1, round((self.y + self.height) * image_height)))
        return left, top, right, bottom


def centred_crop(image_width: int, image_height: int, aspect: float) -> CropBox:
    """The largest box of the given aspect (width / height) centred in the image: the default crop."""
    image_aspect = image_width / image_height
    if image_aspect > aspect:
        width = aspect / image_aspect
        return CropBox(x=(1 - width) / 2, y=0.0, width=width, height=1.0)
    height = image_aspect / aspect
    return CropBox(x=0.0, y=(1 - height) / 2, width=1.0, height=height)
