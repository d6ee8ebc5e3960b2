from django.urls import path

from atelier.accounts.mfa.views import security, signin

app_name = "mfa"

urlpatterns = [
    path("accounts/login/second-factor/", signin.challenge, name="challenge"),
    path("accounts/passkeys/options", signin.passkey_options, name="signin_options"),
    path("accounts/passkeys/verify", signin.passkey_verify, name="signin_verify"),
    path("settings/security/", security.security, name="security"),
    path("settings/security/passkeys/options", security.passkey_options, name="register_options"),
    path("settings/security/passkeys/", security.passkey_register, name="register"),
    path("settings/security/passkeys/<int:passkey_id>/remove", security.passkey_remove, name="passkey_remove"),
    path("settings/security/authenticator/", security.totp_enrol, name="totp_enrol"),
    path("settings/security/authenticator/remove", security.totp_remove, name="totp_remove"),
    path("settings/security/recovery-codes", security.recovery_codes_regenerate, name="recovery_codes"),
]
