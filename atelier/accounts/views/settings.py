"""The signed-in person's settings: profile, images, email, password, account type, deletion."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from atelier.accounts import services
from atelier.accounts.forms import AccountTypeForm, DeleteAccountForm, EmailChangeForm
from atelier.accounts.models import Profile, ProfileImage, ProfileImageKind
from atelier.accounts.profile_forms import ProfileForm
from atelier.accounts.services import PROFILE_TEXT_FIELDS
from atelier.media.storages import originals_storage


@login_required
def settings_profile(request):
    profile = Profile.objects.prefetch_related(Prefetch("images", queryset=ProfileImage.objects.all())).get(
        user=request.user
    )
    form = ProfileForm(request.POST or None, request.FILES or None, instance=profile)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            services.profile_update(profile=profile, **{field: data[field] for field in PROFILE_TEXT_FIELDS})
            services.profile_images_update(
                profile=profile,
                uploads={kind: data.get(kind) for kind in ProfileImageKind.values},
                facts=form.image_facts,
                crops=form.crops,
                remove={kind for kind in ProfileImageKind.values if data.get(f"remove_{kind}")},
            )
            messages.success(request, "Profile saved. New images appear in a few seconds.")
            return redirect("accounts:settings_profile")
        status = 400
    images = {image.kind: image for image in profile.images.all()}
    return render(
        request, "accounts/settings_profile.html", {"form": form, "profile": profile, "images": images}, status=status
    )


@login_required
@require_GET
def profile_image_editor_source(request, kind: str):
    """The owner's full-frame preview to re-crop on. Private: never cached by shared caches."""
    image = ProfileImage.objects.filter(profile__user=request.user, kind=kind).first()
    if image is None or not image.renditions.get("editor"):
        raise Http404("No image to crop yet.")

    response = FileResponse(originals_storage().open(image.renditions["editor"], "rb"), content_type="image/webp")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@login_required
def settings_account(request):
    email_form = EmailChangeForm(user=request.user, prefix="email")
    type_form = AccountTypeForm(initial={"account_type": request.user.account_type}, prefix="type")
    status = 200
    if request.method == "POST" and "email-new_email" in request.POST:
        email_form = EmailChangeForm(request.POST, user=request.user, prefix="email")
        if email_form.is_valid():
            services.email_change_request(user=request.user, new_email=email_form.cleaned_data["new_email"])
            messages.success(request, f"Check {email_form.cleaned_data['new_email']} for a confirmation link.")
            return redirect("accounts:settings_account")
        status = 400
    elif request.method == "POST":
        type_form = AccountTypeForm(request.POST, prefix="type")
        if type_form.is_valid():
            request.user.account_type = type_form.cleaned_data["account_type"]
            request.user.save(update_fields=["account_type"])
            messages.success(request, "Account type saved.")
            return redirect("accounts:settings_account")
        status = 400
    return render(
        request, "accounts/settings_account.html", {"email_form": email_form, "type_form": type_form}, status=status
    )


@login_required
def settings_delete(request):
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        services.account_delete(user=user)
        messages.success(request, "Your account and everything in it has been deleted.")
        return redirect("home")
    return render(request, "accounts/settings_delete.html", {"form": form}, status=400 if form.errors else 200)
