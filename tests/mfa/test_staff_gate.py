"""Staff and moderators reach the admin and the review queue only after a second factor."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from atelier.accounts.mfa import flow
from tests.conftest import TEST_PASSWORD
from tests.mfa.support import current_code, enrol_passkey, enrol_totp, password_step, post_json

ADMIN = reverse("admin:index")
QUEUE = reverse("moderation:queue")


@pytest.fixture
def staff(make_user):
    person = make_user("stafford")
    person.is_staff = True
    person.is_superuser = True
    person.save(update_fields=["is_staff", "is_superuser"])
    return person


@pytest.fixture
def moderator(make_user):
    person = make_user("mod_ada")
    person.user_permissions.add(Permission.objects.get(codename="review_case"))
    return person


# `db` named here: the person is asked for by name below, which pytest-django's ordering cannot see,
# so without it these ran last, after the transactional tests, on a connection of their own (the one
# before was left open, and PostgreSQL then refused to drop the test database cleanly).
@pytest.mark.parametrize(("who", "path"), [("staff", ADMIN), ("moderator", QUEUE), ("staff", QUEUE)])
def test_without_a_second_factor_they_are_sent_to_enrol(db, client, request, who, path):
    client.force_login(request.getfixturevalue(who))
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == f"{reverse('mfa:security')}?next={path.replace('/', '%2F')}"
    page = client.get(response.url)
    assert "need a second factor" in page.content.decode()


def test_after_enrolling_the_admin_opens(client, staff):
    client.force_login(staff)
    client.get(ADMIN)
    client.get(f"{reverse('mfa:security')}?next={ADMIN}")
    enrol_totp(client, staff)
    page = client.get(reverse("mfa:security"))
    assert len(page.context["fresh_codes"]) == 10 and page.context["continue_to"] == ADMIN
    assert client.get(ADMIN).status_code == 200


def test_a_password_only_session_with_a_factor_is_asked_for_it(client, staff):
    client.force_login(staff)
    secret = enrol_totp(client, staff)
    # A new session that signed in by password alone, as the admin's own login form would do.
    other = Client()
    assert other.post(reverse("admin:login"), {"username": staff.email, "password": TEST_PASSWORD}).status_code == 302
    response = other.get(ADMIN)
    assert response.status_code == 302 and response.url.startswith(reverse("mfa:challenge"))
    response = other.post(response.url, {"totp-code": current_code(secret, offset_steps=1), "next": ADMIN})
    assert response.status_code == 302 and response.url == ADMIN
    assert other.get(ADMIN).status_code == 200


def test_a_password_only_session_cannot_add_its_own_factor(client, staff):
    """Otherwise a stolen password would add the attacker's passkey and walk into the admin."""
    client.force_login(staff)
    enrol_totp(client, staff)
    other = Client()
    other.force_login(staff)
    assert other.get(reverse("mfa:security")).url.startswith(reverse("mfa:challenge"))
    assert other.post(reverse("mfa:register_options")).status_code == 403
    assert post_json(other, reverse("mfa:register"), {"name": "x", "credential": {}}).status_code == 403
    assert other.get(reverse("mfa:totp_enrol")).status_code == 302
    assert other.get(ADMIN).status_code == 302


def test_a_passkey_sign_in_opens_the_review_queue(client, moderator):
    client.force_login(moderator)
    authenticator = enrol_passkey(client)
    client.logout()
    options = client.post(reverse("mfa:signin_options")).json()
    response = post_json(client, f"{reverse('mfa:signin_verify')}?next={QUEUE}", authenticator.get(options))
    assert response.json() == {"redirect": QUEUE}
    assert client.session[flow.VERIFIED_KEY]["method"] == "passkey"
    assert client.get(QUEUE).status_code == 200


def test_other_people_and_pages_are_untouched(client, user, staff):
    client.force_login(user)
    assert client.get(ADMIN).status_code == 302  # the admin's own refusal: to its login page
    assert client.get(QUEUE).status_code == 403
    staff_client = Client()
    staff_client.force_login(staff)
    assert staff_client.get(reverse("accounts:settings_account")).status_code == 200
    assert staff_client.post(reverse("admin:logout")).status_code in (200, 302)


def test_the_admin_login_page_itself_stays_open(client, db):
    assert client.get(reverse("admin:login")).status_code == 200


def test_password_step_for_staff_with_a_factor(client, staff):
    client.force_login(staff)
    secret = enrol_totp(client, staff)
    client.logout()
    assert password_step(client, "stafford", next=ADMIN).url == reverse("mfa:challenge")
    response = client.post(reverse("mfa:challenge"), {"totp-code": current_code(secret, offset_steps=1)})
    assert response.url == ADMIN
    assert client.get(ADMIN).status_code == 200
