"""Slowing down password guessing: failed sign-ins are counted per account and per address.

`sign_in_authenticate` is the one password check every sign-in form goes through (the site's and the
admin's), so no form can check a password without first asking the throttle and then counting.
"""

from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import Q

from atelier.core.client_address import client_ip
from atelier.core.ratelimit import RateLimit


class SignInThrottled(Exception):
    """Too many failed sign-ins for this account or from this address; `wait` seconds to go."""

    def __init__(self, wait: int):
        super().__init__(f"Too many failed sign-in attempts. Try again in {max(1, wait // 60)} minute(s).")
        self.wait = wait


def _limits() -> tuple[RateLimit, RateLimit]:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    return (
        RateLimit("login-fail-account", settings.LOGIN_FAILURES_PER_ACCOUNT, window),
        RateLimit("login-fail-ip", settings.LOGIN_FAILURES_PER_IP, window),
    )


def _account_key(identifier: str) -> str:
    """One counter per account, whether the person typed its email or its handle (otherwise each
    spelling would get its own allowance); the typed text itself for names no account has."""
    typed = identifier.strip().lstrip("@").lower()[:254]
    from atelier.accounts.models import User

    user_id = User.objects.filter(Q(email__iexact=typed) | Q(handle__iexact=typed)).values_list("pk", flat=True).first()
    return f"user:{user_id}" if user_id else f"name:{typed}"


def login_blocked_for(*, identifier: str, ip: str) -> int:
    """Seconds the caller must wait before trying again, or 0 when a sign-in may be attempted."""
    per_account, per_ip = _limits()
    waits = [
        limit.retry_after(key)
        for limit, key in ((per_account, _account_key(identifier)), (per_ip, ip))
        if limit.is_exceeded(key)
    ]
    return max(waits, default=0)


def sign_in_authenticate(request, *, identifier: str, password: str):
    """The user whose email or handle and password these are, or None (the failure is counted).
    Raises SignInThrottled, before any password is checked, while the account or the address is
    over its budget: then even the right password gets nothing."""
    ip = client_ip(request)
    wait = login_blocked_for(identifier=identifier, ip=ip)
    if wait:
        raise SignInThrottled(wait)
    user = authenticate(request, username=identifier, password=password)
    if user is None:
        login_failure_record(identifier=identifier, ip=ip)
        return None
    login_success_record(identifier=identifier)
    return user


def login_failure_record(*, identifier: str, ip: str) -> None:
    per_account, per_ip = _limits()
    per_account.hit(_account_key(identifier))
    per_ip.hit(ip)


def login_success_record(*, identifier: str) -> None:
    """A correct password clears that account's failure count (not the address's)."""
    per_account, _ = _limits()
    per_account.reset(_account_key(identifier))


def password_reset_allowed(*, email: str, ip: str) -> bool:
    """Reset emails are capped per address and per client, so nobody can flood someone's inbox."""
    per_email = RateLimit("reset-email", settings.PASSWORD_RESETS_PER_EMAIL_PER_HOUR, 3600)
    per_ip = RateLimit("reset-ip", settings.PASSWORD_RESETS_PER_IP_PER_HOUR, 3600)
    email_ok = per_email.hit(email.strip().lower()[:254]) <= per_email.limit
    ip_ok = per_ip.hit(ip) <= per_ip.limit
    return email_ok and ip_ok


def signup_allowed(*, ip: str) -> bool:
    limit = RateLimit("signup-ip", settings.SIGNUPS_PER_IP_PER_HOUR, 3600)
    return limit.hit(ip) <= limit.limit
