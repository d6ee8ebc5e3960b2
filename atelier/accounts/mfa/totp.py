"""Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP): HMAC-SHA-1, 6 digits, 30-second
steps, one step of drift either way — what every authenticator app shows by default.

Pure functions of a secret and a time: the caller passes the time, so tests pick it instead of
waiting for it.
"""

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
SECRET_BYTES = 20  # 160 bits, the length RFC 4226 recommends for HMAC-SHA-1


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def step_at(at: float) -> int:
    return int(at // STEP_SECONDS)


def code_for_step(secret: bytes, step: int) -> str:
    """RFC 4226 §5.3: HMAC the big-endian counter, take 31 bits at the offset of the last nibble."""
    digest = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def normalise_code(typed: str) -> str | None:
    """The six digits a person typed, allowing spaces and a dash ("123 456"); None for anything else."""
    digits = "".join(typed.split()).replace("-", "")
    return digits if len(digits) == DIGITS and digits.isascii() and digits.isdigit() else None


def matching_step(secret: bytes, typed: str, *, at: float) -> int | None:
    """The step whose code was typed, within the allowed drift of `at`; None when none matches.
    Every candidate is compared in constant time, and all are always computed."""
    code = normalise_code(typed)
    if code is None:
        return None
    now = step_at(at)
    found = None
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_for_step(secret, step), code):
            found = step
    return found


def secret_text(secret: bytes) -> str:
    """The secret as authenticator apps take it when typed: base32 without padding."""
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def provisioning_uri(secret: bytes, *, account: str, issuer: str) -> str:
    """The otpauth:// URI a QR code carries (Google Authenticator's Key Uri Format)."""
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode(
        {"secret": secret_text(secret), "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP_SECONDS}
    )
    return f"otpauth://totp/{label}?{query}"
