"""What a person holds besides their password: passkeys, one TOTP authenticator, recovery codes."""

from django.conf import settings
from django.db import models


class Passkey(models.Model):
    """A WebAuthn credential: discoverable, so it can sign in without a handle, and a second factor.

    The public key is the COSE key the authenticator gave at registration; the sign count must go up
    on every use (a clone of the authenticator would repeat one), so a lower or equal count is refused.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="passkeys")
    credential_id = models.BinaryField(max_length=1023, unique=True)
    public_key = models.BinaryField(max_length=4096)
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    name = models.CharField(max_length=60)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.name} ({self.user_id})"


class TotpDevice(models.Model):
    """An authenticator app (RFC 6238). The secret is sealed with a key derived from SECRET_KEY and
    shown once, at enrolment. `last_step` is the newest 30-second step accepted: a code from that
    step or an older one is refused, so an overheard code cannot be replayed."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device")
    sealed_secret = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=-1)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"TOTP of {self.user_id}"


class RecoveryCode(models.Model):
    """One single-use code for a lost device. Codes carry 80 random bits, so a SHA-256 of the code
    is enough to store (no slow hash is needed against guessing); the code itself is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="mfa_recovery_code_unique")]

    def __str__(self):
        return f"recovery code of {self.user_id}"
