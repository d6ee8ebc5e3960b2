"""Signing up: the happy path, and every hostile or mistaken input turned away with a readable error."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse
from django.utils.html import escape

from atelier.accounts.models import AccountType, Profile, User
from tests.conftest import TEST_PASSWORD

GOOD_PASSWORD = "violet-harbour-sketch-91"
SIGNUP_URL = reverse("accounts:signup")

pytestmark = pytest.mark.django_db


def _form(**overrides) -> dict:
    data = {"email": "new.artist@example.com", "handle": "new_artist", "account_type": "artist"}
    data["password"] = GOOD_PASSWORD
    data.update(overrides)
    return data


def _verify_link(message) -> str:
    match = re.search(r"https?://\S+/accounts/verify/\S+/", message.body)
    assert match, message.body
    return match.group(0)


# --- Success


def test_signup_creates_user_and_profile_and_mails_a_link_that_confirms_and_signs_in(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SIGNUP_URL, _form(email="New.Artist@Example.com", handle="@New_Artist"))

    assert response.status_code == 302
    assert response.url == reverse("accounts:signup_sent")
    user = User.objects.get()
    assert (user.email, user.handle, user.account_type) == ("new.artist@example.com", "new_artist", "artist")
    assert user.check_password(GOOD_PASSWORD)
    assert not user.email_verified
    assert Profile.objects.filter(user=user).exists()
    assert "_auth_user_id" not in client.session  # not before the address is confirmed

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.artist@example.com"]
    assert message.subject == "Confirm your email address for Atelier"
    link = _verify_link(message)
    assert link.startswith(settings.SITE_URL + "/accounts/verify/")

    page = client.get(response.url)
    assert "We sent a message to new.artist@example.com." in page.content.decode()
    assert "Check your email" in page.content.decode()

    # Its password opens nothing yet: the link in the email is the account's first sign-in.
    login = {"identifier": "new_artist", "password": GOOD_PASSWORD}
    assert Client().post(reverse("accounts:login"), login).status_code == 400
    confirmed = client.get(link.removeprefix(settings.SITE_URL))
    assert confirmed.status_code == 302 and confirmed.url == reverse("accounts:settings_profile")
    assert client.session["_auth_user_id"] == str(user.pk)
    user.refresh_from_db()
    assert user.email_verified
    assert "Welcome to Atelier! new.artist@example.com is confirmed." in client.get(confirmed.url).content.decode()
    # From then on the password works, and the link does not sign anyone else in again.
    assert Client().post(reverse("accounts:login"), login).status_code == 302
    again = Client().get(link.removeprefix(settings.SITE_URL))
    assert again.status_code == 302 and again.url == reverse("accounts:login")


def test_signup_answers_the_same_whether_or_not_the_email_has_an_account(user, django_capture_on_commit_callbacks):
    """No account enumeration: the same status, redirect, page and message for a taken and a free
    address; only the mail to the address says what happened."""
    answers = []
    for email, handle in (("Mira@Example.com", "someone_new"), ("free.address@example.com", "someone_else")):
        client = Client()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(SIGNUP_URL, _form(email=email, handle=handle))
        page = client.get(response.url).content.decode().replace(email.lower(), "EMAIL")
        answers.append((response.status_code, response.url, page, "_auth_user_id" in client.session))
    assert answers[0] == answers[1]
    assert answers[0][:2] == (302, reverse("accounts:signup_sent"))

    assert not User.objects.filter(handle="someone_new").exists()  # no second account for mira's address
    assert User.objects.filter(handle="someone_else").exists()
    notice, confirmation = mail.outbox
    assert notice.to == ["mira@example.com"]
    assert notice.subject == "Someone tried to sign up to Atelier with your email address"
    assert settings.SITE_URL + reverse("accounts:login") in notice.body
    assert settings.SITE_URL + reverse("accounts:password_reset") in notice.body
    assert "/accounts/verify/" not in notice.body
    assert confirmation.to == ["free.address@example.com"]
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)  # the existing account is untouched


def test_the_notice_to_an_existing_address_cannot_flood_its_inbox(user, django_capture_on_commit_callbacks):
    for number in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            response = Client(REMOTE_ADDR=f"203.0.113.{number}").post(
                SIGNUP_URL, _form(email=user.email, handle=f"try_{number}")
            )
        assert response.status_code == 302
    assert len(mail.outbox) == 3


def test_signup_as_a_studio_keeps_the_account_type(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SIGNUP_URL, _form(account_type="studio"))
    assert response.status_code == 302
    assert User.objects.get().account_type == AccountType.STUDIO


def test_signed_in_people_are_sent_home_from_the_signup_page(signed_in_client):
    response = signed_in_client.get(SIGNUP_URL)
    assert response.status_code == 302
    assert response.url == reverse("home")


# --- Hostile and mistaken inputs: re-rendered form, clear error, typed values kept, nothing created


def _assert_rejected(client, data: dict, error: str, *, field: str):
    users_before = User.objects.count()
    response = client.post(SIGNUP_URL, data)
    html = response.content.decode()

    assert response.status_code == 400
    assert error in html
    assert error in " ".join(response.context["form"].errors[field])
    assert User.objects.count() == users_before
    assert "_auth_user_id" not in client.session
    assert mail.outbox == []
    # What the person typed is still in the form (escaped), except the password.
    for name in ("email", "handle"):
        if data.get(name):
            assert f'value="{escape(data[name])}"' in html
    password_input = re.search(r'<input type="password" name="password"[^>]*>', html).group(0)
    assert "value=" not in password_input
    return html


@pytest.mark.parametrize("handle", ["admin", "settings", "api", "Login", "@ADMIN", "well_known"])
def test_reserved_handles_are_refused(client, handle):
    html = _assert_rejected(client, _form(handle=handle), "is reserved; please choose another handle.", field="handle")
    assert f"“{handle.lstrip('@').lower()}” is reserved" in html
    assert f'value="{handle}"' in html


@pytest.mark.parametrize(
    "handle",
    ["ab", "a" * 31, "a" * 40, "has space", "dash-ed", "dot.ted", "émile", "semi;colon", "new_artist/../admin"],
)
def test_handles_with_bad_characters_or_length_are_refused(client, handle):
    error = "Handles are 3–30 characters: lower-case letters, digits and underscores."
    if len(handle) > 31:
        error = "Ensure this value has at most 31 characters (it has 40)."
    _assert_rejected(client, _form(handle=handle), error, field="handle")


def test_handle_of_only_digits_is_refused(client):
    _assert_rejected(client, _form(handle="123456"), "A handle needs at least one letter.", field="handle")


def test_duplicate_handle_is_refused_case_insensitively(client, user):
    html = _assert_rejected(client, _form(handle="MIRA"), "@mira is taken.", field="handle")
    assert 'value="MIRA"' in html
    assert User.objects.filter(handle="mira").count() == 1


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("short-1", "This password is too short. It must contain at least 10 characters."),
        ("password123", "This password is too common."),
        ("qwertyuiop", "This password is too common."),
        ("84736251908172", "This password is entirely numeric."),
    ],
)
def test_weak_passwords_are_refused(client, password, error):
    html = _assert_rejected(client, _form(password=password), error, field="password")
    assert 'value="new_artist"' in html
    assert 'value="new.artist@example.com"' in html


def test_password_similar_to_the_handle_is_refused(client):
    _assert_rejected(
        client,
        _form(email="someone@example.com", handle="mirabelle", password="Mirabelle!!"),
        "The password is too similar to the handle.",
        field="password",
    )


def test_password_similar_to_the_email_is_refused(client):
    _assert_rejected(
        client,
        _form(email="charcoalstudies@example.com", handle="sketcher", password="charcoalstudies"),
        "The password is too similar to the email address.",
        field="password",
    )


def test_script_tag_in_the_handle_is_refused_and_shown_escaped(client):
    handle = "<script>alert(1)</script>"
    html = _assert_rejected(
        client, _form(handle=handle), "Handles are 3–30 characters: lower-case letters", field="handle"
    )
    assert "<script>alert(1)</script>" not in html
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in html


def test_script_tag_in_the_email_is_refused_and_shown_escaped(client):
    email = "<script>alert(1)</script>@example.com"
    html = _assert_rejected(client, _form(email=email), "Enter a valid email address.", field="email")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;@example.com" in html


def test_quoted_email_with_markup_is_only_ever_shown_escaped(client, django_capture_on_commit_callbacks):
    """RFC 5322 allows almost anything in a quoted local part; if it is accepted, it must never render as HTML."""
    email = '"<script>alert(1)</script>"@example.com'
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SIGNUP_URL, _form(email=email), follow=True)
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert User.objects.filter(email=email).exists()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("missing", ["email", "handle", "password", "account_type"])
def test_missing_fields_are_reported(client, missing):
    data = _form()
    del data[missing]
    response = client.post(SIGNUP_URL, data)
    assert response.status_code == 400
    assert response.context["form"].errors[missing] == ["This field is required."]
    assert not User.objects.exists()


def test_unknown_account_type_is_refused(client):
    response = client.post(SIGNUP_URL, _form(account_type="staff"))
    assert response.status_code == 400
    assert "Select a valid choice. staff is not one of the available choices." in response.content.decode()
    assert not User.objects.exists()


def test_signup_without_csrf_token_is_forbidden():
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(SIGNUP_URL, _form())
    assert response.status_code == 403
    assert not User.objects.exists()


def test_signup_with_the_pages_csrf_token_works():
    """The 403 above is the CSRF check, not something else about the request."""
    strict = Client(enforce_csrf_checks=True)
    strict.get(SIGNUP_URL)
    token = strict.cookies[settings.CSRF_COOKIE_NAME].value
    response = strict.post(SIGNUP_URL, {**_form(), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert User.objects.filter(handle="new_artist").exists()


# --- Rate limit


@override_settings(SIGNUPS_PER_IP_PER_HOUR=2)
def test_signups_are_limited_per_address():
    for number in (1, 2):
        response = Client(REMOTE_ADDR="198.51.100.7").post(
            SIGNUP_URL, _form(email=f"a{number}@example.com", handle=f"artist_{number}")
        )
        assert response.status_code == 302

    blocked = Client(REMOTE_ADDR="198.51.100.7").post(SIGNUP_URL, _form(email="a3@example.com", handle="artist_3"))
    assert blocked.status_code == 429
    html = blocked.content.decode()
    assert "Too many accounts were created from your network in the last hour. Try again later." in html
    assert 'value="artist_3"' in html
    assert not User.objects.filter(handle="artist_3").exists()

    # A forged X-Forwarded-For does not reset the count (no proxy is trusted by default) ...
    spoofed = Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.99").post(
        SIGNUP_URL, _form(email="a4@example.com", handle="artist_4")
    )
    assert spoofed.status_code == 429
    # ... while someone on another network can still sign up.
    elsewhere = Client(REMOTE_ADDR="203.0.113.5").post(SIGNUP_URL, _form(email="a5@example.com", handle="artist_5"))
    assert elsewhere.status_code == 302
    assert sorted(User.objects.values_list("handle", flat=True)) == ["artist_1", "artist_2", "artist_5"]
