"""Signing up, in and out, and confirming email addresses."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from atelier.accounts import services, throttling
from atelier.accounts.forms import LoginForm, SignupForm
from atelier.accounts.mfa import flow as mfa_flow
from atelier.core.client_address import client_ip
from atelier.core.ratelimit import RateLimit


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not throttling.signup_allowed(ip=client_ip(request)):
            form.add_error(None, "Too many accounts were created from your network in the last hour. Try again later.")
            status = 429
        elif form.is_valid():
            # The same answer whether or not the address has an account: the mail says which.
            services.account_sign_up(**form.cleaned_data)
            messages.success(request, f"We sent a message to {form.cleaned_data['email']}.")
            return redirect("accounts:signup_sent")
        else:
            status = 400
    return render(request, "accounts/signup.html", {"form": form}, status=status)


def signup_sent(request):
    return render(request, "accounts/signup_sent.html")


def login_view(request):
    if request.user.is_authenticated:
        return redirect(_safe_next(request, "home"))
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                user = throttling.sign_in_authenticate(
                    request, identifier=form.cleaned_data["identifier"], password=form.cleaned_data["password"]
                )
            except throttling.SignInThrottled as error:
                form.add_error(None, str(error))
                status = 429
            else:
                if user is not None:
                    # The second-factor hook: signs in now, or asks for a passkey or code first. To the
                    # feed: that is where a returning person reads; their own profile is one tab away.
                    return mfa_flow.after_password(request, user, next_url=_safe_next(request, reverse("home")))
                form.add_error(None, "That email or handle and password do not match an account.")
    return render(request, "accounts/login.html", {"form": form, "next": _safe_next(request, "")}, status=status)


def verify_email(request, token: str):
    user = services.email_confirm(token=token)
    if user is None:
        return render(request, "accounts/verify_failed.html", status=400)
    if not request.user.is_authenticated and user.last_login is None:
        # A new account's first sign-in is this link (backends.py refuses its password until then).
        login(request, user, backend="atelier.accounts.backends.EmailOrHandleBackend")
        messages.success(request, f"Welcome to Atelier! {user.email} is confirmed.")
        return redirect("accounts:settings_profile")
    messages.success(request, f"Thanks, {user.email} is confirmed.")
    return redirect("accounts:settings_account" if request.user.is_authenticated else "accounts:login")


_RESEND_LIMIT = RateLimit("verify-resend", 3, 3600)


@login_required
@require_POST
def resend_verification(request):
    if request.user.email_verified and not request.user.pending_email:
        messages.info(request, "Your email address is already confirmed.")
    elif _RESEND_LIMIT.hit(str(request.user.pk)) > _RESEND_LIMIT.limit:
        messages.error(request, "We already sent several links in the last hour; check your spam folder.")
    else:
        address = request.user.pending_email or request.user.email
        services.email_confirmation_send(user=request.user, email=address)
        messages.success(request, f"We sent a new confirmation link to {address}.")
    return redirect(_safe_next(request, "accounts:settings_account"))


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's, and the reset link, having reached the account's address, confirms it as well."""

    def form_valid(self, form):
        response = super().form_valid(form)
        services.email_mark_confirmed(user=form.user)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset view, rate-limited per address and per client so it cannot flood an inbox."""

    def form_valid(self, form):
        if not throttling.password_reset_allowed(email=form.cleaned_data["email"], ip=client_ip(self.request)):
            form.add_error(None, "Too many reset emails were asked for. Try again in an hour.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)
