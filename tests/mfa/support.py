"""Steps the second-factor tests share: enrolling through the real views, and signing in."""

import json
import time

from django.urls import reverse

from atelier.accounts.mfa import sealing, totp
from atelier.accounts.mfa.models import TotpDevice
from tests.conftest import TEST_PASSWORD
from tests.mfa.soft_authenticator import SoftAuthenticator


def post_json(client, url: str, body) -> object:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def enrol_passkey(client, *, name: str = "Laptop") -> SoftAuthenticator:
    """Register a passkey through the settings endpoints, as the page's script does."""
    authenticator = SoftAuthenticator()
    options = client.post(reverse("mfa:register_options")).json()
    response = post_json(client, reverse("mfa:register"), {"name": name, "credential": authenticator.create(options)})
    assert response.status_code == 200, response.content
    return authenticator


def enrol_totp(client, user, *, at: float | None = None) -> bytes:
    """Set up an authenticator app through the settings page; returns the secret the QR code carried."""
    assert client.get(reverse("mfa:totp_enrol")).status_code == 200
    secret = sealing.unseal(TotpDevice.objects.get(user=user).sealed_secret)
    code = totp.code_for_step(secret, totp.step_at(time.time() if at is None else at))
    response = client.post(reverse("mfa:totp_enrol"), {"totp-code": code})
    assert response.status_code == 302, response.content
    return secret


def password_step(client, identifier: str, **extra):
    return client.post(reverse("accounts:login"), {"identifier": identifier, "password": TEST_PASSWORD, **extra})


def signed_in_as(client) -> str | None:
    return client.session.get("_auth_user_id")


def current_code(secret: bytes, *, offset_steps: int = 0) -> str:
    return totp.code_for_step(secret, totp.step_at(time.time()) + offset_steps)
