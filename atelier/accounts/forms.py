"""Forms for signing up, signing in and account settings. Profile editing is in profile_forms.py."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm

from atelier.accounts.handles import normalise_handle, validate_handle
from atelier.accounts.models import AccountType, User
from atelier.core.email import queue_templated_email


class SignupForm(forms.Form):
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    handle = forms.CharField(
        max_length=31,
        help_text="Your public address: atelier/@handle. Letters, digits and underscores.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}),
    )
    account_type = forms.ChoiceField(
        choices=AccountType.choices, initial=AccountType.ARTIST, widget=forms.RadioSelect, label="I am"
    )
    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters, not a common password, not only digits.",
    )

    def clean_email(self):
        """No "already has an account" here: sign-up answers the same either way, and the mail to the
        address says what happened (services.account_sign_up)."""
        return self.cleaned_data["email"].strip().lower()

    def clean_handle(self):
        handle = normalise_handle(self.cleaned_data["handle"])
        validate_handle(handle)
        if User.objects.filter(handle=handle).exists():
            raise forms.ValidationError("@%(handle)s is taken.", code="handle_taken", params={"handle": handle})
        return handle

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            candidate = User(email=cleaned.get("email", ""), handle=cleaned.get("handle", ""))
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class LoginForm(forms.Form):
    identifier = forms.CharField(
        label="Email or handle",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}),
    )
    password = forms.CharField(strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class EmailChangeForm(forms.Form):
    new_email = forms.EmailField(label="New email address", max_length=254)
    password = forms.CharField(
        label="Current password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_new_email(self):
        email = self.cleaned_data["new_email"].strip().lower()
        if email == self.user.email:
            raise forms.ValidationError("That is already your email address.", code="same_email")
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("Another account uses this email address.", code="email_taken")
        return email

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your current password.", code="wrong_password")
        return password


class AccountTypeForm(forms.Form):
    account_type = forms.ChoiceField(choices=AccountType.choices, widget=forms.RadioSelect, label="Account type")


class DeleteAccountForm(forms.Form):
    handle = forms.CharField(label="Type your handle to confirm", max_length=31)
    password = forms.CharField(
        label="Current password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_handle(self):
        handle = normalise_handle(self.cleaned_data["handle"])
        if handle != self.user.handle:
            raise forms.ValidationError(
                "Type @%(handle)s exactly.", code="handle_mismatch", params={"handle": self.user.handle}
            )
        return handle

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your current password.", code="wrong_password")
        return password


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's reset flow, with the email sent from the email queue instead of inside the request."""

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        safe_context = {
            key: value
            for key, value in context.items()
            if key in {"email", "domain", "site_name", "uid", "token", "protocol"}
        }
        safe_context["user"] = context["user"]
        queue_templated_email(template="accounts/email/password_reset", context=safe_context, to=to_email)
