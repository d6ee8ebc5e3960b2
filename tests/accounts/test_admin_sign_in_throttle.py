"""The admin's sign-in shares the site's throttle: a moderator's password cannot be guessed at the
page budget's rate on /admin/login/, and failures on either form count against both. And an account
made in the admin signs in first through its mailed link, like a sign-up."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.conftest import TEST_PASSWORD, pass_second_factor

ADMIN_LOGIN = reverse("admin:login")
THROTTLED = "Too many failed sign-in attempts. Try again in"

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(make_user):
    person = make_user("mira_moderates")
    person.is_staff = True
    person.save(update_fields=["is_staff"])
    return person


def _admin_sign_in(client, identifier: str, password: str):
    return client.post(ADMIN_LOGIN, {"username": identifier, "password": password, "next": "/admin/"})


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_right_password_opens_the_admin_when_nothing_was_guessed(moderator):
    client = Client()
    response = _admin_sign_in(client, moderator.email, TEST_PASSWORD)
    assert response.status_code == 302 and _signed_in(client)


def test_twelve_wrong_passwords_then_the_right_one_is_refused_on_the_admin(moderator):
    client = Client()
    for attempt in range(12):
        response = _admin_sign_in(client, moderator.email, f"guess-{attempt}")
        assert response.status_code == 200 and not _signed_in(client)
    response = _admin_sign_in(client, moderator.email, TEST_PASSWORD)
    assert not _signed_in(client)
    assert THROTTLED in response.content.decode()
    assert "/admin/" not in response.headers.get("Location", "")


def test_the_throttle_counts_the_account_whatever_form_or_spelling_is_used(moderator):
    for attempt in range(3):
        _admin_sign_in(Client(), "MIRA_MODERATES", f"guess-{attempt}")
    for attempt in range(2):
        Client().post(reverse("accounts:login"), {"identifier": moderator.email, "password": f"other-{attempt}"})
    admin_client, site_client = Client(), Client()
    assert THROTTLED in _admin_sign_in(admin_client, moderator.email, TEST_PASSWORD).content.decode()
    site = site_client.post(reverse("accounts:login"), {"identifier": "@mira_moderates", "password": TEST_PASSWORD})
    assert site.status_code == 429
    assert not _signed_in(admin_client) and not _signed_in(site_client)


def test_guessing_from_one_address_across_accounts_is_throttled_on_the_admin(make_user, moderator):
    for number in range(30):
        _admin_sign_in(Client(REMOTE_ADDR="198.51.100.7"), f"nobody{number}@example.com", "guess")
    blocked = Client(REMOTE_ADDR="198.51.100.7")
    assert THROTTLED in _admin_sign_in(blocked, moderator.email, TEST_PASSWORD).content.decode()
    assert not _signed_in(blocked)


def test_an_account_made_in_the_admin_gets_the_link_that_is_its_first_sign_in(
    make_user, django_capture_on_commit_callbacks
):
    admin_user = make_user("site_admin")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save(update_fields=["is_staff", "is_superuser"])
    client = Client()
    pass_second_factor(client, admin_user)  # staff reach the admin through a second factor
    mail.outbox.clear()  # (its enrolment notice)
    form = {
        "email": "new.mod@example.com",
        "handle": "new_mod",
        "password1": "harbour-lights-2026",
        "password2": "harbour-lights-2026",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:accounts_user_add"), form)
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["new.mod@example.com"] and "/accounts/verify/" in message.body
    link = re.search(r"/accounts/verify/\S+/", message.body).group(0)
    newcomer = Client()
    assert newcomer.get(link).status_code == 302 and _signed_in(newcomer)
