"""Slowing down password guessing: failed sign-ins are counted per account and per address."""

from django.conf import settings

from atelier.core.ratelimit import RateLimit


def _limits() -> tuple[RateLimit, RateLimit]:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    return (
        RateLimit("login-fail-account", settings.LOGIN_FAILURES_PER_ACCOUNT, window),
        RateLimit("login-fail-ip", settings.LOGIN_FAILURES_PER_IP, window),
    )


def _account_key(identifier: str) -> str:
    return identifier.strip().lstrip("@").lower()[:254]


def login_blocked_for(*, identifier: str, ip: str) -> int:
    """Seconds the caller must wait before trying again, or 0 when a sign-in may be attempted."""
    per_account, per_ip = _limits()
    if per_account.is_exceeded(_account_key(identifier)) or per_ip.is_exceeded(ip):
        return per_account.retry_after()
    return 0


def login_failure_record(*, identifier: str, ip: str) -> None:
    per_account, per_ip = _limits()
    per_account.hit(_account_key(identifier))
    per_ip.hit(ip)


def login_success_record(*, identifier: str) -> None:
    """A correct password clears that account's failure count (not the address's)."""
    per_account, _ = _limits()
    per_account.reset(_account_key(identifier))


def signup_allowed(*, ip: str) -> bool:
    limit = RateLimit("signup-ip", settings.SIGNUPS_PER_IP_PER_HOUR, 3600)
    return limit.hit(ip) <= limit.limit
