"""The secret key that signs sessions, email links, password resets and media URLs.

Production takes it from SECRET_KEY and refuses to start with a weak or published one. The embedded
default (`bin/serve`) makes a random key on first run, in var/secret_key (mode 0600, never in git),
and reads it back afterwards, so every process of one instance agrees and a restart signs nobody
out; a SECRET_KEY in the environment still wins. A key anyone can read in this repository's history
would let an outsider forge confirmation links and media signatures, so it is refused everywhere.
"""

import contextlib
import hashlib
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

MIN_LENGTH = 50
MIN_DISTINCT_CHARACTERS = 5
# SHA-256 of keys published in this repository (the embedded default's old fixed key), so the list
# itself does not hand them out again.
PUBLISHED_KEY_HASHES = frozenset({"9ad96c68943b299c1675f5a952a2babf07e2cdd48187404becb2d010f1e02353"})
FILE_NAME = "secret_key"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def secret_key_refusal(key: str) -> str | None:
    """Why `key` may not sign anything, or None when it may."""
    if not key.strip():
        return "it is empty"
    if _digest(key) in PUBLISHED_KEY_HASHES or key.startswith(("insecure-", "django-insecure-")):
        return "it is published (anyone could forge this instance's signatures)"
    if len(key) < MIN_LENGTH or len(set(key)) < MIN_DISTINCT_CHARACTERS:
        return f"it is too short or too plain (use {MIN_LENGTH}+ random characters)"
    return None


def _checked(key: str, where: str) -> str:
    reason = secret_key_refusal(key)
    if reason:
        raise ImproperlyConfigured(f"The SECRET_KEY in {where} is refused: {reason}.")
    return key


def embedded_secret_key(var_dir: Path) -> str:
    """SECRET_KEY from the environment when set, else the instance's own key from var/, made now
    (atomically: of two processes starting at once, one key wins and both use it)."""
    if os.environ.get("SECRET_KEY"):
        return _checked(os.environ["SECRET_KEY"], "the environment")
    path = Path(var_dir) / FILE_NAME
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{FILE_NAME}.{secrets.token_hex(8)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(64))
                file.flush()
                os.fsync(file.fileno())
            with contextlib.suppress(FileExistsError):  # another process made it first: theirs is kept
                os.link(draft, path)
        finally:
            draft.unlink(missing_ok=True)
    return _checked(path.read_text().strip(), str(path))
