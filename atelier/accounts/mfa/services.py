"""Writing second factors: TOTP enrolment and checks, recovery codes, removal, and the mails and log
lines that tell the owner when something changed. Passkey ceremonies are in passkeys.py."""

import hashlib
import logging
import secrets
import time

from django.db import transaction
from django.utils import timezone

from atelier.accounts.mfa import sealing, totp
from atelier.accounts.mfa.models import Passkey, RecoveryCode, TotpDevice
from atelier.core.email import queue_templated_email

log = logging.getLogger("atelier.mfa")

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper
_RECOVERY_LENGTH = 16  # 16 symbols of 31: 79 bits


class FactorError(Exception):
    """A second-factor action that cannot be done, with the reason in words for the person."""


def _tell_owner(*, user, event: str) -> None:
    """A mail after commit, so the owner learns of every change to how their account is guarded."""
    queue_templated_email(template="accounts/email/mfa_changed", context={"user": user, "event": event}, to=user.email)


# --- TOTP


def totp_begin(*, user) -> TotpDevice:
    """A fresh, unconfirmed authenticator secret; an earlier unconfirmed one is replaced. A confirmed
    authenticator must be removed first, so a stolen session cannot quietly swap it."""
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is not None and device.confirmed_at is not None:
            raise FactorError("Remove your current authenticator app before adding another.")
        sealed = sealing.seal(totp.new_secret())
        if device is None:
            return TotpDevice.objects.create(user=user, sealed_secret=sealed)
        device.sealed_secret, device.last_step = sealed, -1
        device.save(update_fields=["sealed_secret", "last_step"])
        return device


def totp_pending_secret(*, user) -> bytes | None:
    """The secret of an enrolment not yet confirmed: shown until the first code proves the app has it,
    never after."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    return sealing.unseal(device.sealed_secret) if device else None


def _accept_step(device: TotpDevice, typed: str, at: float) -> bool:
    """Accept the typed code once: the step must be newer than the last accepted one, written with a
    conditional update so two requests with the same code cannot both pass."""
    step = totp.matching_step(sealing.unseal(device.sealed_secret), typed, at=at)
    if step is None:
        return False
    return bool(
        TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step, last_used_at=timezone.now())
    )


def totp_confirm(*, user, code: str, at: float | None = None) -> bool:
    """Finish enrolment with a first code from the app."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    if device is None or not _accept_step(device, code, time.time() if at is None else at):
        return False
    TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
    log.info("mfa.totp.added", extra={"user_id": user.pk})
    _tell_owner(user=user, event="An authenticator app was added as a second factor.")
    return True


def totp_verify(*, user, code: str, at: float | None = None) -> bool:
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    return device is not None and _accept_step(device, code, time.time() if at is None else at)


def totp_remove(*, user) -> bool:
    removed, _ = TotpDevice.objects.filter(user=user).delete()
    if removed:
        log.info("mfa.totp.removed", extra={"user_id": user.pk})
        _tell_owner(user=user, event="The authenticator app was removed from your account.")
    return bool(removed)


# --- Recovery codes


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalise_recovery_code(typed: str) -> str:
    return "".join(ch for ch in typed.lower() if ch.isascii() and ch.isalnum())[:64]


def recovery_codes_generate(*, user) -> list[str]:
    """Ten new single-use codes replacing all earlier ones, returned once for the person to keep;
    only their hashes are stored."""
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH)) for _ in range(10)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=_recovery_hash(code)) for code in codes)
    log.info("mfa.recovery_codes.generated", extra={"user_id": user.pk})
    return [f"{code[:4]}-{code[4:8]}-{code[8:12]}-{code[12:]}" for code in codes]


def recovery_code_use(*, user, typed: str, ip: str) -> bool:
    """Spend one recovery code. Used codes stay stored (marked) so a reused one is refused; each use
    is logged and mailed, since it is exactly what someone with a stolen password would try."""
    code = normalise_recovery_code(typed)
    if len(code) != _RECOVERY_LENGTH:
        return False
    used = RecoveryCode.objects.filter(user=user, code_hash=_recovery_hash(code), used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not used:
        log.warning("mfa.recovery_code.refused", extra={"user_id": user.pk, "client_ip": ip})
        return False
    left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
    log.warning("mfa.recovery_code.used", extra={"user_id": user.pk, "client_ip": ip, "codes_left": left})
    queue_templated_email(
        template="accounts/email/mfa_recovery_used",
        context={"user": user, "ip": ip, "codes_left": left, "when": timezone.now()},
        to=user.email,
    )
    return True


# --- Passkeys (the ceremonies are in passkeys.py)


def passkey_remove(*, user, passkey_id: int) -> bool:
    removed, _ = Passkey.objects.filter(user=user, pk=passkey_id).delete()
    if removed:
        log.info("mfa.passkey.removed", extra={"user_id": user.pk, "passkey_id": passkey_id})
        _tell_owner(user=user, event="A passkey was removed from your account.")
    return bool(removed)


def forget_recovery_codes_when_unguarded(*, user) -> None:
    """With no factor left, recovery codes guard nothing; new ones come with the next factor."""
    if not Passkey.objects.filter(user=user).exists() and not TotpDevice.objects.filter(user=user).exists():
        RecoveryCode.objects.filter(user=user).delete()
