"""Where a password sign-in hands over to the second factor, and how a session remembers it passed one.

After a correct password, a person with a second factor is not signed in yet: the session holds a
pending sign-in (who, which backend, where to go next, since when) for five minutes, and the
challenge page completes it. A session that passed a second factor — or signed in with a passkey,
which is one — is marked, and the staff gate (middleware.py) reads that mark.
"""

import time

from django.contrib.auth import get_user_model, login
from django.shortcuts import redirect

from atelier.accounts.mfa import selectors

PENDING_KEY = "mfa_pending"
VERIFIED_KEY = "mfa_verified"
FRESH_CODES_KEY = "mfa_fresh_codes"
PENDING_SECONDS = 300


def after_password(request, user, *, next_url: str):
    """The one hook of every password sign-in: sign in now, or ask for the second factor first."""
    if not selectors.has_second_factor(user):
        login(request, user)
        return redirect(next_url)
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": user.backend,
        "next": next_url,
        "since": int(time.time()),
    }
    return redirect("mfa:challenge")


def pending_user(request):
    """The person whose password was accepted and who still owes a second factor, or the signed-in
    person who has one but whose session has not passed it (a step up before the admin), or None."""
    if request.user.is_authenticated:
        return None if is_verified(request) else request.user
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("since", 0) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    return get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first()


def pending_next(request, fallback: str) -> str:
    pending = request.session.get(PENDING_KEY)
    return pending.get("next") or fallback if isinstance(pending, dict) else fallback


def complete(request, user, *, method: str, backend: str | None = None) -> None:
    """Sign the person in (unless they already are) and mark the session as having passed `method`."""
    pending = request.session.pop(PENDING_KEY, None)
    if not request.user.is_authenticated or request.user.pk != user.pk:
        chosen = backend or (pending or {}).get("backend") or "atelier.accounts.backends.EmailOrHandleBackend"
        login(request, user, backend=chosen)
    else:
        request.session.cycle_key()  # a step up is a change of privilege: a new session key
    mark_verified(request, method=method)


def mark_verified(request, *, method: str) -> None:
    request.session[VERIFIED_KEY] = {"method": method, "at": int(time.time())}


def is_verified(request) -> bool:
    return isinstance(request.session.get(VERIFIED_KEY), dict)
