"""Driving one avatar/banner editor on /settings/profile/: its Cropper.js box and hidden crop inputs."""

from dataclasses import dataclass

from tests.browser.support import BrowserPage, centre

CROP_PARTS = ("x", "y", "width", "height")


@dataclass
class CropEditor:
    """A profile image editor by default; `post_crop=True` for the composer's thumbnail/cover editors."""

    browser_page: BrowserPage
    kind: str
    post_crop: bool = False

    @property
    def root(self):
        container = "crop-editor" if self.post_crop else "image-editor"
        return self.browser_page.page.locator(f'.{container}[data-kind="{self.kind}"]')

    def _input(self, part: str):
        name = part if self.post_crop else f"{self.kind}_crop_{part}"
        return (
            self.root.locator(f'input[name="{name}"]')
            if self.post_crop
            else self.browser_page.page.locator(f'input[name="{name}"]')
        )

    def crop(self) -> dict[str, float | None]:
        """The hidden inputs the form will post: fractions of the image, or None while blank."""
        values = {}
        for part in CROP_PARTS:
            raw = self._input(part).input_value()
            values[part] = float(raw) if raw else None
        return values

    def wait_until_ready(self) -> dict[str, float]:
        """Wait for Cropper's `ready`, which fills the inputs, and bring the stage to mid-screen."""
        width = self._input("width")
        width.page.wait_for_function("input => input.value !== ''", arg=width.element_handle())
        # Centred, the stage (at most 560 px) clears the sticky header and the sticky save bar.
        self.root.locator(".crop-stage").evaluate("stage => stage.scrollIntoView({block: 'center'})")
        return self.crop()

    def _box(self, selector: str) -> dict:
        box = self.root.locator(selector).bounding_box()
        assert box is not None, f"{selector} of the {self.kind} editor is not displayed"
        return box

    def shrink_from_top_left(self, fraction: float, *, touch: bool) -> None:
        """Drag the north-west handle inwards by `fraction` of the box's size."""
        face = self._box(".cropper-face")
        start = centre(self._box(".cropper-point.point-nw"))
        end = (start[0] + face["width"] * fraction, start[1] + face["height"] * fraction)
        self.browser_page.drag(start, end, touch=touch)

    def shrink_from_bottom_right(self, fraction: float, *, touch: bool) -> None:
        face = self._box(".cropper-face")
        start = centre(self._box(".cropper-point.point-se"))
        end = (start[0] - face["width"] * fraction, start[1] - face["height"] * fraction)
        self.browser_page.drag(start, end, touch=touch)

    def move_to_corner(self, corner: str, *, touch: bool) -> None:
        """Drag the box by its face far towards `corner` ("top", "top-left", "bottom-right"…); Cropper
        stops it at the image's edge."""
        stage = self._box(".cropper-container")
        start = centre(self._box(".cropper-face"))
        x, y = start
        if "left" in corner:
            x = stage["x"] + 2
        if "right" in corner:
            x = stage["x"] + stage["width"] - 2
        if "top" in corner:
            y = stage["y"] + 2
        if "bottom" in corner:
            y = stage["y"] + stage["height"] - 2
        self.browser_page.drag(start, (x, y), touch=touch)
