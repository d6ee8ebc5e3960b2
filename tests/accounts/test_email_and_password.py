"""Confirming email addresses, resending links, resetting and changing passwords."""

import re
import time
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core import mail, signing
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from atelier.accounts.models import User
from atelier.accounts.tokens import make_email_token
from tests.conftest import TEST_PASSWORD

NEW_PASSWORD = "lantern-gouache-harbour-7"
FAILED_HEADING = "This confirmation link doesn't work"


def _verify_url(user_id: int, email: str) -> str:
    return reverse("accounts:verify_email", kwargs={"token": make_email_token(user_id=user_id, email=email)})


def _token_made_ago(monkeypatch, seconds: int, *, user_id: int, email: str) -> str:
    """A real token as the site makes it, signed `seconds` ago (only the signer's clock is moved)."""
    real_time = time.time
    with monkeypatch.context() as patch:
        patch.setattr(signing, "time", SimpleNamespace(time=lambda: real_time() - seconds))
        return make_email_token(user_id=user_id, email=email)


def _link_in(message, pattern: str) -> str:
    match = re.search(pattern, message.body)
    assert match, message.body
    return match.group(0)


# --- Confirming an address


def test_valid_link_confirms_the_address_and_sends_a_visitor_to_log_in(client, make_user):
    """An account that has signed in before; a new account's first link signs it in (test_signup.py)."""
    person = make_user("ines", verified=False)
    person.last_login = timezone.now()
    person.save(update_fields=["last_login"])
    response = client.get(_verify_url(person.pk, person.email), follow=True)

    assert response.redirect_chain == [(reverse("accounts:login"), 302)]
    assert "Thanks, ines@example.com is confirmed." in response.content.decode()
    person.refresh_from_db()
    assert person.email_verified


def test_valid_link_sends_a_signed_in_person_to_their_account_settings(client, make_user):
    person = make_user("ines", verified=False)
    client.force_login(person)
    response = client.get(_verify_url(person.pk, person.email))
    assert response.status_code == 302
    assert response.url == reverse("accounts:settings_account")
    person.refresh_from_db()
    assert person.email_verified


def _assert_link_refused(client, url: str, *people: User):
    response = client.get(url)
    assert response.status_code == 400
    assert FAILED_HEADING in response.content.decode()
    for person in people:
        person.refresh_from_db()
        assert not person.email_verified
    return response


def test_tampered_link_is_refused(client, make_user):
    person = make_user("ines", verified=False)
    token = make_email_token(user_id=person.pk, email=person.email)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    _assert_link_refused(client, reverse("accounts:verify_email", kwargs={"token": tampered}), person)
    _assert_link_refused(client, reverse("accounts:verify_email", kwargs={"token": "not-a-token"}), person)


def test_token_signed_for_another_purpose_is_refused(client, make_user):
    person = make_user("ines", verified=False)
    forged = signing.dumps({"u": person.pk, "e": person.email}, compress=True)
    _assert_link_refused(client, reverse("accounts:verify_email", kwargs={"token": forged}), person)


def test_expired_link_is_refused_and_a_recent_one_still_works(client, make_user, monkeypatch):
    person = make_user("ines", verified=False)
    max_age = settings.EMAIL_VERIFICATION_MAX_AGE
    expired = _token_made_ago(monkeypatch, max_age + 60, user_id=person.pk, email=person.email)
    response = _assert_link_refused(client, reverse("accounts:verify_email", kwargs={"token": expired}), person)
    assert "Log in</a> to get a new link." in response.content.decode()

    recent = _token_made_ago(monkeypatch, max_age - 60, user_id=person.pk, email=person.email)
    assert client.get(reverse("accounts:verify_email", kwargs={"token": recent})).status_code == 302
    person.refresh_from_db()
    assert person.email_verified


def test_link_lifetime_follows_the_setting(client, make_user, monkeypatch):
    person = make_user("ines", verified=False)
    token = _token_made_ago(monkeypatch, 120, user_id=person.pk, email=person.email)
    with override_settings(EMAIL_VERIFICATION_MAX_AGE=60):
        _assert_link_refused(client, reverse("accounts:verify_email", kwargs={"token": token}), person)


def test_link_for_one_persons_address_cannot_confirm_anothers(client, make_user):
    alice = make_user("alice", verified=False)
    bob = make_user("bob", verified=False)
    # Alice's id with Bob's address, and Bob's id with Alice's: neither matches an account's address.
    _assert_link_refused(client, _verify_url(alice.pk, bob.email), alice, bob)
    _assert_link_refused(client, _verify_url(bob.pk, alice.email), alice, bob)
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_link_for_a_deactivated_account_is_refused(client, make_user):
    person = make_user("ines", verified=False)
    person.is_active = False
    person.save(update_fields=["is_active"])
    _assert_link_refused(client, _verify_url(person.pk, person.email), person)


def test_failed_link_offers_a_new_one_to_a_signed_in_person(client, make_user):
    person = make_user("ines", verified=False)
    client.force_login(person)
    response = _assert_link_refused(client, _verify_url(person.pk, "old@example.com"), person)
    assert reverse("accounts:resend_verification") in response.content.decode()


# --- Resending


def test_resend_mails_a_working_link(client, make_user, django_capture_on_commit_callbacks):
    person = make_user("ines", verified=False)
    client.force_login(person)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:resend_verification"), follow=True)

    assert response.redirect_chain == [(reverse("accounts:settings_account"), 302)]
    assert "We sent a new confirmation link to ines@example.com." in response.content.decode()
    assert [message.to for message in mail.outbox] == [["ines@example.com"]]
    link = _link_in(mail.outbox[0], r"https?://\S+/accounts/verify/\S+/")
    assert link.startswith(settings.SITE_URL)

    client.get(link.removeprefix(settings.SITE_URL))
    person.refresh_from_db()
    assert person.email_verified


def test_resend_is_limited_per_hour(client, make_user, django_capture_on_commit_callbacks):
    person = make_user("ines", verified=False)
    client.force_login(person)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            client.post(reverse("accounts:resend_verification"))
        response = client.post(reverse("accounts:resend_verification"), follow=True)

    assert len(mail.outbox) == 3
    assert "We already sent several links in the last hour; check your spam folder." in response.content.decode()


def test_resend_for_a_confirmed_address_sends_nothing(signed_in_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in_client.post(reverse("accounts:resend_verification"), follow=True)
    assert "Your email address is already confirmed." in response.content.decode()
    assert mail.outbox == []


def test_resend_needs_a_post_and_a_signed_in_person(client, signed_in_client, db):
    url = reverse("accounts:resend_verification")
    assert signed_in_client.get(url).status_code == 405
    signed_in_client.logout()
    anonymous = client.post(url)
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("accounts:login") + "?next=")
    assert mail.outbox == []


def test_resend_ignores_an_off_site_next(client, make_user):
    client.force_login(make_user("ines", verified=False))
    response = client.post(reverse("accounts:resend_verification"), {"next": "https://evil.example/"})
    assert response.status_code == 302
    assert response.url == reverse("accounts:settings_account")


# --- Password reset


def _ask_for_reset(client, email: str, capture):
    with capture(execute=True):
        return client.post(reverse("accounts:password_reset"), {"email": email})


def _reset_link(message) -> str:
    return _link_in(message, r"http://testserver/accounts/password/reset/[^/\s]+/[^/\s]+/").removeprefix(
        "http://testserver"
    )


def test_reset_mails_a_link_to_a_known_address(client, user, django_capture_on_commit_callbacks):
    response = _ask_for_reset(client, "MIRA@example.com", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["mira@example.com"]
    assert message.subject == "Reset your Atelier password"
    assert "Hello @mira," in message.body
    assert _reset_link(message)

    done = client.get(response.url)
    assert "If an account uses that address, a reset link is on its way." in done.content.decode()


def test_reset_answers_an_unknown_address_the_same_way(client, user, django_capture_on_commit_callbacks):
    known = _ask_for_reset(client, "mira@example.com", django_capture_on_commit_callbacks)
    unknown = _ask_for_reset(client, "nobody@example.com", django_capture_on_commit_callbacks)
    assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
    assert [message.to for message in mail.outbox] == [["mira@example.com"]]


def test_reset_emails_to_one_address_are_capped(client, user, django_capture_on_commit_callbacks, settings):
    """Nobody can flood someone's inbox with reset mails: the fourth ask in an hour is refused."""
    settings.PASSWORD_RESETS_PER_EMAIL_PER_HOUR = 3
    for attempt in range(3):
        ip = f"198.51.100.{attempt + 1}"
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("accounts:password_reset"), {"email": "mira@example.com"}, REMOTE_ADDR=ip)
        assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(reverse("accounts:password_reset"), {"email": "MIRA@example.com"}, REMOTE_ADDR="1.2.3.4")
    assert refused.status_code == 429
    assert "Too many reset emails were asked for. Try again in an hour." in refused.content.decode()
    assert len(mail.outbox) == 3


def test_reset_emails_from_one_client_are_capped(client, user, make_user, settings):
    settings.PASSWORD_RESETS_PER_IP_PER_HOUR = 2
    for number in range(2):
        make_user(f"reader{number}")
        response = client.post(reverse("accounts:password_reset"), {"email": f"reader{number}@example.com"})
        assert response.status_code == 302
    assert client.post(reverse("accounts:password_reset"), {"email": "mira@example.com"}).status_code == 429


def test_reset_link_sets_a_new_password_and_works_once(client, user, django_capture_on_commit_callbacks):
    _ask_for_reset(client, "mira@example.com", django_capture_on_commit_callbacks)
    link = _reset_link(mail.outbox[0])

    form_page = client.get(link, follow=True)
    assert 'name="new_password1"' in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    response = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not user.check_password(TEST_PASSWORD)

    # The link is spent.
    reused = client.get(link, follow=True)
    assert "This reset link doesn't work" in reused.content.decode()
    assert 'name="new_password1"' not in reused.content.decode()

    # The new password signs in; the old one does not.
    login = reverse("accounts:login")
    assert client.post(login, {"identifier": "mira", "password": TEST_PASSWORD}).status_code == 400
    assert client.post(login, {"identifier": "mira", "password": NEW_PASSWORD}).status_code == 302


def test_a_reset_confirms_the_address_of_an_account_that_never_signed_in(
    client, make_user, django_capture_on_commit_callbacks
):
    """A new account whose confirmation mail was lost: its password is refused until the address is
    proven, and a reset link opened from that address proves it."""
    make_user("ines", verified=False)
    login = reverse("accounts:login")
    assert client.post(login, {"identifier": "ines", "password": TEST_PASSWORD}).status_code == 400
    _ask_for_reset(client, "ines@example.com", django_capture_on_commit_callbacks)
    form_page = client.get(_reset_link(mail.outbox[0]), follow=True)
    set_password_url = form_page.redirect_chain[-1][0]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert client.post(login, {"identifier": "ines", "password": NEW_PASSWORD}).status_code == 302


def test_reset_refuses_a_weak_new_password(client, user, django_capture_on_commit_callbacks):
    _ask_for_reset(client, "mira@example.com", django_capture_on_commit_callbacks)
    form_page = client.get(_reset_link(mail.outbox[0]), follow=True)
    weak = {"new_password1": "password1", "new_password2": "password1"}
    response = client.post(form_page.redirect_chain[-1][0], weak)
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def test_tampered_reset_link_is_refused(client, user, django_capture_on_commit_callbacks):
    _ask_for_reset(client, "mira@example.com", django_capture_on_commit_callbacks)
    link = _reset_link(mail.outbox[0])
    tampered = link[:-2] + ("x" if link[-2] != "x" else "y") + "/"
    response = client.get(tampered)
    assert "This reset link doesn't work" in response.content.decode()


# --- Changing the password while signed in


def test_password_change_requires_the_old_password(signed_in_client, user):
    url = reverse("accounts:settings_password")
    response = signed_in_client.post(
        url, {"old_password": "not-my-password", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly. Please enter it again." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def test_password_change_with_the_old_password_keeps_the_person_signed_in(signed_in_client, user):
    response = signed_in_client.post(
        reverse("accounts:settings_password"),
        {"old_password": TEST_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_changed")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert signed_in_client.get(reverse("accounts:settings_account")).status_code == 200


def test_password_change_refuses_mismatched_or_weak_passwords(signed_in_client, user):
    url = reverse("accounts:settings_password")
    mismatched = signed_in_client.post(
        url, {"old_password": TEST_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"}
    )
    assert "The two password fields didn’t match." in mismatched.content.decode()
    weak = signed_in_client.post(url, {"old_password": TEST_PASSWORD, "new_password1": "mira", "new_password2": "mira"})
    assert "This password is too short." in weak.content.decode()
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


@pytest.mark.parametrize("name", ["settings_password", "password_changed"])
def test_password_change_pages_need_sign_in(client, db, name):
    response = client.get(reverse(f"accounts:{name}"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login") + "?next=")
