"""Settings → Security: enrolment shows the secret once, removal needs the password, codes are shown once."""

from django.core import mail
from django.test import Client
from django.urls import reverse

from atelier.accounts.mfa import flow, totp
from atelier.accounts.mfa.models import Passkey, RecoveryCode, TotpDevice
from tests.conftest import TEST_PASSWORD
from tests.mfa.soft_authenticator import SoftAuthenticator
from tests.mfa.support import enrol_passkey, enrol_totp, post_json

SECURITY = reverse("mfa:security")


def test_the_page_lists_nothing_for_a_new_account(signed_in_client):
    page = signed_in_client.get(SECURITY)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Add a passkey" in body and "Set up an authenticator app" in body
    assert 'src="/static/js/passkeys.js"' in body and "<script>" not in body


def test_totp_enrolment_shows_a_qr_code_then_never_the_secret_again(signed_in_client, user):
    page = signed_in_client.get(reverse("mfa:totp_enrol"))
    secret_text = page.context["secret"]
    assert 'src="data:image/svg+xml' in page.content.decode()
    assert page.context["uri"].startswith("otpauth://totp/")
    assert signed_in_client.get(reverse("mfa:totp_enrol")).context["secret"] == secret_text  # a reload keeps it
    wrong = signed_in_client.post(reverse("mfa:totp_enrol"), {"totp-code": "000000"})
    assert wrong.status_code == 400 and TotpDevice.objects.get(user=user).confirmed_at is None
    enrol_totp(signed_in_client, user)
    after = signed_in_client.get(reverse("mfa:totp_enrol"), follow=True)
    assert secret_text not in after.content.decode()
    assert secret_text not in signed_in_client.get(SECURITY).content.decode()


def test_the_first_factor_comes_with_codes_shown_once(signed_in_client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enrol_passkey(signed_in_client)
    assert "A passkey named “Laptop” was added" in mail.outbox[-1].body
    first = signed_in_client.get(SECURITY)
    codes = first.context["fresh_codes"]
    assert len(codes) == 10 and all(code in first.content.decode() for code in codes)
    second = signed_in_client.get(SECURITY)
    assert second.context["fresh_codes"] is None and codes[0] not in second.content.decode()


def test_removing_a_passkey_needs_the_password(signed_in_client, user):
    enrol_passkey(signed_in_client)
    passkey = Passkey.objects.get(user=user)
    url = reverse("mfa:passkey_remove", args=[passkey.pk])
    signed_in_client.post(url, {"password": "not-the-password"})
    assert Passkey.objects.filter(pk=passkey.pk).exists()
    signed_in_client.post(url, {"password": TEST_PASSWORD})
    assert not Passkey.objects.filter(pk=passkey.pk).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()  # nothing left to recover


def test_someone_elses_passkey_cannot_be_removed(signed_in_client, stranger, stranger_client):
    enrol_passkey(stranger_client)
    theirs = Passkey.objects.get(user=stranger)
    signed_in_client.post(reverse("mfa:passkey_remove", args=[theirs.pk]), {"password": TEST_PASSWORD})
    assert Passkey.objects.filter(pk=theirs.pk).exists()


def test_wrong_passwords_for_removal_are_limited(signed_in_client, user):
    enrol_totp(signed_in_client, user)
    for _ in range(5):
        signed_in_client.post(reverse("mfa:totp_remove"), {"password": "wrong-password-1"})
    signed_in_client.post(reverse("mfa:totp_remove"), {"password": TEST_PASSWORD})
    assert TotpDevice.objects.filter(user=user).exists()


def test_regenerating_codes_needs_the_password_and_replaces_them(signed_in_client, user):
    enrol_totp(signed_in_client, user)
    old = signed_in_client.get(SECURITY).context["fresh_codes"]
    signed_in_client.post(reverse("mfa:recovery_codes"), {"password": "wrong-password-1"})
    assert signed_in_client.get(SECURITY).context["fresh_codes"] is None
    signed_in_client.post(reverse("mfa:recovery_codes"), {"password": TEST_PASSWORD})
    new = signed_in_client.get(SECURITY).context["fresh_codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert RecoveryCode.objects.filter(user=user).count() == 10


def test_a_registration_answer_from_another_origin_is_refused(signed_in_client, user):
    authenticator = SoftAuthenticator()
    options = signed_in_client.post(reverse("mfa:register_options")).json()
    assert options["authenticatorSelection"]["residentKey"] == "required"
    answer = authenticator.create(options, origin="https://evil.example")
    response = post_json(signed_in_client, reverse("mfa:register"), {"name": "x", "credential": answer})
    assert response.status_code == 400 and not Passkey.objects.exists()


def test_hostile_registration_bodies_are_400s(signed_in_client):
    for body in [b"", b"[]", b'{"credential": []}', b'{"credential": {}, "name": 5}', b'{"credential": {"id": "x"}}']:
        signed_in_client.post(reverse("mfa:register_options"))
        response = signed_in_client.post(reverse("mfa:register"), data=body, content_type="application/json")
        assert response.status_code == 400, body
    long_name = {"credential": {"id": "x"}, "name": "<b>" * 100}
    signed_in_client.post(reverse("mfa:register_options"))
    response = signed_in_client.post(reverse("mfa:register"), data=long_name, content_type="application/json")
    assert response.status_code == 400


def test_the_same_passkey_cannot_be_registered_twice(signed_in_client, stranger_client):
    authenticator = enrol_passkey(signed_in_client)
    options = stranger_client.post(reverse("mfa:register_options")).json()
    response = post_json(
        stranger_client, reverse("mfa:register"), {"name": "x", "credential": authenticator.create(options)}
    )
    assert response.status_code == 400 and Passkey.objects.count() == 1


def test_a_verified_session_is_marked_after_enrolment(signed_in_client, user):
    enrol_totp(signed_in_client, user)
    assert signed_in_client.session[flow.VERIFIED_KEY]["method"] == "enrolment"
    assert totp.DIGITS == 6


def test_support_removes_a_lost_passkey_in_the_admin_and_the_owner_is_told(
    client, user, stranger, django_capture_on_commit_callbacks
):
    owner = Client()
    owner.force_login(user)
    enrol_passkey(owner)
    passkey = Passkey.objects.get(user=user)
    stranger.is_staff = stranger.is_superuser = True
    stranger.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(stranger)
    session = client.session
    session[flow.VERIFIED_KEY] = {"method": "passkey", "at": 0}  # support passed their own second factor
    session.save()
    page = client.get(reverse("admin:mfa_passkey_change", args=[passkey.pk]))
    assert page.status_code == 200 and "public_key" not in page.content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:mfa_passkey_delete", args=[passkey.pk]), {"post": "yes"})
    assert response.status_code == 302 and not Passkey.objects.filter(pk=passkey.pk).exists()
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert "A passkey was removed" in mail.outbox[0].body
