"""Sealing TOTP secrets at rest: a database dump alone does not let anyone mint codes.

The key is derived from SECRET_KEY (HKDF with its own label, so it is never the key Django signs
with); secrets sealed under a key in SECRET_KEY_FALLBACKS still open after a rotation.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_LABEL = b"atelier.mfa.totp-secret"


class SealBroken(Exception):
    """The sealed secret does not open with the current or a fallback key."""


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LABEL).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _box() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(key) for key in keys])


def seal(secret: bytes) -> str:
    return _box().encrypt(secret).decode("ascii")


def unseal(sealed: str) -> bytes:
    try:
        return _box().decrypt(sealed.encode("ascii"))
    except (InvalidToken, ValueError) as error:
        raise SealBroken("The authenticator secret cannot be opened with this site's keys.") from error
