"""Account settings: sign-in required, account type, changing the email address, deleting the account."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from atelier.accounts.models import AccountType, Profile, User
from tests.conftest import TEST_PASSWORD

ACCOUNT_URL = reverse("accounts:settings_account")
DELETE_URL = reverse("accounts:settings_delete")


@pytest.mark.parametrize(
    "name", ["settings_profile", "settings_account", "settings_password", "settings_delete", "resend_verification"]
)
def test_settings_pages_send_visitors_to_log_in(client, db, name):
    url = reverse(f"accounts:{name}")
    for response in (client.get(url), client.post(url, {"type-account_type": "studio"})):
        assert response.status_code == 302
        assert response.url == f"{reverse('accounts:login')}?next={url}"


@pytest.mark.parametrize("name", ["settings_profile", "settings_account", "settings_password", "settings_delete"])
def test_settings_pages_open_for_the_signed_in_person(signed_in_client, name):
    response = signed_in_client.get(reverse(f"accounts:{name}"))
    assert response.status_code == 200


def test_account_page_shows_the_address_and_whether_it_is_confirmed(client, make_user):
    person = make_user("ines", verified=False)
    client.force_login(person)
    html = client.get(ACCOUNT_URL).content.decode()
    assert "<strong>ines@example.com</strong>" in html
    assert "not confirmed yet" in html
    assert "Resend confirmation link" in html


# --- Account type


def test_account_type_change_is_saved(signed_in_client, user):
    response = signed_in_client.post(ACCOUNT_URL, {"type-account_type": "studio"}, follow=True)
    assert response.redirect_chain == [(ACCOUNT_URL, 302)]
    assert "Account type saved." in response.content.decode()
    user.refresh_from_db()
    assert user.account_type == AccountType.STUDIO

    signed_in_client.post(ACCOUNT_URL, {"type-account_type": "artist"})
    user.refresh_from_db()
    assert user.account_type == AccountType.ARTIST


@pytest.mark.parametrize("value", ["staff", "", "ARTIST"])
def test_unknown_account_type_is_refused(signed_in_client, user, value):
    response = signed_in_client.post(ACCOUNT_URL, {"type-account_type": value})
    assert response.status_code == 400
    assert response.context["type_form"].errors["account_type"]
    user.refresh_from_db()
    assert user.account_type == AccountType.ARTIST


# --- Changing the email address


def _ask_for_email_change(client, capture, new_email: str, password: str = TEST_PASSWORD):
    with capture(execute=True):
        return client.post(ACCOUNT_URL, {"email-new_email": new_email, "email-password": password})


def _confirm_link(message) -> str:
    match = re.search(r"https?://\S+/accounts/verify/\S+/", message.body)
    assert match, message.body
    assert match.group(0).startswith(settings.SITE_URL + "/")
    return match.group(0).removeprefix(settings.SITE_URL)


def test_email_change_waits_for_the_new_address_to_be_confirmed(
    signed_in_client, user, django_capture_on_commit_callbacks
):
    response = _ask_for_email_change(signed_in_client, django_capture_on_commit_callbacks, "Mira.New@Example.com")
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.email, user.pending_email) == ("mira@example.com", "mira.new@example.com")
    assert user.email_verified

    by_recipient = {tuple(message.to): message for message in mail.outbox}
    assert set(by_recipient) == {("mira.new@example.com",), ("mira@example.com",)}
    assert "You asked to change your Atelier email address to mira.new@example.com." in (
        by_recipient[("mira.new@example.com",)].body
    )
    notice = by_recipient[("mira@example.com",)]
    assert notice.subject == "Your Atelier email address is being changed"
    assert "Nothing changes until that address is confirmed." in notice.body

    page = signed_in_client.get(ACCOUNT_URL).content.decode()
    assert "Check mira.new@example.com for a confirmation link." in page
    assert "Waiting for you to confirm <strong>mira.new@example.com</strong>" in page

    confirmed = signed_in_client.get(_confirm_link(by_recipient[("mira.new@example.com",)]), follow=True)
    assert confirmed.redirect_chain == [(ACCOUNT_URL, 302)]
    assert "Thanks, mira.new@example.com is confirmed." in confirmed.content.decode()
    user.refresh_from_db()
    assert (user.email, user.pending_email) == ("mira.new@example.com", "")
    assert user.email_verified

    # Signing in now works with the new address only.
    signed_in_client.post(reverse("accounts:logout"))
    login = reverse("accounts:login")
    assert Client().post(login, {"identifier": "mira@example.com", "password": TEST_PASSWORD}).status_code == 400
    assert Client().post(login, {"identifier": "mira.new@example.com", "password": TEST_PASSWORD}).status_code == 302


def test_confirming_the_old_address_after_a_change_is_refused(client, make_user, django_capture_on_commit_callbacks):
    person = make_user("ines", verified=False)
    client.force_login(person)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:resend_verification"))
    old_link = _confirm_link(mail.outbox[0])
    mail.outbox.clear()

    _ask_for_email_change(client, django_capture_on_commit_callbacks, "ines.new@example.com")
    new_link = next(_confirm_link(m) for m in mail.outbox if m.to == ["ines.new@example.com"])
    client.get(new_link)

    response = client.get(old_link)
    assert response.status_code == 400
    person.refresh_from_db()
    assert person.email == "ines.new@example.com"


@pytest.mark.parametrize("taken", ["other@example.com", "OTHER@Example.COM"])
def test_email_change_to_an_address_in_use_is_refused(
    signed_in_client, user, make_user, django_capture_on_commit_callbacks, taken
):
    make_user("other")
    response = _ask_for_email_change(signed_in_client, django_capture_on_commit_callbacks, taken)
    assert response.status_code == 400
    assert "Another account uses this email address." in response.content.decode()
    user.refresh_from_db()
    assert (user.email, user.pending_email) == ("mira@example.com", "")
    assert mail.outbox == []


def test_email_change_needs_the_current_password(signed_in_client, user, django_capture_on_commit_callbacks):
    response = _ask_for_email_change(
        signed_in_client, django_capture_on_commit_callbacks, "mira.new@example.com", password="wrong-password"
    )
    assert response.status_code == 400
    assert "That is not your current password." in response.content.decode()
    assert 'value="mira.new@example.com"' in response.content.decode()
    user.refresh_from_db()
    assert user.pending_email == ""
    assert mail.outbox == []


def test_email_change_to_the_same_address_is_refused(signed_in_client, user, django_capture_on_commit_callbacks):
    response = _ask_for_email_change(signed_in_client, django_capture_on_commit_callbacks, "MIRA@example.com")
    assert response.status_code == 400
    assert "That is already your email address." in response.content.decode()
    assert mail.outbox == []


def test_email_change_link_fails_if_someone_took_the_address_meanwhile(
    signed_in_client, user, make_user, django_capture_on_commit_callbacks
):
    _ask_for_email_change(signed_in_client, django_capture_on_commit_callbacks, "contested@example.com")
    link = next(_confirm_link(m) for m in mail.outbox if m.to == ["contested@example.com"])
    make_user("quick", email="Contested@example.com")

    response = signed_in_client.get(link)
    assert response.status_code == 400
    assert "This confirmation link doesn't work" in response.content.decode()
    user.refresh_from_db()
    assert user.email == "mira@example.com"


# --- Deleting the account


def _delete(client, handle: str = "mira", password: str = TEST_PASSWORD, **extra):
    return client.post(DELETE_URL, {"handle": handle, "password": password}, **extra)


def test_delete_needs_the_password(signed_in_client, user):
    response = _delete(signed_in_client, password="not-my-password")
    assert response.status_code == 400
    assert "That is not your current password." in response.content.decode()
    assert User.objects.filter(pk=user.pk).exists()
    assert signed_in_client.session["_auth_user_id"] == str(user.pk)


def test_delete_needs_the_handle_typed(signed_in_client, user):
    response = _delete(signed_in_client, handle="someone")
    assert response.status_code == 400
    assert "Type @mira exactly." in response.content.decode()
    assert User.objects.filter(pk=user.pk).exists()


def test_delete_removes_the_user_and_profile_and_ends_the_session(signed_in_client, user, make_user):
    bystander = make_user("bystander")
    response = _delete(signed_in_client, handle="@MIRA", follow=True)

    assert response.redirect_chain == [(reverse("home"), 302)]
    assert "Your account and everything in it has been deleted." in response.content.decode()
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Profile.objects.filter(user_id=user.pk).exists()
    assert User.objects.filter(pk=bystander.pk).exists()
    assert "_auth_user_id" not in signed_in_client.session
    assert signed_in_client.get(ACCOUNT_URL).status_code == 302

    # The old password opens nothing, the profile is gone, and the handle and address are free again.
    login = reverse("accounts:login")
    assert Client().post(login, {"identifier": "mira", "password": TEST_PASSWORD}).status_code == 400
    assert signed_in_client.get(reverse("accounts:profile", kwargs={"handle": "mira"})).status_code == 404
    signup = {"email": "mira@example.com", "handle": "mira", "account_type": "artist", "password": TEST_PASSWORD}
    assert Client().post(reverse("accounts:signup"), signup).status_code == 302


def test_delete_needs_a_post_and_a_csrf_token(user):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.get(DELETE_URL).status_code == 200
    assert _delete(strict).status_code == 403
    assert User.objects.filter(pk=user.pk).exists()
