"""Rate-limit counters in the configured cache, and user Markdown turned into safe HTML."""

import threading
import time
from html.parser import HTMLParser

import pytest
from django.core.cache import cache

from atelier.core.html import render_user_markdown
from atelier.core.ratelimit import RateLimit
from tests.conftest import start_of_fresh_window

# --- RateLimit


def test_allows_the_limit_then_refuses():
    limit = RateLimit("test-burst", 3, 3600)
    start_of_fresh_window(limit.window)

    counts = []
    for _ in range(3):
        assert not limit.is_exceeded("alice")
        counts.append(limit.hit("alice"))

    assert counts == [1, 2, 3]
    assert limit.is_exceeded("alice")
    assert limit.count("alice") == 3
    assert limit.hit("alice") == 4
    assert limit.is_exceeded("alice")


def test_a_hit_can_bring_other_cache_entries_with_it():
    limit = RateLimit("page-and-person", 2, 3600)
    start_of_fresh_window(limit.window)
    cache.set("person:7", {"handle": "ana"}, timeout=60)
    assert limit.hit_and_get_many("user:7", ["person:7", "person:8"]) == (1, {"person:7": {"handle": "ana"}})
    assert limit.hit_and_get_many("user:7", []) == (2, {})
    assert limit.hit("user:7") == 3 and limit.is_exceeded("user:7")


def test_keys_and_names_are_counted_separately():
    per_account = RateLimit("test-account", 2, 3600)
    per_address = RateLimit("test-address", 2, 3600)
    start_of_fresh_window(3600)

    per_account.hit("alice")
    per_account.hit("alice")

    assert per_account.is_exceeded("alice")
    assert not per_account.is_exceeded("bob")
    assert per_account.count("bob") == 0
    assert not per_address.is_exceeded("alice")
    assert per_address.hit("alice") == 1


def test_reset_clears_one_key_only():
    limit = RateLimit("test-reset", 2, 3600)
    start_of_fresh_window(3600)
    for key in ("alice", "bob"):
        limit.hit(key)
        limit.hit(key)

    limit.reset("alice")

    assert limit.count("alice") == 0
    assert not limit.is_exceeded("alice")
    assert limit.is_exceeded("bob")


def test_counts_start_again_in_the_next_window():
    limit = RateLimit("test-window", 2, 1)
    start_of_fresh_window(1, margin=0.8)
    limit.hit("alice")
    limit.hit("alice")
    assert limit.is_exceeded("alice")

    time.sleep(1 - (time.time() % 1) + 0.05)

    assert limit.count("alice") == 0
    assert not limit.is_exceeded("alice")
    assert limit.hit("alice") == 1


def test_retry_after_is_the_rest_of_the_window():
    limit = RateLimit("test-retry", 1, 600)

    wait = limit.retry_after()

    expected = 600 - int(time.time()) % 600
    assert 1 <= wait <= 600
    assert abs(wait - expected) <= 1


def test_counters_live_in_the_shared_cache():
    """Each thread has its own cache connection, as each web process would; they must see one count."""
    limit = RateLimit("test-shared", 5, 3600)
    start_of_fresh_window(3600)
    worker = threading.Thread(target=limit.hit, args=("alice",))
    worker.start()
    worker.join()

    assert limit.count("alice") == 1
    cache.clear()
    assert limit.count("alice") == 0


def test_concurrent_hits_are_all_counted():
    limit = RateLimit("test-concurrent", 1000, 3600)
    start_of_fresh_window(3600, margin=5)
    results: list[int] = []
    lock = threading.Lock()

    def hit_many():
        for _ in range(20):
            value = limit.hit("alice")
            with lock:
                results.append(value)

    workers = [threading.Thread(target=hit_many) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert sorted(results) == list(range(1, 161))
    assert limit.count("alice") == 160


def test_keys_with_spaces_and_unicode_work_on_every_backend():
    limit = RateLimit("test-keys", 2, 3600)
    start_of_fresh_window(3600)

    assert limit.hit("2001:db8::1") == 1
    assert limit.hit("someone@example.com") == 1
    assert limit.hit("mira") == 1
    assert limit.count("2001:db8::1") == 1


# --- User Markdown


ALLOWED_TAGS = {"p", "br", "em", "strong", "a", "ul", "ol", "li", "blockquote", "code"}


class Markup(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.links: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend((tag, name, value) for name, value in attrs)
        if tag == "a":
            self.links.append(dict(attrs))


def markup(html: str) -> Markup:
    parser = Markup()
    parser.feed(html)
    parser.close()
    return parser


def assert_safe(html: str) -> Markup:
    parsed = markup(html)
    assert set(parsed.tags) <= ALLOWED_TAGS
    for tag, name, value in parsed.attributes:
        assert (tag, name) in {("a", "href"), ("a", "title"), ("a", "rel")}, (tag, name)
        if name == "href":
            assert value.split(":", 1)[0].lower() in {"http", "https", "mailto"}, value
    return parsed


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
        '<iframe src="https://evil.example"></iframe>',
        "<img src=x onerror=alert(1)>",
        '<a href="https://ok.example" onclick="alert(1)">x</a>',
        "<svg onload=alert(1)>",
        "<style>body{display:none}</style>",
        '<div style="position:fixed">x</div>',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](  javascript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[click](vbscript:msgbox)",
        '[click](https://ok.example "a\\" onmouseover=\\"alert(1)")',
        "![x](https://evil.example/track.png)",
        "<details open ontoggle=alert(1)>",
    ],
)
def test_dangerous_input_never_becomes_markup(text):
    html = render_user_markdown(text)

    parsed = assert_safe(html)
    assert not any(name.startswith("on") for _, name, _ in parsed.attributes)
    assert "javascript:" not in " ".join(str(link.get("href")) for link in parsed.links).lower()
    for tag in ("script", "iframe", "img", "svg", "style", "div", "details"):
        assert f"<{tag}" not in html.lower()


def test_links_get_nofollow_ugc_noopener():
    html = render_user_markdown("My shop: [prints](https://shop.example/prints) and https://mira.example")

    links = assert_safe(html).links
    assert [link["href"] for link in links] == ["https://shop.example/prints", "https://mira.example"]
    for link in links:
        assert {"nofollow", "ugc", "noopener"} <= set(link["rel"].split())
        assert "target" not in link


def test_a_user_supplied_rel_or_target_is_not_kept():
    html = render_user_markdown('<a href="https://x.example" rel="me" target="_blank">x</a>')

    links = assert_safe(html).links
    assert links, "the bare URL is still linkified"
    for link in links:
        assert link["rel"].split() == ["nofollow", "ugc", "noopener", "noreferrer"]
        assert "target" not in link


def test_mailto_links_are_kept():
    links = assert_safe(render_user_markdown("[write to me](mailto:mira@example.com)")).links

    assert links[0]["href"] == "mailto:mira@example.com"


def test_allowed_formatting_is_kept():
    text = "**bold** _soft_ `brush.exe`\n\n- one\n- two\n\n1. first\n\n> a quote\n\nline\nbreak"

    html = render_user_markdown(text)

    parsed = assert_safe(html)
    assert "<strong>bold</strong>" in html
    assert "<em>soft</em>" in html
    assert "<code>brush.exe</code>" in html
    assert "<ul>" in html
    assert "<ol>" in html
    assert "<blockquote>" in html
    assert "<br>" in html
    assert parsed.tags.count("li") == 3


def test_headings_images_and_code_blocks_stay_plain_text():
    html = render_user_markdown("# Big\n\n![alt](https://x.example/a.png)\n\n```\ncode\n```")

    parsed = assert_safe(html)
    assert "h1" not in parsed.tags
    assert "img" not in parsed.tags
    assert "pre" not in parsed.tags
    assert "# Big" in html


def test_text_is_escaped_not_dropped():
    html = render_user_markdown("1 < 2 & 3 > 2 <b>not bold</b>")

    assert "1 &lt; 2 &amp; 3 &gt; 2" in html
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html


@pytest.mark.parametrize("empty", ["", None])
def test_empty_input_gives_empty_output(empty):
    assert render_user_markdown(empty) == ""


@pytest.mark.parametrize(
    "text",
    [
        "word **bold** [link](https://x.example) " * 3000,
        "[" * 30000 + "x",
        "*" * 30000,
        ">" * 30000 + " deep",
        "- " * 30000,
        "<script>" * 10000,
    ],
    ids=["long-mixed", "brackets", "stars", "nested-quotes", "nested-lists", "many-scripts"],
)
def test_very_long_input_is_handled_quickly_and_safely(text):
    started = time.perf_counter()

    html = render_user_markdown(text)

    assert time.perf_counter() - started < 10
    assert_safe(html)
    assert "<script" not in html
