"""The cloak's pages: the composer's toggle, status polling, re-cloak, the account default and the
help page that says plainly what the cloak does and does not do."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from atelier.media.models import MediaItem
from atelier.posts.selectors import post_for_editing
from atelier.protection.cloak import services
from atelier.protection.cloak.figures import measured_figures
from atelier.protection.cloak.forms import CloakPreferenceForm, PostCloakForm
from atelier.protection.cloak.selectors import post_cloak_status


@login_required
@require_POST
def post_cloak(request, post_id: int):
    post = post_for_editing(post_id=post_id, user=request.user)
    form = PostCloakForm(request.POST)
    if form.is_valid():
        try:
            services.post_set_cloak(post=post, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                "The cloak is on: each still image is cloaked in the background; the public images change when "
                "it finishes."
                if form.cleaned_data["enabled"]
                else "The cloak is off: the public images are made from your originals again.",
            )
    else:
        messages.error(request, "Choose low, default or high strength.")
    back = post.get_absolute_url() if request.POST.get("next") == "post" else reverse("posts:edit", args=[post.pk])
    return redirect(back + "#cloak")


@login_required
def post_cloak_status_part(request, post_id: int):
    post = post_for_editing(post_id=post_id, user=request.user)
    return render(request, "cloak/includes/item_statuses.html", {"cloak": post_cloak_status(post), "post": post})


@login_required
@require_POST
def item_recloak(request, post_id: int, item_id: int):
    post = post_for_editing(post_id=post_id, user=request.user)
    item = MediaItem.objects.filter(pk=item_id, post=post).select_related("post").first()
    if item is None:
        raise Http404("No such item.")
    try:
        services.item_recloak(item=item, user=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, "Cloaking this image again.")
    return redirect(reverse("posts:edit", args=[post.pk]) + "#cloak")


@login_required
def cloak_settings(request):
    preference = services.preference_for(request.user)
    initial = {"cloak_new_work": preference.cloak_new_work, "strength": preference.strength}
    form = CloakPreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.preference_save(user=request.user, **form.cleaned_data)
        messages.success(request, "Saved. New posts start with this choice; each post can change it.")
        return redirect("cloak:settings")
    context = {"form": form, "available": settings.CLOAK_AVAILABLE}
    return render(request, "cloak/settings.html", context, status=400 if form.errors else 200)


def cloak_help(request):
    context = {"figures": measured_figures(), "max_long_side": settings.CLOAK_MAX_LONG_SIDE}
    return render(request, "cloak/help.html", context)
