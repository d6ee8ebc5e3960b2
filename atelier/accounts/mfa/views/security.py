"""Settings → Security: passkeys, the authenticator app and recovery codes.

Adding a factor to an account that already has one needs a session that passed one (otherwise a
password alone could add the attacker's own passkey); removing a factor or replacing recovery codes
also needs the current password. Fresh recovery codes are shown once, on the next page view.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from atelier.accounts.mfa import flow, passkeys, qr, selectors, services, totp
from atelier.accounts.mfa.forms import CodeForm, PasskeyNameForm, ReauthForm
from atelier.accounts.mfa.views.ceremony import (
    options_response,
    refusal,
    relying_party,
    remember_challenge,
    safe_target,
    take_challenge,
)

NEXT_KEY = "mfa_next"


def _needs_step_up(request) -> bool:
    return selectors.has_second_factor(request.user) and not flow.is_verified(request)


def _step_up(request):
    return redirect(f"{reverse('mfa:challenge')}?next={reverse('mfa:security')}")


def _enrolled(request, *, first: bool):
    """After a factor was added: the session has passed it, and the first factor comes with codes."""
    flow.mark_verified(request, method="enrolment")
    if first or not selectors.recovery_codes_left(request.user):
        request.session[flow.FRESH_CODES_KEY] = services.recovery_codes_generate(user=request.user)


@login_required
def security(request):
    if request.GET.get("next"):
        request.session[NEXT_KEY] = safe_target(request, request.GET["next"], "")
    if _needs_step_up(request):
        return _step_up(request)
    overview = selectors.security_overview(request.user)
    # One password form per action, each with its own ids so every label names its own field.
    context = {
        **overview,
        "passkey_rows": [
            (passkey, ReauthForm(user=request.user, auto_id=f"passkey{passkey.pk}_%s"))
            for passkey in overview["passkeys"]
        ],
        "totp_reauth": ReauthForm(user=request.user, auto_id="totp_%s"),
        "codes_reauth": ReauthForm(user=request.user, auto_id="codes_%s"),
        "fresh_codes": request.session.pop(flow.FRESH_CODES_KEY, None),
        "continue_to": request.session.get(NEXT_KEY) if flow.is_verified(request) else "",
        "name_form": PasskeyNameForm(),
        "required": selectors.requires_second_factor(request.user),
    }
    if context["continue_to"] and context["fresh_codes"] is None:
        request.session.pop(NEXT_KEY, None)
    return render(request, "accounts/mfa/security.html", context)


# --- Passkeys


@login_required
@require_POST
def passkey_options(request):
    if _needs_step_up(request):
        return refusal("Confirm it is you with your second factor first.", status=403)
    options_json, issued = passkeys.registration_options(user=request.user, rp=relying_party(request))
    remember_challenge(request, issued, purpose="register")
    return options_response(options_json)


@login_required
@require_POST
def passkey_register(request):
    if _needs_step_up(request):
        return refusal("Confirm it is you with your second factor first.", status=403)
    if len(request.body) > passkeys.MAX_CREDENTIAL_JSON:
        return refusal("That passkey answer is too large.", status=413)
    try:
        body = json.loads(request.body)
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("credential"), dict):
        return refusal("That passkey answer is not readable.")
    form = PasskeyNameForm({"name": body.get("name") if isinstance(body.get("name"), str) else ""})
    if not form.is_valid():
        return refusal("Give the passkey a name of at most 60 characters.")
    first = not selectors.has_second_factor(request.user)
    try:
        passkeys.registration_verify(
            user=request.user,
            credential_json=json.dumps(body["credential"]),
            challenge=take_challenge(request, purpose="register"),
            rp=relying_party(request),
            name=form.cleaned_data["name"],
        )
    except passkeys.PasskeyRefused as error:
        return refusal(str(error))
    _enrolled(request, first=first)
    messages.success(request, "Passkey added. You can sign in with it from now on.")
    return JsonResponse({"redirect": reverse("mfa:security")})


@login_required
@require_POST
def passkey_remove(request, passkey_id: int):
    if _needs_step_up(request):
        return _step_up(request)
    form = ReauthForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["password"]))
    elif services.passkey_remove(user=request.user, passkey_id=passkey_id):
        services.forget_recovery_codes_when_unguarded(user=request.user)
        messages.success(request, "Passkey removed.")
    return redirect("mfa:security")


# --- Authenticator app


@login_required
def totp_enrol(request):
    """Show the new secret (QR code and text) until a first code from the app confirms it."""
    if _needs_step_up(request):
        return _step_up(request)
    if selectors.has_totp(request.user):
        messages.info(request, "An authenticator app is already set up. Remove it first to replace it.")
        return redirect("mfa:security")
    form = CodeForm(request.POST or None, prefix="totp")
    status = 200
    if request.method == "POST":
        first = not selectors.has_second_factor(request.user)
        if form.is_valid() and services.totp_confirm(user=request.user, code=form.cleaned_data["code"]):
            _enrolled(request, first=first)
            messages.success(request, "Authenticator app added.")
            return redirect("mfa:security")
        form.add_error("code", "That code does not match. Check the app shows Atelier and try the newest code.")
        status = 400
    secret = services.totp_pending_secret(user=request.user)
    if secret is None:  # the same secret on every view until confirmed, so a reload never breaks a scan
        services.totp_begin(user=request.user)
        secret = services.totp_pending_secret(user=request.user)
    uri = totp.provisioning_uri(secret, account=request.user.handle, issuer=request.get_host().split(":")[0])
    context = {"form": form, "qr": qr.data_uri(uri), "secret": totp.secret_text(secret), "uri": uri}
    return render(request, "accounts/mfa/totp_enrol.html", context, status=status)


@login_required
@require_POST
def totp_remove(request):
    if _needs_step_up(request):
        return _step_up(request)
    form = ReauthForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["password"]))
    elif services.totp_remove(user=request.user):
        services.forget_recovery_codes_when_unguarded(user=request.user)
        messages.success(request, "Authenticator app removed.")
    return redirect("mfa:security")


@login_required
@require_POST
def recovery_codes_regenerate(request):
    if _needs_step_up(request):
        return _step_up(request)
    form = ReauthForm(request.POST, user=request.user)
    if not selectors.has_second_factor(request.user):
        messages.error(request, "Add a passkey or an authenticator app first; recovery codes come with it.")
    elif not form.is_valid():
        messages.error(request, " ".join(form.errors["password"]))
    else:
        request.session[flow.FRESH_CODES_KEY] = services.recovery_codes_generate(user=request.user)
        messages.success(request, "New recovery codes made; the old ones no longer work.")
    return redirect("mfa:security")
