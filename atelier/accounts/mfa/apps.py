from django.apps import AppConfig


class MfaConfig(AppConfig):
    """Second factors (passkeys, TOTP, recovery codes). A sub-app of accounts because the sign-in
    views of accounts hand over to it, and it reads accounts' User: one domain, two apps' worth of
    models, kept apart so neither grows past a screenful per file."""

    name = "atelier.accounts.mfa"
    label = "mfa"
    verbose_name = "Second factors"
