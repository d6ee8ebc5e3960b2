"""The browser clients of bench/scrapers.py: Debian's Chromium through Playwright against the stack.

- headless Chromium, with and without the HeadlessChrome token: what it gets before it runs the
  check (images asked for directly, as a scraper's queue would), and what it gets once its script
  solved the puzzle (a headless browser is a browser: the check costs it a puzzle, no more);
- a reader: a feed scrolled 10 pages, then 24 post pages with their pictures;
- an artist (a demo account) signing in, uploading 20 images in the composer and cropping.

Each counts the refusals (403, 429) it met after its one check page, the passes it earned, and
how long from asking for the page that got the check to posting the puzzle's answer (the page,
its script and the solving).
"""

import io
import random
import re
import tempfile
import time
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-dev-shm-usage"]
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
DEMO_ARTIST, DEMO_PASSWORD = "ines_ortega", "atelier-demo-2026"


class Watch:
    """Responses and check timings of one browser context."""

    def __init__(self, page):
        self.refusals: list[tuple[int, str]] = []
        self.check_pages = 0
        self.passes = 0
        self.solve_seconds: list[float] = []
        self._check_at = None
        page.on("response", self._response)
        page.on("request", self._request)

    def _response(self, response):
        if response.request.resource_type == "document" and response.status == 403 and "/.shield/" not in response.url:
            self.check_pages += 1  # the check page (a document refused for want of a pass)
            return
        if response.status in (403, 429):
            self.refusals.append((response.status, response.url.split("?")[0][-80:]))

    def _request(self, request):
        if request.is_navigation_request() and request.method == "GET":
            self._check_at = time.perf_counter()
        elif request.url.endswith("/.shield/pass") and request.method == "POST":
            self.passes += 1
            if self._check_at is not None:  # from asking for the page to answering its puzzle
                self.solve_seconds.append(round(time.perf_counter() - self._check_at, 3))

    def summary(self) -> dict:
        return {
            "check_pages": self.check_pages,
            "puzzles_solved": self.passes,
            "solve_seconds": self.solve_seconds,
            "refusals": len(self.refusals),
            "refused": self.refusals[:10],
        }


def _launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)


def headless_clients(edge: str, pages: list[str], images: list[str]) -> list[dict]:
    rows = []
    with sync_playwright() as playwright:
        browser = _launch(playwright)
        for name, agent in (("headless-chromium", None), ("headless-chromium-no-token", CHROME)):
            context = browser.new_context(base_url=edge, **({"user_agent": agent} if agent else {}))
            page = context.new_page()
            user_agent = page.evaluate("navigator.userAgent")
            # As a scraper's queue: files first, straight away, no page run.
            before = sum(context.request.get(path).status == 200 for path in images)
            pages_before = 0
            for path in pages:
                answer = context.request.get(path, max_redirects=0)
                pages_before += answer.status == 200 and "check-form" not in answer.text()
            watch = Watch(page)
            page.goto(pages[1])
            page.wait_for_url(re.compile(r".*/feed/discover/$"))
            page.wait_for_selector("a[href^='/posts/']", timeout=30_000)
            after_pages = sum(page.goto(path).status == 200 for path in pages)
            after_images = sum(context.request.get(path).status == 200 for path in images)
            rows.append(
                {
                    "client": name,
                    "user_agent": user_agent,
                    "requests": len(pages) + len(images),
                    "pages": pages_before,
                    "images": before,
                    "solved_puzzle": watch.passes > 0,
                    "after_solving": {"pages": after_pages, "images": after_images, **watch.summary()},
                }
            )
            context.close()
        browser.close()
    return rows


def real_reader(edge: str, feed: str) -> dict:
    with sync_playwright() as playwright:
        browser = _launch(playwright)
        context = browser.new_context(base_url=edge, user_agent=CHROME, viewport={"width": 1440, "height": 900})
        page = context.new_page()
        watch = Watch(page)
        page.goto(feed)
        page.wait_for_selector("a[href^='/posts/']", timeout=30_000)
        pages_loaded = 1
        for _ in range(9):
            before = page.locator("a[href^='/posts/']").count()
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            try:
                page.wait_for_function(
                    "n => document.querySelectorAll(\"a[href^='/posts/']\").length > n", arg=before, timeout=15_000
                )
                pages_loaded += 1
            except Exception:
                break
        posts = list(dict.fromkeys(page.eval_on_selector_all("a[href^='/posts/']", "as => as.map(a => a.pathname)")))
        opened = images_loaded = 0
        for path in posts[:24]:
            page.goto(path)
            page.wait_for_load_state("load")
            opened += 1
            images_loaded += page.evaluate("[...document.images].filter(i => i.complete && i.naturalWidth).length")
        context.close()
        browser.close()
    return {
        "feed_pages": pages_loaded,
        "posts_opened": opened,
        "images_shown_on_posts": images_loaded,
    } | watch.summary()


def _pictures(folder: Path, count: int) -> list[str]:
    paths = []
    rng = random.Random(7)  # noqa: S311 - repeatable pictures
    for number in range(count):
        picture = Image.new("RGB", (1200, 900), tuple(rng.randrange(256) for _ in range(3)))
        for _ in range(6):
            x, y = rng.randrange(1100), rng.randrange(800)
            picture.paste(tuple(rng.randrange(256) for _ in range(3)), (x, y, x + 100, y + 100))
        buffer = io.BytesIO()
        picture.save(buffer, "PNG")
        path = folder / f"study-{number:02}.png"
        path.write_bytes(buffer.getvalue())
        paths.append(str(path))
    return paths


def artist_session(edge: str, env: dict, count: int = 20) -> dict:
    started = time.perf_counter()
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as folder:
        browser = _launch(playwright)
        context = browser.new_context(base_url=edge, user_agent=CHROME, viewport={"width": 1440, "height": 900})
        context.set_default_timeout(30_000)
        page = context.new_page()
        watch = Watch(page)
        page.goto("/accounts/login/")
        page.get_by_label("Email or handle").fill(DEMO_ARTIST)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_selector("a[href^='/posts/'], .feed", timeout=60_000)
        page.goto(f"/@{DEMO_ARTIST}")
        page.get_by_role("button", name="New post").first.click()
        page.wait_for_url(re.compile(r"/posts/\d+/edit$"))
        page.get_by_label("Add files").set_input_files(_pictures(Path(folder), count))
        page.wait_for_function(
            "n => document.querySelectorAll('.media-item.state-ready').length >= n", arg=count, timeout=600_000
        )
        crops = 0
        for kind in ("thumbnail", "cover"):
            editor = page.locator(f'.crop-editor[data-kind="{kind}"]')
            editor.locator(".crop-item-select").select_option(index=3)
            page.wait_for_function(
                "e => e.querySelector('input[name=width]').value !== ''", arg=editor.element_handle(), timeout=60_000
            )
            with page.expect_navigation():
                editor.get_by_role("button", name=f"Save {kind} crop").click()
            crops += 1
        ready = page.locator(".media-item.state-ready").count()
        thumbnails = page.evaluate(
            "[...document.querySelectorAll('.media-thumb img')].filter(i => i.naturalWidth).length"
        )
        context.close()
        browser.close()
    return {
        "uploaded": count,
        "ready": ready,
        "thumbnails_loaded": thumbnails,  # lazy: those scrolled into view
        "crops_saved": crops,
        "seconds": round(time.perf_counter() - started, 1),
    } | watch.summary()


def js_hash_rate(edge: str, hashes: int = 1 << 18) -> dict:
    """The check's own solver loop (js-sha256, as shield_check.js runs it) in Chromium, without the
    page around it: seconds per 2^16 hashes, the average work of a 16-bit puzzle."""
    with sync_playwright() as playwright:
        browser = _launch(playwright)
        page = browser.new_page()
        page.goto(edge + "/robots.txt")
        page.add_script_tag(url=edge + "/static/vendor/js-sha256/sha256.min.js")
        seconds = page.evaluate(
            """n => { const t = performance.now(); let z = 0;
                 for (let i = 0; i < n; i++) { if (sha256.array("bench-token:" + i)[0] === 0) z++; }
                 return (performance.now() - t) / 1000; }""",
            hashes,
        )
        browser.close()
    return {
        "hashes": hashes,
        "seconds": round(seconds, 3),
        "seconds_per_16_bit_puzzle": round(seconds * 65536 / hashes, 3),
    }
