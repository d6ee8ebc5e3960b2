"""Signed, expiring links for confirming an email address (at sign-up and on change).

The token carries the user id and the address being confirmed; it is only valid while that is
still the address on the account (or the pending new one), so an old link cannot be replayed.
"""

from django.conf import settings
from django.core import signing

_SALT = "atelier.accounts.email-confirmation"


def make_email_token(*, user_id: int, email: str) -> str:
    return signing.dumps({"u": user_id, "e": email}, salt=_SALT, compress=True)


def read_email_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("e"), str):
        return None
    return data["u"], data["e"]
