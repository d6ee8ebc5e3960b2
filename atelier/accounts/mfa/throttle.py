"""Budgets for guessing second factors, on the shared rate-limit counters (atelier.core.ratelimit).

A six-digit code has a million values and three are valid at a time, so guesses are counted per
account and per address; recovery codes are tighter still, because they are the lost-device path an
attacker with a stolen password would try.
"""

from atelier.core.ratelimit import RateLimit, RateLimited

CODE_PER_ACCOUNT = RateLimit("mfa-code-account", 5, 900)
CODE_PER_IP = RateLimit("mfa-code-ip", 30, 900)
RECOVERY_PER_ACCOUNT = RateLimit("mfa-recovery-account", 3, 3600)
RECOVERY_PER_IP = RateLimit("mfa-recovery-ip", 10, 3600)
PASSKEY_PER_IP = RateLimit("mfa-passkey-ip", 30, 900)
REAUTH_PER_ACCOUNT = RateLimit("mfa-reauth-account", 5, 900)


def check(*limits: tuple[RateLimit, str]) -> None:
    """Refuse before any work when a budget is spent."""
    for limit, key in limits:
        if limit.is_exceeded(key):
            raise RateLimited(
                f"Too many attempts. Try again in {max(1, limit.retry_after() // 60)} minute(s).", limit.retry_after()
            )


def spend(*limits: tuple[RateLimit, str]) -> None:
    for limit, key in limits:
        limit.hit(key)
