"""Who a request is, for budgets: an account, a browser holding a pass, or else only an address.

Budgets count on the most specific identity a request proves, so people sharing an address (a
studio, a campus, a carrier's NAT) don't share one budget with whoever else is behind it: a valid
session is budgeted on its account, a valid pass on that pass, and only a request proving neither
on its address. Both proofs are ours and can't be made up: a session exists only after a sign-in,
a pass only after a solved puzzle (shield.passes).

This runs before Django's session middleware (the gate refuses floods before they cost anything),
so it reads the session store itself: one cache read, and only for requests carrying a session
cookie. It reads the account's id and nothing else.
"""

from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY

from atelier.core.client_address import client_ip
from atelier.protection.shield.passes import PASS_COOKIE, pass_holder

_session_store = import_module(settings.SESSION_ENGINE).SessionStore


@dataclass(frozen=True)
class Identity:
    """`key` is what budgets count on: "user:<id>", "pass:<signature>" or "ip:<address>"."""

    key: str
    address: str
    user_id: str | None = None
    pass_signature: str | None = None
    pass_cookie_sent: bool = False

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None


def identify(request, *, now: float) -> Identity:
    address = client_ip(request)
    user_id = _signed_in_user_id(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
    cookie = request.COOKIES.get(PASS_COOKIE)
    holder = None
    if settings.SHIELD_CHALLENGE_BITS > 0 and cookie:
        holder = pass_holder(cookie, address=address, user_agent=request.META.get("HTTP_USER_AGENT", ""), now=now)
    if user_id is not None:
        key = f"user:{user_id}"
    elif holder is not None:
        key = f"pass:{holder}"
    else:
        key = f"ip:{address}"
    return Identity(key, address, user_id, holder, bool(cookie))


def _signed_in_user_id(session_key: str | None) -> str | None:
    """The account id of a live session, or None (no cookie, a malformed or expired one, signed out)."""
    if not session_key:
        return None
    user_id = _session_store(session_key).get(SESSION_KEY)
    return str(user_id) if user_id is not None else None
