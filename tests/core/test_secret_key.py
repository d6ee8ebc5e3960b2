"""The secret key of the embedded default: random, made on first run in var/ with mode 0600, reused
afterwards, and never a published one. With the old key from this repository an outsider could
forge email-confirmation links and media signatures; these tests start fresh Python processes (the
settings module runs once per process) with a clean environment and their own var/ folder."""

import stat

import pytest
from django.core import signing
from django.test import Client

from atelier.accounts.tokens import _SALT
from config.settings.secret_key import secret_key_refusal
from tests.core.test_settings_selection import PRODUCTION_SECRET, run_python

OLD_PUBLISHED_KEY = "insecure-embedded-default-key-change-me-in-production-0123456789"
PRINT_KEY = "from django.conf import settings; print(settings.SECRET_KEY)"


def _key_in_fresh_process(tmp_path, settings_module="config.settings.default", **env):
    return run_python(["-c", PRINT_KEY], tmp_path=tmp_path, settings_module=settings_module, **env)


def test_the_embedded_default_makes_a_private_random_key_on_first_run_and_reuses_it(tmp_path):
    first = _key_in_fresh_process(tmp_path)
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    stored = tmp_path / "var" / "secret_key"
    assert stored.read_text().strip() == key
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert secret_key_refusal(key) is None and key != OLD_PUBLISHED_KEY
    assert [path.name for path in stored.parent.iterdir() if "secret" in path.name] == ["secret_key"]

    again = _key_in_fresh_process(tmp_path)
    assert again.stdout.strip() == key  # sessions and links survive a restart

    other_instance = _key_in_fresh_process(tmp_path / "elsewhere")
    assert other_instance.stdout.strip() != key


@pytest.mark.parametrize("weak", [OLD_PUBLISHED_KEY, "short-key", "a" * 60, "django-insecure-" + "x1y2z3" * 10])
def test_the_embedded_default_refuses_a_published_or_weak_key_from_the_environment(tmp_path, weak):
    result = _key_in_fresh_process(tmp_path, SECRET_KEY=weak)
    assert result.returncode != 0 and result.stdout == ""
    assert "ImproperlyConfigured: The SECRET_KEY in the environment is refused" in result.stderr


@pytest.mark.parametrize("stored", [OLD_PUBLISHED_KEY, "", "tiny"])
def test_the_embedded_default_refuses_a_published_or_weak_key_in_its_file(tmp_path, stored):
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "secret_key").write_text(stored)
    result = _key_in_fresh_process(tmp_path)
    assert result.returncode != 0 and "is refused" in result.stderr


def test_a_strong_key_from_the_environment_wins_over_the_file(tmp_path):
    result = _key_in_fresh_process(tmp_path, SECRET_KEY=PRODUCTION_SECRET)
    assert result.stdout.strip() == PRODUCTION_SECRET
    assert not (tmp_path / "var" / "secret_key").exists()


@pytest.mark.parametrize("weak", ["", OLD_PUBLISHED_KEY, "x" * 20, "ab" * 40])
def test_production_refuses_weak_and_published_keys(tmp_path, weak):
    env = {"SECRET_KEY": weak} if weak else {}
    result = _key_in_fresh_process(tmp_path, "config.settings.production", **env)
    assert result.returncode != 0 and "ImproperlyConfigured: Set SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_a_confirmation_link_forged_with_the_published_key_confirms_nothing(make_user):
    person = make_user("ines", verified=False)
    forged = signing.dumps({"u": person.pk, "e": person.email}, key=OLD_PUBLISHED_KEY, salt=_SALT, compress=True)
    response = Client().get(f"/accounts/verify/{forged}/")
    assert response.status_code == 400
    person.refresh_from_db()
    assert not person.email_verified
