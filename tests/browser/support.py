"""A Playwright page with what every browser test checks: console errors, CSP violations, overflow,
labelled fields, screenshots per step, and drags made with a mouse or with real touch events."""

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Locator, Page

# Reports from the page to Python through bindings, so they survive navigations. Init scripts and
# bindings are injected over CDP, outside the page's Content-Security-Policy.
_REPORTING_SCRIPT = """
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__atelierCsp(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${where}`);
});
document.addEventListener("pointerdown", (event) => window.__atelierPointer(event.pointerType), true);
"""

# The innermost elements reaching past the right edge, to name the culprit of a sideways scroll.
_WIDEST_ELEMENTS = """
(width) => [...document.body.querySelectorAll("*")]
  .filter((el) => el.getBoundingClientRect().right > width + 0.5)
  .filter((el) => ![...el.children].some((child) => child.getBoundingClientRect().right > width + 0.5))
  .slice(0, 5)
  .map((el) => {
    const name = `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${[...el.classList].join(".")}`;
    return `${name} right=${Math.round(el.getBoundingClientRect().right)}`;
  })
"""

# Interactive roles that must have an accessible name (from a <label>, aria-label or legend).
_NAMED_ROLES = {"textbox", "searchbox", "checkbox", "radio", "combobox", "listbox", "spinbutton", "button", "link"}


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int
    touch: bool

    def context_options(self) -> dict:
        return {
            "viewport": {"width": self.width, "height": self.height},
            "is_mobile": self.touch,
            "has_touch": self.touch,
            "device_scale_factor": 2 if self.touch else 1,
        }


PHONE = Viewport("phone", 390, 844, touch=True)
DESKTOP = Viewport("desktop", 1440, 900, touch=False)


@dataclass
class BrowserPage:
    page: Page
    viewport: Viewport
    artifacts: Path
    console_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    pointer_types: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.console_errors.append(f"uncaught: {error}"))
        self.page.expose_function("__atelierCsp", lambda report: self.csp_violations.append(report))
        self.page.expose_function("__atelierPointer", lambda kind: self.pointer_types.append(kind))
        self.page.add_init_script(_REPORTING_SCRIPT)

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_violations.append(message.text)

    @property
    def origin(self) -> str:
        """scheme://host:port of the live server, for a second visitor's browser context."""
        parts = urlsplit(self.page.url)
        return f"{parts.scheme}://{parts.netloc}"

    def goto(self, path: str) -> None:
        response = self.page.goto(path)
        assert response is not None and response.ok, f"GET {path} answered {response and response.status}"

    def shot(self, step: str) -> Path:
        """Screenshot at test-artifacts/browser/<viewport>/<step>.png: the full page, except while a
        crop editor is open. A full-page capture briefly resizes the window, and Cropper.js answers a
        resize by rescaling its box, which would move the crop the test has just made."""
        path = self.artifacts / f"{step}.png"
        if self.page.locator(".cropper-container").count():
            self.page.screenshot(path=path)
            return path
        # From the top, so sticky bars sit where a reader meets them rather than mid-page.
        scrolled = self.page.evaluate("[window.scrollX, window.scrollY]")
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(path=path, full_page=True)
        self.page.evaluate("([x, y]) => window.scrollTo(x, y)", scrolled)
        return path

    # --- checks every page gets

    def assert_clean_console(self) -> None:
        assert self.csp_violations == [], f"Content-Security-Policy violations: {self.csp_violations}"
        assert self.console_errors == [], f"Console errors: {self.console_errors}"

    def assert_no_horizontal_overflow(self) -> None:
        scroll_width = self.page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > self.viewport.width:
            culprits = self.page.evaluate(_WIDEST_ELEMENTS, self.viewport.width)
            raise AssertionError(
                f"{self.page.url} scrolls sideways at {self.viewport.width}px: scrollWidth is {scroll_width}; "
                f"elements past the edge: {culprits}"
            )

    def assert_controls_named(self) -> None:
        """Every form control, button and link has an accessible name, as computed by Chromium itself."""
        cdp = self.page.context.new_cdp_session(self.page)
        try:
            nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
        finally:
            cdp.detach()
        unnamed = [
            node.get("role", {}).get("value")
            for node in nodes
            if not node.get("ignored")
            and node.get("role", {}).get("value") in _NAMED_ROLES
            and not str(node.get("name", {}).get("value", "")).strip()
        ]
        assert unnamed == [], f"Controls without an accessible name on {self.page.url}: {unnamed}"

    def assert_image_loaded(self, image: Locator) -> None:
        image.scroll_into_view_if_needed()
        image.evaluate(
            "img => img.complete ? null : new Promise(done => img.addEventListener('load', done, {once: true}))"
        )
        assert image.evaluate("img => img.naturalWidth") > 0, f"image did not load: {image}"

    # --- gestures

    def drag(self, start: tuple[float, float], end: tuple[float, float], *, touch: bool, steps: int = 12) -> None:
        """Press at `start`, move to `end` in steps and release: with the mouse, or one finger over CDP."""
        points = [
            (start[0] + (end[0] - start[0]) * i / steps, start[1] + (end[1] - start[1]) * i / steps)
            for i in range(1, steps + 1)
        ]
        if not touch:
            self.page.mouse.move(*start)
            self.page.mouse.down()
            for x, y in points:
                self.page.mouse.move(x, y)
            self.page.mouse.up()
            return
        # page.touchscreen only taps; a drag needs touchStart / touchMove / touchEnd.
        cdp = self.page.context.new_cdp_session(self.page)
        try:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [_touch_point(*start)]})
            for x, y in points:
                cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [_touch_point(x, y)]})
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        finally:
            cdp.detach()


def _touch_point(x: float, y: float) -> dict:
    return {"x": x, "y": y, "radiusX": 4, "radiusY": 4, "force": 1, "id": 1}


def centre(box: dict) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def open_page(chromium, base_url: str, viewport: Viewport, artifacts: Path, *, timeout_ms: int = 10_000) -> BrowserPage:
    """A fresh browser context at `viewport`, for journeys where several people act in turn."""
    context = chromium.new_context(base_url=base_url, color_scheme="light", **viewport.context_options())
    context.set_default_timeout(timeout_ms)
    return BrowserPage(page=context.new_page(), viewport=viewport, artifacts=artifacts)
