"""Fixtures every test may use: users with profiles, real image files made in code, a clean cache."""

import contextlib
import io
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from PIL import Image

from atelier.accounts.models import AccountType, User
from atelier.posts.events import post_became_public
from atelier.posts.models import Post, PostState, Tag, discover_base_for
from tests.clock import ManualClock

TEST_PASSWORD = "a-long-test-password-42"


# bin/test runs the suite in two halves at once, named by ATELIER_TEST_HALF (unset: one run of
# everything). Most tests run in both, since the backends differ under them; the markers in
# pyproject.toml say which run once. A test that touches no backend gives the same answer twice: the
# first half only. The end-to-end tests (nginx, the object store, the API fuzzer) drive code whose
# backend-specific parts the other tests cover on both: the second half, where the site is deployed.
# Browser journeys run once per width: on a phone on the embedded default, as bin/serve serves it,
# and on a desktop on PostgreSQL + Redis; that also splits the slowest tests between the two cores.
# Without a second half (no servers, locally) nothing is left out: the first half is the only run.
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


def _phone_journey(item) -> bool:
    viewport = getattr(getattr(item, "callspec", None), "params", {}).get("viewport")
    return item.get_closest_marker("browser") is not None and getattr(viewport, "name", None) == "phone"


def _runs_in_half(item, half: str) -> bool:
    if item.get_closest_marker("end_to_end") is not None:
        return half == "production"
    if item.get_closest_marker("embedded_too") is not None:
        return True
    if half == "embedded":
        return item.get_closest_marker("browser") is None or _phone_journey(item)
    if half == "production":
        return item.get_closest_marker("backend_free") is None and not _phone_journey(item)
    raise pytest.UsageError(f"ATELIER_TEST_HALF={half!r}: expected 'embedded' or 'production'.")


def pytest_collection_modifyitems(config, items):
    for item in items:
        uses_database = set(item.fixturenames) & DATABASE_FIXTURES or item.get_closest_marker("django_db")
        if item.get_closest_marker("backend_free") and uses_database:
            raise pytest.UsageError(f"{item.nodeid} is marked backend_free but uses the database.")
    half = os.environ.get("ATELIER_TEST_HALF", "")
    if not half:
        return
    kept = [item for item in items if _runs_in_half(item, half)]
    deselected = [item for item in items if not _runs_in_half(item, half)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.fixture
def clock(settings):
    """The clock rate limits read (settings.RATE_LIMIT_CLOCK), moved by the test: windows are crossed
    with `clock.advance(seconds)`, never slept out."""
    manual = ManualClock()
    settings.RATE_LIMIT_CLOCK = manual
    return manual


@pytest.fixture(autouse=True)
def _clean_cache():
    """Rate-limit counters live in the cache (Redis in the production-config run): start each test
    empty, and without the feeds' per-process copies of what the cache held."""
    from atelier.feeds.feed_cache import forget_process_copies

    cache.clear()
    forget_process_copies()
    yield
    cache.clear()
    forget_process_copies()


@pytest.fixture(scope="session", autouse=True)
def _refused_crawlers_known(django_db_setup, django_db_blocker):
    """Every web process reads the refused-crawler list once and keeps it (test settings: for good),
    so no test's query count depends on being the first to serve a page."""
    from django.db import DatabaseError

    from atelier.protection.shield.crawlers import refused_tokens

    # A run of tests that use no database creates none: there is no page to serve either.
    with django_db_blocker.unblock(), contextlib.suppress(DatabaseError):
        refused_tokens()


@pytest.fixture
def make_user(db):
    counter = iter(range(1, 10_000))

    def make(handle: str | None = None, *, email: str | None = None, account_type=AccountType.ARTIST, verified=True):
        number = next(counter)
        handle = handle or f"artist{number}"
        user = User.objects.create_user(
            email=email or f"{handle}@example.com", handle=handle, password=TEST_PASSWORD, account_type=account_type
        )
        if verified:
            from django.utils import timezone

            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
        return user

    return make


def enrol_authenticator(user) -> bytes:
    """Give `user` a confirmed authenticator app (atelier.accounts.mfa); returns its secret."""
    from atelier.accounts.mfa import services, totp

    services.totp_begin(user=user)
    secret = services.totp_pending_secret(user=user)
    assert services.totp_confirm(user=user, code=totp.code_for_step(secret, totp.step_at(time.time())))
    return secret


def pass_second_factor(client, user) -> None:
    """Sign `client` in as `user` through a second factor, as staff and moderators must before the
    admin or the review queue: an authenticator app, and its next code on the real challenge page."""
    from django.urls import reverse

    from atelier.accounts.mfa import totp

    secret = enrol_authenticator(user)
    client.force_login(user)
    code = totp.code_for_step(secret, totp.step_at(time.time()) + 1)  # the enrolment's step is spent
    response = client.post(reverse("mfa:challenge"), {"totp-code": code})
    assert response.status_code == 302, response.content


@pytest.fixture
def user(make_user):
    return make_user("mira")


@pytest.fixture
def signed_in_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def stranger(make_user):
    """Someone else: for "other people's objects" tests."""
    return make_user("ossian")


@pytest.fixture
def stranger_client(stranger):
    """Its own client, so a test can act as the user and the stranger side by side."""
    from django.test import Client

    client = Client()
    client.force_login(stranger)
    return client


def image_bytes(fmt: str = "PNG", size=(1200, 800), colour=(200, 90, 40), **save_args) -> bytes:
    """A real image file of the given format, drawn in memory."""
    image = Image.new("RGB", size, colour)
    # A second colour so crops and orientation are visible in the pixels.
    image.paste((30, 60, 200), (0, 0, size[0] // 2, size[1] // 2))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save_args)
    return buffer.getvalue()


@pytest.fixture
def isolated_media(settings, tmp_path):
    """Empty public and originals folders for one test, so it can assert exactly which files exist.

    The session-wide MEDIA_ROOT keeps files from earlier tests, and SQLite reuses profile ids after
    a rollback, so `profiles/<id>/` is not otherwise guaranteed empty.
    """
    from config.settings.storage import build_storages

    settings.STORAGES = {
        **build_storages(env={}, media_root=tmp_path, media_url=settings.MEDIA_URL),
        "staticfiles": settings.STORAGES["staticfiles"],
    }
    return tmp_path


# --- Debian's Chromium, driven by Playwright's sync API (browser tests in any folder use this).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole run (one Playwright per thread is all the sync API allows);
    each test opens its own context. Without Chromium: skipped locally, a failure under CI=true."""
    if not CHROMIUM.exists():
        message = f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)."
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} Browser tests must run in CI.", pytrace=False)
        pytest.skip(f"{message} Skipping the browser tests locally.")
    # Playwright's sync API keeps an asyncio loop running in this thread; without this Django refuses
    # ORM calls from the test (and from the live server's handlers) as "async unsafe".
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def make_published_post():
    """A published, ready post as a plain row (no files), `hours_ago` old: for feeds, lists and social."""
    now = timezone.now()

    def make(author, *, hours_ago: float = 1, title: str = "", tags=(), **fields):
        published_at = now - timedelta(hours=hours_ago)
        post = Post.objects.create(
            author=author,
            title=title or f"post by {author.handle}",
            state=PostState.PUBLIC,
            published_at=published_at,
            discover_base=discover_base_for(published_at),
            discover_score=discover_base_for(published_at),  # no engagement yet
            **fields,
        )
        if tags:
            post.tags.set([Tag.objects.get_or_create(name=name)[0] for name in tags])
        if post.state == PostState.PUBLIC:  # what posts.visibility announces once the move is committed
            transaction.on_commit(
                lambda: post_became_public.send(sender=Post, post_id=post.pk, author_id=post.author_id)
            )
        return post

    return make


@pytest.fixture
def decodes(monkeypatch):
    """The pixel decoders Pillow creates (a spy on Pillow, not on our code): one per real decode."""
    made: list[str] = []
    real = Image._getdecoder

    def counting(mode, decoder_name, args, extra=()):
        made.append(decoder_name)
        return real(mode, decoder_name, args, extra)

    monkeypatch.setattr(Image, "_getdecoder", counting)
    return made
