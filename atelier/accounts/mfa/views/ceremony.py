"""What the sign-in and the settings views share: the WebAuthn relying party, the challenge kept in
the session (single use, two minutes), JSON answers, and where a `next` may lead."""

import time

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.http import url_has_allowed_host_and_scheme
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from atelier.accounts.mfa import passkeys

CHALLENGE_KEY = "mfa_webauthn"
CHALLENGE_SECONDS = 120


def relying_party(request) -> passkeys.RelyingParty:
    return passkeys.relying_party_for(request, rp_id=settings.WEBAUTHN_RP_ID, name=settings.SITE_NAME)


def remember_challenge(request, challenge: bytes, *, purpose: str) -> None:
    request.session[CHALLENGE_KEY] = {
        "challenge": bytes_to_base64url(challenge),
        "purpose": purpose,
        "since": int(time.time()),
    }


def take_challenge(request, *, purpose: str) -> bytes:
    """The challenge issued for this purpose, removed so it can answer only once."""
    issued = request.session.pop(CHALLENGE_KEY, None)
    if (
        not isinstance(issued, dict)
        or issued.get("purpose") != purpose
        or time.time() - issued.get("since", 0) > CHALLENGE_SECONDS
    ):
        raise passkeys.PasskeyRefused("The passkey request expired. Try again.")
    return base64url_to_bytes(issued["challenge"])


def options_response(options_json: str) -> HttpResponse:
    response = HttpResponse(options_json, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def refusal(message: str, status: int = 400, retry_after: int | None = None) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def safe_target(request, target: str, fallback: str) -> str:
    """`target` when it stays on this site (a `next` from a query string or the session), else `fallback`."""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback
