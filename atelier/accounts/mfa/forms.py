"""Forms of the second-factor pages: a code at sign-in, enrolment, and re-entering the password to remove."""

from django import forms

from atelier.accounts.mfa import throttle


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}),
    )


class RecoveryForm(forms.Form):
    recovery_code = forms.CharField(
        label="Recovery code",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}),
    )


class PasskeyNameForm(forms.Form):
    name = forms.CharField(label="Name of this passkey", max_length=60, initial="My passkey")


class ReauthForm(forms.Form):
    """The current password again before removing a factor or replacing recovery codes: a session
    left open on a shared computer must not be enough to weaken the account."""

    password = forms.CharField(
        label="Current password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        key = str(self.user.pk)
        if throttle.REAUTH_PER_ACCOUNT.is_exceeded(key):
            raise forms.ValidationError("Too many wrong passwords. Try again later.", code="throttled")
        if not self.user.check_password(password):
            throttle.REAUTH_PER_ACCOUNT.hit(key)
            raise forms.ValidationError("That is not your current password.", code="wrong_password")
        return password
