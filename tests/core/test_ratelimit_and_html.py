"""Rate-limit counters in the configured cache, and user Markdown turned into safe HTML."""

import threading
import time
from html.parser import HTMLParser

import pytest
from django.core.cache import cache

from atelier.core.html import render_user_markdown
from atelier.core.ratelimit import RateLimit
from tests.clock import ManualClock

# --- RateLimit: sliding windows on the configured cache (Redis in the production-config run), clock-driven


def test_allows_the_limit_then_refuses(clock):
    limit = RateLimit("test-burst", 3, 3600)
    counts = []
    for _ in range(3):
        assert not limit.is_exceeded("alice")
        counts.append(limit.hit("alice"))
        clock.advance(1)

    assert counts == [1, 2, 3]
    assert limit.is_exceeded("alice")
    assert limit.count("alice") == 3
    assert limit.hit("alice") == 4  # refused: over the limit ...
    assert limit.count("alice") == 3  # ... and not kept, so hammering does not extend the wait


def test_a_burst_across_the_old_window_edge_is_refused(clock):
    """The issue's attack on fixed windows: a full budget just before a clock hour ends and another
    just after it starts. Reproduced against a fixed-hour counter first, then refused."""
    clock.advance(3600 - clock.now() % 3600 - 30)  # 30 s before a clock hour ends
    fixed: dict[int, int] = {}

    def fixed_window_allows() -> bool:  # what the site did before: one counter per clock hour
        hour = int(clock.now()) // 3600
        fixed[hour] = fixed.get(hour, 0) + 1
        return fixed[hour] <= 300

    limit = RateLimit("upload-burst", 300, 3600)
    fixed_allowed = sliding_allowed = 0
    for _ in range(351):  # one every 0.3 s: 351 in under two minutes, across the hour's edge
        fixed_allowed += fixed_window_allows()
        sliding_allowed += limit.check("artist").allowed
        clock.advance(0.3)
    assert fixed_allowed == 351  # the double burst got through before
    assert sliding_allowed == 300  # now: 300 in any hour, edge or not


def test_password_guesses_around_the_quarter_hour_edge_are_refused(clock):
    limit = RateLimit("login-fail-account", 5, 900)
    clock.advance(900 - clock.now() % 900 - 2)  # 2 s before a quarter hour ends
    outcomes = []
    for _ in range(10):
        outcomes.append(limit.check("user:7").allowed)
        clock.advance(0.5)
    assert outcomes == [True] * 5 + [False] * 5


def test_retry_after_is_when_the_oldest_hit_leaves_the_window(clock):
    limit = RateLimit("test-retry", 2, 600)
    assert limit.check("alice").allowed
    clock.advance(100)
    assert limit.check("alice").allowed
    clock.advance(50)

    refused = limit.check("alice")

    assert not refused.allowed and refused.retry_after == 450  # the first hit leaves at 600 s
    assert limit.retry_after("alice") == 450
    clock.advance(449.5)
    assert not limit.check("alice").allowed and limit.retry_after("alice") == 1
    clock.advance(0.5)
    assert limit.check("alice").allowed  # exactly when it said
    assert limit.retry_after("alice") == 100  # now the second hit is the one to wait for
    assert limit.retry_after() == 600  # without a key: the whole window


def test_a_hit_leaves_the_window_exactly_window_seconds_later(clock):
    limit = RateLimit("test-window", 2, 60)
    limit.hit("alice")
    clock.advance(59.999)
    limit.hit("alice")
    assert limit.is_exceeded("alice")
    clock.advance(0.001)
    assert limit.count("alice") == 1 and not limit.is_exceeded("alice")
    clock.advance(60)
    assert limit.count("alice") == 0
    assert limit.hit("alice") == 1


def test_keys_and_names_are_counted_separately(clock):
    per_account = RateLimit("test-account", 2, 3600)
    per_address = RateLimit("test-address", 2, 3600)

    per_account.hit("alice")
    per_account.hit("alice")

    assert per_account.is_exceeded("alice")
    assert not per_account.is_exceeded("bob")
    assert per_account.count("bob") == 0
    assert not per_address.is_exceeded("alice")
    assert per_address.hit("alice") == 1


def test_reset_clears_one_key_only(clock):
    limit = RateLimit("test-reset", 2, 3600)
    for key in ("alice", "bob"):
        limit.hit(key)
        limit.hit(key)

    limit.reset("alice")

    assert limit.count("alice") == 0
    assert not limit.is_exceeded("alice")
    assert limit.is_exceeded("bob")


def test_a_limit_can_be_given_its_own_clock(clock):
    own = ManualClock(start=clock.now() + 10_000)
    limit = RateLimit("test-own-clock", 1, 60, clock=own)
    assert limit.check("alice").allowed
    assert not limit.check("alice").allowed
    clock.advance(3600)  # the configured clock moving does not move this limit's
    assert not limit.check("alice").allowed
    own.advance(60)
    assert limit.check("alice").allowed


def test_counters_live_in_the_shared_cache(clock):
    """Each thread has its own cache connection, as each web process would; they must see one count."""
    limit = RateLimit("test-shared", 5, 3600)
    worker = threading.Thread(target=limit.hit, args=("alice",))
    worker.start()
    worker.join()

    assert limit.count("alice") == 1
    cache.clear()
    assert limit.count("alice") == 0


def test_concurrent_hits_are_all_counted_and_never_past_the_limit(clock):
    limit = RateLimit("test-concurrent", 100, 3600)
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

    allowed = sorted(value for value in results if value <= 100)
    assert allowed == list(range(1, 101))  # every slot given once, to one hit each
    assert len(results) == 160 and all(value == 101 for value in results if value > 100)
    assert limit.count("alice") == 100


def test_keys_with_spaces_and_unicode_work_on_every_backend(clock):
    limit = RateLimit("test-keys", 2, 3600)

    assert limit.hit("2001:db8::1") == 1
    assert limit.hit("someone@example.com") == 1
    assert limit.hit("mira") == 1
    assert limit.hit("zoë") == 1
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
