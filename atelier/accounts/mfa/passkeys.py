"""WebAuthn ceremonies with the `webauthn` package: registering a passkey and signing in with one.

The browser's JSON (base64url fields, WebAuthn Level 3 `toJSON()` shape) is parsed and verified
here; the relying party (its id and origin) comes from the request's host, which Django has already
checked against ALLOWED_HOSTS, or from WEBAUTHN_RP_ID when the site answers on several names.
Every refusal is a `PasskeyRefused` with a reason in words; nothing else escapes from bad input.
"""

import binascii
import json
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import webauthn
from django.db import transaction
from django.utils import timezone
from webauthn.helpers import bytes_to_base64url, parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from atelier.accounts.mfa.models import Passkey
from atelier.core.email import queue_templated_email

log = logging.getLogger("atelier.mfa")

MAX_CREDENTIAL_JSON = 16 * 1024
_KNOWN_TRANSPORTS = {transport.value for transport in AuthenticatorTransport}


class PasskeyRefused(Exception):
    """The browser's answer does not prove what it should; the message is safe to show."""


@dataclass(frozen=True)
class RelyingParty:
    id: str
    origin: str
    name: str


def user_handle(user) -> bytes:
    """WebAuthn's user.id: opaque bytes, no email or handle (authenticators may show or sync it)."""
    return user.pk.to_bytes(8, "big")


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    transports = [AuthenticatorTransport(t) for t in passkey.transports if t in _KNOWN_TRANSPORTS]
    return PublicKeyCredentialDescriptor(id=bytes(passkey.credential_id), transports=transports or None)


def registration_options(*, user, rp: RelyingParty) -> tuple[str, bytes]:
    """Options for navigator.credentials.create() as JSON, and the challenge to keep in the session.
    A discoverable credential (resident key) is required so it can sign in without a handle."""
    options = webauthn.generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=user_handle(user),
        user_name=user.handle,
        user_display_name=f"@{user.handle}",
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED
        ),
        exclude_credentials=[_descriptor(passkey) for passkey in Passkey.objects.filter(user=user)],
    )
    return webauthn.options_to_json(options), options.challenge


def _as_object(credential_json: str) -> dict:
    if len(credential_json) > MAX_CREDENTIAL_JSON:
        raise PasskeyRefused("That passkey answer is too large.")
    try:
        value = json.loads(credential_json)
    except ValueError as error:
        raise PasskeyRefused("That passkey answer is not readable.") from error
    if not isinstance(value, dict):
        raise PasskeyRefused("That passkey answer is not readable.")
    return value


def registration_verify(*, user, credential_json: str, challenge: bytes, rp: RelyingParty, name: str) -> Passkey:
    """Check the authenticator's attestation against the challenge we issued, then store the key."""
    credential = _as_object(credential_json)
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_origin=rp.origin,
            expected_rp_id=rp.id,
            require_user_verification=True,
        )
    except (WebAuthnException, binascii.Error, ValueError, TypeError, KeyError) as error:
        raise PasskeyRefused("The passkey could not be verified. Try again.") from error
    response = credential.get("response")
    transports = response.get("transports") if isinstance(response, dict) else None
    transports = [t for t in transports if t in _KNOWN_TRANSPORTS][:8] if isinstance(transports, list) else []
    with transaction.atomic():
        if Passkey.objects.filter(credential_id=verified.credential_id).exists():
            raise PasskeyRefused("This passkey is already registered.")
        passkey = Passkey.objects.create(
            user=user,
            credential_id=verified.credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=transports,
            name=name.strip()[:60] or "Passkey",
        )
    log.info("mfa.passkey.added", extra={"user_id": user.pk, "passkey_id": passkey.pk})
    queue_templated_email(
        template="accounts/email/mfa_changed",
        context={"user": user, "event": f"A passkey named “{passkey.name}” was added to your account."},
        to=user.email,
    )
    return passkey


def authentication_options(*, rp: RelyingParty, user=None) -> tuple[str, bytes]:
    """Options for navigator.credentials.get(). Without a user: any discoverable passkey for this
    site (the browser offers the person's own); with one: only that person's passkeys."""
    allow = [_descriptor(passkey) for passkey in Passkey.objects.filter(user=user)] if user is not None else []
    options = webauthn.generate_authentication_options(
        rp_id=rp.id, allow_credentials=allow, user_verification=UserVerificationRequirement.REQUIRED
    )
    return webauthn.options_to_json(options), options.challenge


def authentication_verify(*, credential_json: str, challenge: bytes, rp: RelyingParty, user=None) -> Passkey:
    """The passkey that signed our challenge, after checking the signature, the origin, user
    verification and that its sign count went up. With `user`, the passkey must be theirs."""
    credential = _as_object(credential_json)
    try:
        parsed = parse_authentication_credential_json(credential)
    except (WebAuthnException, binascii.Error, ValueError, TypeError) as error:
        raise PasskeyRefused("That passkey answer is not readable.") from error
    with transaction.atomic():
        passkey = (
            Passkey.objects.select_for_update()
            .select_related("user")
            .filter(credential_id=parsed.raw_id, user__is_active=True)
            .first()
        )
        if passkey is None or (user is not None and passkey.user_id != user.pk):
            raise PasskeyRefused("This passkey is not registered here.")
        if parsed.response.user_handle is not None and parsed.response.user_handle != user_handle(passkey.user):
            raise PasskeyRefused("This passkey is not registered here.")
        try:
            verified = webauthn.verify_authentication_response(
                credential=parsed,
                expected_challenge=challenge,
                expected_rp_id=rp.id,
                expected_origin=rp.origin,
                credential_public_key=bytes(passkey.public_key),
                credential_current_sign_count=passkey.sign_count,
                require_user_verification=True,
            )
        except (WebAuthnException, binascii.Error, ValueError, TypeError) as error:
            log.warning("mfa.passkey.refused", extra={"passkey_id": passkey.pk, "reason": str(error)[:200]})
            raise PasskeyRefused("The passkey could not be verified. Try again.") from error
        passkey.sign_count = verified.new_sign_count
        passkey.last_used_at = timezone.now()
        passkey.save(update_fields=["sign_count", "last_used_at"])
    return passkey


def credential_id_text(passkey: Passkey) -> str:
    return bytes_to_base64url(bytes(passkey.credential_id))


def relying_party_for(request, *, rp_id: str, name: str) -> RelyingParty:
    """The relying party this request speaks for: the request's host (already checked against
    ALLOWED_HOSTS by Django) unless `rp_id` is configured, and the origin the browser must report."""
    host = request.get_host()
    hostname = urlsplit(f"//{host}").hostname or host
    return RelyingParty(id=rp_id or hostname, origin=f"{request.scheme}://{host}", name=name)
