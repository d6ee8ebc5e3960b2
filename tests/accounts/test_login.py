"""Signing in and out: email or handle, no account enumeration, throttled guessing, no open redirects."""

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from tests.conftest import TEST_PASSWORD

LOGIN_URL = reverse("accounts:login")
WRONG_MESSAGE = "That email or handle and password do not match an account."
THROTTLED_MESSAGE = "Too many failed sign-in attempts. Try again in"


def _signed_in_as(client) -> str | None:
    return client.session.get("_auth_user_id")


def _sign_in(client, identifier: str, password: str = TEST_PASSWORD, **extra):
    return client.post(LOGIN_URL, {"identifier": identifier, "password": password, **extra})


# --- Email or handle


@pytest.mark.parametrize("identifier", ["mira@example.com", "MIRA@Example.COM", " mira@example.com "])
def test_sign_in_by_email_is_case_insensitive(client, user, identifier):
    response = _sign_in(client, identifier)
    assert response.status_code == 302
    assert response.url == reverse("home") == "/"
    assert _signed_in_as(client) == str(user.pk)


@pytest.mark.parametrize("identifier", ["mira", "MIRA", "@Mira"])
def test_sign_in_by_handle_is_case_insensitive(client, user, identifier):
    response = _sign_in(client, identifier)
    assert response.status_code == 302
    assert _signed_in_as(client) == str(user.pk)


def test_login_page_renders_for_anonymous_visitors(client, db):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    assert 'name="identifier"' in response.content.decode()


def test_inactive_accounts_cannot_sign_in(client, user):
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = _sign_in(client, "mira")
    assert response.status_code == 400
    assert WRONG_MESSAGE in response.content.decode()
    assert _signed_in_as(client) is None


# --- No enumeration


def test_wrong_password_and_unknown_account_get_the_same_answer(client, user):
    wrong_password = _sign_in(client, "mira@example.com", "not-the-password-1")
    unknown_account = _sign_in(client, "nobody@example.com", "not-the-password-1")
    unknown_handle = _sign_in(client, "nobody", "not-the-password-1")

    for response in (wrong_password, unknown_account, unknown_handle):
        assert response.status_code == 400
        assert response.context["form"].non_field_errors() == [WRONG_MESSAGE]
        assert WRONG_MESSAGE in response.content.decode()
        assert "mira" not in str(response.context["form"].errors).lower()
    assert _signed_in_as(client) is None


# --- Throttling


def test_failures_for_one_account_are_throttled_even_from_many_addresses(client, user):
    limit = settings.LOGIN_FAILURES_PER_ACCOUNT
    for attempt in range(limit):
        response = _sign_in(client, "mira", "wrong-guess", REMOTE_ADDR=f"192.0.2.{attempt + 1}")
        assert response.status_code == 400
        assert WRONG_MESSAGE in response.content.decode()

    # Even the right password is refused while the account is throttled, from a fresh address too.
    blocked = _sign_in(client, "MIRA", REMOTE_ADDR="192.0.2.200")
    assert blocked.status_code == 429
    html = blocked.content.decode()
    assert THROTTLED_MESSAGE in html
    assert "Try again in" in html
    assert _signed_in_as(client) is None

    # Other accounts are unaffected.
    response = Client(REMOTE_ADDR="192.0.2.201").post(
        LOGIN_URL, {"identifier": "someone_else", "password": "whatever-else"}
    )
    assert response.status_code == 400


def test_email_and_handle_share_one_failure_count(client, user):
    """Alternating spellings of the same account must not double the allowance."""
    limit = settings.LOGIN_FAILURES_PER_ACCOUNT
    spellings = ["mira", "mira@example.com"]
    for attempt in range(limit):
        identifier = spellings[attempt % 2]
        assert _sign_in(client, identifier, "wrong-guess", REMOTE_ADDR=f"192.0.2.{attempt + 1}").status_code == 400
    for identifier in spellings:
        assert _sign_in(client, identifier, REMOTE_ADDR="192.0.2.250").status_code == 429


def test_a_correct_password_clears_the_accounts_failure_count(client, user):
    limit = settings.LOGIN_FAILURES_PER_ACCOUNT
    for _ in range(limit - 1):
        assert _sign_in(client, "mira", "wrong-guess").status_code == 400
    assert _sign_in(client, "mira").status_code == 302
    client.post(reverse("accounts:logout"))

    for _ in range(limit - 1):
        assert _sign_in(client, "mira", "wrong-guess").status_code == 400
    assert _sign_in(client, "mira").status_code == 302


@override_settings(LOGIN_FAILURES_PER_IP=4)
def test_failures_from_one_address_are_throttled_across_accounts(make_user):
    victim = make_user("victim")
    attacker = Client(REMOTE_ADDR="198.51.100.66")
    for number in range(4):
        response = attacker.post(LOGIN_URL, {"identifier": f"guess{number}", "password": "wrong-guess"})
        assert response.status_code == 400

    blocked = attacker.post(LOGIN_URL, {"identifier": "victim", "password": TEST_PASSWORD})
    assert blocked.status_code == 429
    assert THROTTLED_MESSAGE in blocked.content.decode()
    assert _signed_in_as(attacker) is None

    # The same account from another address is fine: only the address is throttled.
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert elsewhere.post(LOGIN_URL, {"identifier": "victim", "password": TEST_PASSWORD}).status_code == 302
    assert _signed_in_as(elsewhere) == str(victim.pk)


def test_forged_forwarded_for_header_does_not_escape_the_address_limit(user):
    with override_settings(LOGIN_FAILURES_PER_IP=2):
        for number in range(2):
            response = Client(REMOTE_ADDR="198.51.100.70", HTTP_X_FORWARDED_FOR=f"10.9.9.{number}").post(
                LOGIN_URL, {"identifier": f"guess{number}", "password": "wrong-guess"}
            )
            assert response.status_code == 400
        blocked = Client(REMOTE_ADDR="198.51.100.70", HTTP_X_FORWARDED_FOR="10.9.9.99").post(
            LOGIN_URL, {"identifier": "mira", "password": TEST_PASSWORD}
        )
    assert blocked.status_code == 429


# --- next: only this site's paths


@pytest.mark.parametrize(
    "evil",
    [
        "https://evil.example/",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "http://testserver.evil.example/",
    ],
)
def test_open_redirect_attempts_in_next_are_ignored(client, user, evil):
    page = client.get(LOGIN_URL, {"next": evil})
    assert evil not in page.content.decode()

    response = _sign_in(client, "mira", next=evil)
    assert response.status_code == 302
    assert response.url == "/"

    # Already signed in: the login page sends people on, but still not off-site.
    again = client.get(LOGIN_URL, {"next": evil})
    assert again.status_code == 302
    assert again.url == reverse("home")


def test_a_local_next_is_honoured(client, user):
    target = reverse("accounts:settings_account")
    page = client.get(LOGIN_URL, {"next": target})
    assert f'name="next" value="{target}"' in page.content.decode()

    response = _sign_in(client, "mira", next=target)
    assert response.status_code == 302
    assert response.url == target


def test_next_survives_a_failed_attempt(client, user):
    target = reverse("accounts:settings_account")
    failed = client.post(f"{LOGIN_URL}?next={target}", {"identifier": "mira", "password": "wrong-guess"})
    assert f'name="next" value="{target}"' in failed.content.decode()


# --- Logging out


def test_logout_needs_a_post(signed_in_client, user):
    response = signed_in_client.get(reverse("accounts:logout"))
    assert response.status_code == 405
    assert _signed_in_as(signed_in_client) == str(user.pk)


def test_logout_ends_the_session(signed_in_client, user):
    response = signed_in_client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert _signed_in_as(signed_in_client) is None
    assert signed_in_client.get(reverse("accounts:settings_account")).status_code == 302


def test_logout_without_csrf_token_is_forbidden(user):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    response = strict.post(reverse("accounts:logout"))
    assert response.status_code == 403
    assert strict.session.get("_auth_user_id") == str(user.pk)


def test_login_without_csrf_token_is_forbidden(user):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(LOGIN_URL, {"identifier": "mira", "password": TEST_PASSWORD})
    assert response.status_code == 403
    assert strict.session.get("_auth_user_id") is None
