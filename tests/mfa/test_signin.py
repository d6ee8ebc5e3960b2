"""Signing in with a second factor: the password step hands over, codes, recovery codes and passkeys
complete it; every hostile answer is a clear 4xx."""

import json
import logging

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from atelier.accounts.mfa import flow, services
from atelier.accounts.mfa.models import Passkey, RecoveryCode
from tests.mfa.soft_authenticator import UP, SoftAuthenticator
from tests.mfa.support import current_code, enrol_passkey, enrol_totp, password_step, post_json, signed_in_as

CHALLENGE = reverse("mfa:challenge")


@pytest.fixture
def totp_user(user, client):
    client.force_login(user)
    secret = enrol_totp(client, user)
    client.logout()
    return user, secret


def test_without_a_second_factor_the_password_signs_in(client, user):
    response = password_step(client, "mira")
    assert response.status_code == 302 and response.url == "/"  # to the feed
    assert signed_in_as(client) == str(user.pk)


def test_with_totp_the_password_alone_does_not_sign_in(client, totp_user):
    user, secret = totp_user
    response = password_step(client, "mira", next="/settings/account/")
    assert response.status_code == 302 and response.url == CHALLENGE
    assert signed_in_as(client) is None
    page = client.get(CHALLENGE)
    assert page.status_code == 200 and "Code from your authenticator app" in page.content.decode()
    response = client.post(CHALLENGE, {"totp-code": current_code(secret, offset_steps=1)})
    assert response.status_code == 302 and response.url == "/settings/account/"
    assert signed_in_as(client) == str(user.pk)
    assert client.session[flow.VERIFIED_KEY]["method"] == "totp"


def test_a_wrong_code_is_a_400_and_five_make_a_429(client, totp_user):
    password_step(client, "mira")
    for _ in range(5):
        response = client.post(CHALLENGE, {"totp-code": "000000"})
        assert response.status_code == 400
    response = client.post(CHALLENGE, {"totp-code": "000000"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert signed_in_as(client) is None


@pytest.mark.parametrize("typed", ["", "<script>alert(1)</script>", "9" * 5000, "１２３４５６"])
def test_hostile_codes_are_refused_plainly(client, totp_user, typed):
    password_step(client, "mira")
    response = client.post(CHALLENGE, {"totp-code": typed})
    assert response.status_code == 400
    assert "<script>alert" not in response.content.decode()


def test_the_challenge_without_a_password_step_sends_back_to_login(client, db):
    response = client.get(CHALLENGE)
    assert response.status_code == 302 and response.url == reverse("accounts:login")
    response = client.post(CHALLENGE, {"totp-code": "123456"})
    assert response.status_code == 302


def test_a_pending_sign_in_expires_after_five_minutes(client, totp_user):
    _, secret = totp_user
    password_step(client, "mira")
    session = client.session
    session[flow.PENDING_KEY]["since"] -= flow.PENDING_SECONDS + 1
    session.save()
    response = client.post(CHALLENGE, {"totp-code": current_code(secret, offset_steps=1)})
    assert response.status_code == 302 and response.url == reverse("accounts:login")
    assert signed_in_as(client) is None


def test_the_next_address_cannot_leave_the_site(client, totp_user):
    _, secret = totp_user
    password_step(client, "mira", next="https://evil.example/")
    response = client.post(CHALLENGE, {"totp-code": current_code(secret, offset_steps=1)})
    assert response.url == "/"  # the feed, never the other site


# --- Recovery codes: the lost-device path


def _codes_for(client, user) -> list[str]:
    client.force_login(user)
    flow_session = client.session
    flow_session[flow.VERIFIED_KEY] = {"method": "test", "at": 0}
    flow_session.save()
    client.post(reverse("mfa:recovery_codes"), {"password": "a-long-test-password-42"})
    codes = client.get(reverse("mfa:security")).context["fresh_codes"]
    client.logout()
    return codes


def test_a_recovery_code_signs_in_once_is_logged_and_mailed(
    client, totp_user, caplog, django_capture_on_commit_callbacks
):
    user, _ = totp_user
    codes = _codes_for(client, user)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert RecoveryCode.objects.filter(user=user).count() == 10
    assert not RecoveryCode.objects.filter(code_hash__in=codes).exists()  # stored hashed only
    mail.outbox.clear()
    password_step(client, "mira")
    with caplog.at_level(logging.WARNING, logger="atelier.mfa"), django_capture_on_commit_callbacks(execute=True):
        response = client.post(CHALLENGE, {"recovery-recovery_code": codes[3].upper()})
    assert response.status_code == 302 and signed_in_as(client) == str(user.pk)
    assert any(record.msg == "mfa.recovery_code.used" for record in caplog.records)
    assert [m.subject for m in mail.outbox] == ["A recovery code was used on your Atelier account"]
    assert "9 unused codes left" in mail.outbox[0].body
    client.logout()
    password_step(client, "mira")
    response = client.post(CHALLENGE, {"recovery-recovery_code": codes[3]})
    assert response.status_code == 400 and signed_in_as(client) is None


def test_recovery_codes_are_limited_to_three_tries_an_hour(client, totp_user):
    user, _ = totp_user
    codes = _codes_for(client, user)
    password_step(client, "mira")
    for _ in range(3):
        assert client.post(CHALLENGE, {"recovery-recovery_code": "aaaa-bbbb-cccc-dddd"}).status_code == 400
    # Even the right code is refused once the budget is spent: guessing gains nothing.
    response = client.post(CHALLENGE, {"recovery-recovery_code": codes[0]})
    assert response.status_code == 429 and signed_in_as(client) is None
    assert RecoveryCode.objects.filter(user=user, used_at__isnull=False).count() == 0


# --- Passkeys


@pytest.fixture
def passkey_user(user, client):
    client.force_login(user)
    authenticator = enrol_passkey(client)
    client.logout()
    return user, authenticator


def _passkey_sign_in(client, authenticator, **get_kwargs):
    options = client.post(reverse("mfa:signin_options")).json()
    return post_json(client, reverse("mfa:signin_verify"), authenticator.get(options, **get_kwargs))


def test_a_passkey_signs_in_without_a_handle(client, passkey_user):
    user, authenticator = passkey_user
    options = client.post(reverse("mfa:signin_options")).json()
    assert options["allowCredentials"] == [] and options["userVerification"] == "required"
    response = post_json(client, reverse("mfa:signin_verify"), authenticator.get(options))
    assert response.status_code == 200 and response.json() == {"redirect": "/@mira"}
    assert signed_in_as(client) == str(user.pk)
    passkey = Passkey.objects.get(user=user)
    assert passkey.sign_count == 1 and passkey.last_used_at is not None


def test_a_passkey_is_the_second_step_after_a_password(client, passkey_user):
    user, authenticator = passkey_user
    assert password_step(client, "mira").url == CHALLENGE
    options = client.post(reverse("mfa:signin_options")).json()
    assert len(options["allowCredentials"]) == 1
    response = post_json(client, reverse("mfa:signin_verify"), authenticator.get(options))
    assert response.status_code == 200 and signed_in_as(client) == str(user.pk)


def test_a_sign_count_that_does_not_go_up_is_refused(client, passkey_user):
    _, authenticator = passkey_user
    assert _passkey_sign_in(client, authenticator, count=7).status_code == 200
    client.logout()
    response = _passkey_sign_in(client, authenticator, count=7)  # a cloned authenticator repeats its count
    assert response.status_code == 400 and signed_in_as(client) is None
    assert Passkey.objects.get().sign_count == 7


def test_an_answer_from_another_origin_or_without_verification_is_refused(client, passkey_user):
    _, authenticator = passkey_user
    assert _passkey_sign_in(client, authenticator, origin="https://evil.example").status_code == 400
    assert _passkey_sign_in(client, authenticator, flags=UP).status_code == 400
    assert signed_in_as(client) is None


def test_a_challenge_answers_only_once(client, passkey_user):
    _, authenticator = passkey_user
    options = client.post(reverse("mfa:signin_options")).json()
    answer = authenticator.get(options)
    assert post_json(client, reverse("mfa:signin_verify"), answer).status_code == 200
    client.logout()
    assert post_json(client, reverse("mfa:signin_verify"), answer).status_code == 400


def test_an_unknown_passkey_and_someone_elses_are_refused(client, passkey_user, stranger):
    _, authenticator = passkey_user
    assert _passkey_sign_in(client, SoftAuthenticator()).status_code == 400
    # The stranger passes their password step, then offers the first user's passkey: not theirs.
    services.totp_begin(user=stranger)
    secret = services.totp_pending_secret(user=stranger)
    assert services.totp_confirm(user=stranger, code=current_code(secret))
    stranger_client = Client()
    assert password_step(stranger_client, "ossian").url == CHALLENGE
    response = _passkey_sign_in(stranger_client, authenticator)
    assert response.status_code == 400 and signed_in_as(stranger_client) is None


def test_a_deactivated_account_cannot_use_its_passkey(client, passkey_user):
    user, authenticator = passkey_user
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert _passkey_sign_in(client, authenticator).status_code == 400
    assert signed_in_as(client) is None


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'"text"',
        b"{}",
        b'{"id": 1}',
        json.dumps({"id": "x", "rawId": "!!!", "response": {}, "type": "public-key"}).encode(),
        json.dumps(
            {
                "id": "a",
                "rawId": "a",
                "type": "public-key",
                "response": {"clientDataJSON": "%%", "authenticatorData": "a", "signature": "a"},
            }
        ).encode(),
        b"{" * 20000,
    ],
)
def test_garbage_answers_are_400s(client, passkey_user, body):
    client.post(reverse("mfa:signin_options"))
    response = client.post(reverse("mfa:signin_verify"), data=body, content_type="application/json")
    assert response.status_code in (400, 413)
    assert "error" in response.json()


def test_passkey_guesses_are_rate_limited(client, passkey_user):
    for _ in range(30):
        client.post(reverse("mfa:signin_options"))
        post_json(client, reverse("mfa:signin_verify"), {})
    response = post_json(client, reverse("mfa:signin_verify"), {})
    assert response.status_code == 429 and response["Retry-After"]


def test_options_need_a_post_with_csrf(db):
    csrf_client = Client(enforce_csrf_checks=True)
    assert csrf_client.get(reverse("mfa:signin_options")).status_code == 405
    assert csrf_client.post(reverse("mfa:signin_options")).status_code == 403


def test_services_refuse_reused_recovery_codes_directly(user):
    codes = services.recovery_codes_generate(user=user)
    assert services.recovery_code_use(user=user, typed=codes[0], ip="203.0.113.9")
    assert not services.recovery_code_use(user=user, typed=codes[0], ip="203.0.113.9")
    assert not services.recovery_code_use(user=user, typed="", ip="203.0.113.9")
    # New codes replace the old ones entirely.
    fresh = services.recovery_codes_generate(user=user)
    assert not services.recovery_code_use(user=user, typed=codes[1], ip="203.0.113.9")
    assert services.recovery_code_use(user=user, typed=fresh[1], ip="203.0.113.9")
