"""The proof-of-work check and the pass it earns (the idea of Anubis, built here).

A client without a valid pass gets a small page whose script finds a nonce such that
SHA-256("<challenge>:<nonce>") starts with SHIELD_CHALLENGE_BITS zero bits; the answer earns a pass
cookie for SHIELD_PASS_SECONDS, bound to the client's network (/24 or /48) and User-Agent. A
browser pays a fraction of a second once a day; a scraper pays it per pass, and every pass is
budgeted like an address.

The pass is `<signature>.<expires>` with signature = base64url(MD5("<expires><network><user agent>
<secret>")): the format of nginx's `secure_link_md5`, so the edge can check passes with the same
secret before a cached page or a file is served. MD5 is what nginx offers there; the secret comes
last and the message is short, which keeps it out of reach of length extension.

Every check takes `now` from its caller (a clock the tests set), never the wall clock itself.
"""

import base64
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache

from atelier.protection.shield.refusals import network_of

PASS_COOKIE = "atelier_pass"  # noqa: S105 - a cookie name
CHALLENGE_SECONDS = 300  # time to solve one puzzle
_SALT = "atelier.shield.challenge"


def edge_secret() -> str:
    """The secret the app and the edge share: SHIELD_EDGE_SECRET, or one derived from SECRET_KEY."""
    return settings.SHIELD_EDGE_SECRET or _derived_secret(settings.SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _derived_secret(secret_key: str) -> str:
    """Derived once per process and key (every page checks a pass with it)."""
    return hmac.new(secret_key.encode(), b"atelier-shield-edge", hashlib.sha256).hexdigest()


def pass_signature(*, expires: int, network: str, user_agent: str) -> str:
    return _signature(expires, network, user_agent, edge_secret())


def _signature(expires: int, network: str, user_agent: str, secret: str) -> str:
    text = f"{expires}{network}{user_agent} {secret}"
    digest = hashlib.md5(text.encode("utf-8", "surrogateescape")).digest()  # noqa: S324 - nginx secure_link_md5
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def mint_pass(*, address: str, user_agent: str, now: float) -> tuple[str, int]:
    """A pass cookie value for this client, and its lifetime in seconds."""
    lifetime = settings.SHIELD_PASS_SECONDS
    expires = int(now) + lifetime
    signature = pass_signature(expires=expires, network=network_of(address), user_agent=user_agent)
    return f"{signature}.{expires}", lifetime


def pass_holder(value: str | None, *, address: str, user_agent: str, now: float) -> str | None:
    """The pass's signature (what budgets count per pass) when `value` is a valid, unexpired pass
    for this client's network and User-Agent; None otherwise."""
    if not value or value.count(".") != 1:
        return None
    signature, expires_text = value.split(".")
    if not expires_text.isdigit() or int(expires_text) <= now:
        return None
    signed = _signed_here(signature, int(expires_text), network_of(address), user_agent, edge_secret())
    return signature if signed else None


@functools.lru_cache(maxsize=256)
def _signed_here(signature: str, expires: int, network: str, user_agent: str, secret: str) -> bool:
    """Whether we signed this pass for this network and agent. A browser sends the same pass on every
    request of its day, so each worker verifies a (pass, network, agent) once and then remembers the
    answer; the expiry is still compared on every request (above), and a new secret is a new key.
    A flood of made-up passes only turns this small cache over."""
    return hmac.compare_digest(signature, _signature(expires, network, user_agent, secret))


@dataclass(frozen=True)
class Challenge:
    token: str
    bits: int


def new_challenge(*, address: str, user_agent: str, now: float) -> Challenge:
    """A signed, single-use puzzle for this client, valid CHALLENGE_SECONDS from `now`."""
    payload = {
        "n": secrets.token_urlsafe(12),
        "t": int(now),
        "c": _client_digest(address, user_agent),
        "b": settings.SHIELD_CHALLENGE_BITS,
    }
    return Challenge(token=signing.dumps(payload, salt=_SALT, compress=False), bits=payload["b"])


class ChallengeFailed(ValueError):
    """The answer does not earn a pass; the message says why, for the check page."""


def check_answer(*, token: str, nonce: str, address: str, user_agent: str, now: float) -> None:
    """Accept a solved puzzle once: signed by us, for this client, recent, and with enough leading
    zero bits. Raises ChallengeFailed otherwise."""
    try:
        payload = signing.loads(token, salt=_SALT)
    except signing.BadSignature as error:
        raise ChallengeFailed("This check was not issued here. Reload the page to get a new one.") from error
    if not isinstance(payload, dict) or not {"n", "t", "c", "b"} <= payload.keys():
        raise ChallengeFailed("This check was not issued here. Reload the page to get a new one.")
    if not (0 <= now - payload["t"] <= CHALLENGE_SECONDS):
        raise ChallengeFailed("This check expired. Reload the page to get a new one.")
    if not hmac.compare_digest(str(payload["c"]), _client_digest(address, user_agent)):
        raise ChallengeFailed("This check was issued to another browser or network.")
    if len(nonce) > 32 or not nonce.isdigit():
        raise ChallengeFailed("The answer is not a number.")
    if leading_zero_bits(hashlib.sha256(f"{token}:{nonce}".encode()).digest()) < int(payload["b"]):
        raise ChallengeFailed("The answer does not solve the check.")
    # Single use: a solved puzzle shared between scrapers earns one pass, not one each.
    if not cache.add(f"shield:challenge-used:{payload['n']}", 1, timeout=CHALLENGE_SECONDS * 2):
        raise ChallengeFailed("This check was already used. Reload the page to get a new one.")


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte:
            return bits + 8 - byte.bit_length()
        bits += 8
    return bits


def _client_digest(address: str, user_agent: str) -> str:
    return hashlib.sha256(f"{network_of(address)}\n{user_agent}".encode("utf-8", "surrogateescape")).hexdigest()[:24]
