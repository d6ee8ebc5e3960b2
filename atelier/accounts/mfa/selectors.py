"""Reading what second factors a person has, and whether their role demands one."""

from atelier.accounts.mfa.models import Passkey, RecoveryCode, TotpDevice

# The moderation app's permission, named by its string so accounts never imports moderation.
REVIEW_PERMISSION = "moderation.review_case"


def requires_second_factor(user) -> bool:
    """Staff and moderators can take down anyone's work: a password alone is not enough for them."""
    return bool(user.is_authenticated and (user.is_staff or user.has_perm(REVIEW_PERMISSION)))


def has_totp(user) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def has_second_factor(user) -> bool:
    return Passkey.objects.filter(user=user).exists() or has_totp(user)


def passkeys_of(user) -> list[Passkey]:
    return list(Passkey.objects.filter(user=user))


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def security_overview(user) -> dict:
    """Everything the security settings page shows, in three queries."""
    return {
        "passkeys": passkeys_of(user),
        "totp": TotpDevice.objects.filter(user=user).first(),
        "recovery_codes_left": recovery_codes_left(user),
    }
