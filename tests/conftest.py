"""Fixtures every test may use: users with profiles, real image files made in code, a clean cache."""

import io

import pytest
from django.core.cache import cache
from PIL import Image

from atelier.accounts.models import AccountType, User

TEST_PASSWORD = "a-long-test-password-42"


@pytest.fixture(autouse=True)
def _clean_cache():
    """Rate-limit counters live in the cache (Redis in the production-config run): start each test empty."""
    cache.clear()
    yield
    cache.clear()


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


@pytest.fixture
def user(make_user):
    return make_user("mira")


@pytest.fixture
def signed_in_client(client, user):
    client.force_login(user)
    return client


def image_bytes(fmt: str = "PNG", size=(1200, 800), colour=(200, 90, 40), **save_args) -> bytes:
    """A real image file of the given format, drawn in memory."""
    image = Image.new("RGB", size, colour)
    # A second colour so crops and orientation are visible in the pixels.
    image.paste((30, 60, 200), (0, 0, size[0] // 2, size[1] // 2))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save_args)
    return buffer.getvalue()
