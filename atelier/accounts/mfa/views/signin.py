"""The second step of signing in: a code, a recovery code or a passkey after the password; and
signing in with a passkey alone (usernameless: the browser offers the person's own passkeys)."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from atelier.accounts.mfa import flow, passkeys, selectors, services, throttle
from atelier.accounts.mfa.forms import CodeForm, RecoveryForm
from atelier.accounts.mfa.views.ceremony import (
    options_response,
    refusal,
    relying_party,
    remember_challenge,
    safe_target,
    take_challenge,
)
from atelier.core.client_address import client_ip
from atelier.core.ratelimit import RateLimited

MAX_BODY = passkeys.MAX_CREDENTIAL_JSON
# The session records a backend that can load the user again on the next request.
PASSKEY_BACKEND = "atelier.accounts.backends.EmailOrHandleBackend"


def _destination(request, user) -> str:
    """Where to go after the second factor: the step-up's ?next=, or the pending sign-in's next."""
    fallback = user.get_absolute_url()
    pending = "" if request.user.is_authenticated else flow.pending_next(request, "")
    return safe_target(request, pending or request.POST.get("next") or request.GET.get("next", ""), fallback)


def challenge(request):
    """Ask for the second factor of the person whose password was just accepted (or who signed in
    by password alone and now opens a guarded page)."""
    user = flow.pending_user(request)
    if user is None:
        if request.user.is_authenticated:
            return redirect(_destination(request, request.user))
        messages.info(request, "Your sign-in expired. Enter your password again.")
        return redirect("accounts:login")
    code_form, recovery_form = CodeForm(prefix="totp"), RecoveryForm(prefix="recovery")
    status = 200
    if request.method == "POST":
        ip, key = client_ip(request), str(user.pk)
        method = "recovery" if "recovery-recovery_code" in request.POST else "totp"
        try:
            if method == "recovery":
                recovery_form = RecoveryForm(request.POST, prefix="recovery")
                limits = ((throttle.RECOVERY_PER_ACCOUNT, key), (throttle.RECOVERY_PER_IP, ip))
                throttle.check(*limits)
                if recovery_form.is_valid():
                    throttle.spend(*limits)  # every recovery attempt counts, right or wrong
                    typed = recovery_form.cleaned_data["recovery_code"]
                    if services.recovery_code_use(user=user, typed=typed, ip=ip):
                        return _passed(request, user, method="recovery")
                    recovery_form.add_error("recovery_code", "That recovery code is not valid or was used already.")
            else:
                code_form = CodeForm(request.POST, prefix="totp")
                limits = ((throttle.CODE_PER_ACCOUNT, key), (throttle.CODE_PER_IP, ip))
                throttle.check(*limits)
                if code_form.is_valid():
                    if services.totp_verify(user=user, code=code_form.cleaned_data["code"]):
                        return _passed(request, user, method="totp")
                    throttle.spend(*limits)
                    code_form.add_error("code", "That code is not right, or it was used already. Wait for a new one.")
            status = 400
        except RateLimited as error:
            (recovery_form if method == "recovery" else code_form).add_error(None, str(error))
            status = 429
    context = {
        "code_form": code_form,
        "recovery_form": recovery_form,
        "has_totp": selectors.has_totp(user),
        "has_passkey": bool(selectors.passkeys_of(user)),
        "next": request.GET.get("next", "") if request.user.is_authenticated else "",
    }
    response = render(request, "accounts/mfa/challenge.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(throttle.CODE_PER_ACCOUNT.retry_after())
    return response


def _passed(request, user, *, method: str):
    destination = _destination(request, user)
    flow.complete(request, user, method=method)
    if method == "recovery":
        left = selectors.recovery_codes_left(user)
        messages.warning(
            request, f"You signed in with a recovery code; {left} left. Set up your lost device again in Security."
        )
    return redirect(destination)


@require_POST
def passkey_options(request):
    """Options for navigator.credentials.get(): for the pending person's passkeys, or any of this
    site's passkeys when signing in with a passkey alone."""
    user = flow.pending_user(request)
    if request.user.is_authenticated and user is None:
        return refusal("You are already signed in.", status=409)
    options_json, issued = passkeys.authentication_options(rp=relying_party(request), user=user)
    remember_challenge(request, issued, purpose="sign-in")
    return options_response(options_json)


@require_POST
def passkey_verify(request):
    """Check the browser's assertion and sign in: a passkey with user verification is both factors."""
    ip = client_ip(request)
    try:
        throttle.check((throttle.PASSKEY_PER_IP, ip))
    except RateLimited as error:
        return refusal(str(error), status=429, retry_after=error.retry_after)
    if len(request.body) > MAX_BODY:
        return refusal("That passkey answer is too large.", status=413)
    user = flow.pending_user(request)
    try:
        issued = take_challenge(request, purpose="sign-in")
        passkey = passkeys.authentication_verify(
            credential_json=request.body.decode("utf-8", "replace"),
            challenge=issued,
            rp=relying_party(request),
            user=user,
        )
    except passkeys.PasskeyRefused as error:
        throttle.spend((throttle.PASSKEY_PER_IP, ip))
        return refusal(str(error))
    destination = _destination(request, passkey.user)
    flow.complete(request, passkey.user, method="passkey", backend=PASSKEY_BACKEND)
    return JsonResponse({"redirect": destination})
