"""The composer: a draft post the author fills in, uploads to, orders, crops and publishes.

The draft lives on the server from the first click, and the details autosave, so closing the tab
loses nothing. Every action answers htmx with the fragment it changed and plain browsers with a
redirect back to the composer, so the page also works without JavaScript.
"""

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from atelier.media.intake import upload_as_local_path
from atelier.media.models import MediaItem
from atelier.media.states import MediaState
from atelier.posts import services
from atelier.posts.covers import COVER_SPECS
from atelier.posts.forms import AltTextForm, CropForm, MediaFileForm, PostDetailsForm, ReorderForm
from atelier.posts.selectors import post_for_editing
from atelier.uploads.errors import UploadError
from atelier.uploads.services import upload_open_completed


def _crop_editors(post, items: list[MediaItem]) -> list[dict]:
    """What each crop editor offers: the items with pixels, and which item and crop are chosen now."""
    editors = []
    visual = [(number, item) for number, item in enumerate(items, 1) if item.kind != "embed" and item.is_ready]
    for kind, spec in COVER_SPECS.items():
        chosen_id = getattr(post, f"{kind}_item_id") or (visual[0][1].pk if visual else None)
        chosen_crop = getattr(post, f"{kind}_crop")
        choices = [
            {
                "item": item,
                "number": number,
                "source": item.src,
                "selected": item.pk == chosen_id,
                "crop": chosen_crop if item.pk == getattr(post, f"{kind}_item_id") else None,
            }
            for number, item in visual
        ]
        current = None
        if post.covers.get(kind, {}).get("sizes"):
            largest = max(post.covers[kind]["sizes"], key=lambda size: size["w"])
            current = {"src": post.file_url(largest["name"]), "w": largest["w"], "h": largest["h"]}
        label = "Thumbnail (square, for grids)" if kind == "thumbnail" else "Cover (wide, for your profile and feeds)"
        editors.append({"kind": kind, "aspect": spec["aspect"], "label": label, "choices": choices, "current": current})
    return editors


def _composer_context(post, details_form=None, media_form=None, media_error: str = "") -> dict:
    items = list(post.items.all())
    return {
        "post": post,
        "items": items,
        "processing": any(item.state in (MediaState.UPLOADED, MediaState.PROCESSING) for item in items),
        "crop_editors": _crop_editors(post, items),
        # Changes when the crop editors' choices change (an item became ready or went away), so
        # the page reloads them then, and never while someone is dragging a crop box.
        "crop_signature": ",".join(str(item.pk) for item in items if item.is_ready and item.kind != "embed"),
        "crop_parts": ("x", "y", "width", "height"),
        "details_form": details_form or PostDetailsForm(initial=PostDetailsForm.initial_from(post)),
        "media_form": media_form or MediaFileForm(),
        "media_error": media_error,
        "max_items": services.MAX_ITEMS_PER_POST,
        "max_upload_bytes": services.max_upload_bytes(),
        "editable": True,
    }


@login_required
@require_POST
def post_new(request):
    post = services.post_create_draft(author=request.user)
    return redirect("posts:edit", post_id=post.pk)


@login_required
def post_edit(request, post_id: int):
    """GET shows the composer; POST saves the details (autosave, save draft or publish)."""
    post = post_for_editing(post_id=post_id, user=request.user)
    if request.method != "POST":
        return render(request, "posts/composer.html", _composer_context(post))
    form = PostDetailsForm(request.POST)
    action = request.POST.get("action", "save")
    if not form.is_valid():
        return _details_response(request, post, form, status=400)
    try:
        services.post_update_details(post=post, user=request.user, **form.cleaned_data)
        if action == "publish":
            services.post_publish(post=post, user=request.user)
    except ValidationError as error:
        form.add_error(None, error)
        return _details_response(request, post, form, status=400)
    if action == "autosave" and request.htmx:
        return render(request, "posts/includes/autosave_status.html", {"saved_at": timezone.now()})
    if action == "publish":
        post.refresh_from_db()
        # A held post is not published for anyone but its author: its page's banner says why, and a
        # green "Published." above it would contradict it.
        if not post.is_held:
            messages.success(
                request,
                "Published."
                if post.is_public
                else "Published. Checking your work… it appears once every file is processed and checked.",
            )
        return redirect(post.get_absolute_url())
    messages.success(request, "Draft saved." if post.is_draft else "Changes saved.")
    return redirect("posts:edit", post_id=post.pk)


def _details_response(request, post, form, *, status):
    if request.htmx and request.POST.get("action") == "autosave":
        return render(request, "posts/includes/autosave_status.html", {"form": form}, status=status)
    post = post_for_editing(post_id=post.pk, user=request.user)
    return render(request, "posts/composer.html", _composer_context(post, details_form=form), status=status)


def _media_response(request, post, *, error: str = "", status: int = 200, form=None):
    post = post_for_editing(post_id=post.pk, user=request.user)
    if request.htmx:
        context = _composer_context(post, media_error=error, media_form=form)
        return render(request, "posts/includes/media_list.html", context, status=status)
    if error:
        context = _composer_context(post, media_form=form, media_error=error)
        return render(request, "posts/composer.html", context, status=status)
    return redirect("posts:edit", post_id=post.pk)


@login_required
@require_POST
def media_add(request, post_id: int):
    """Add a file (posted directly, or already uploaded by the resumable client) or an embed link."""
    post = post_for_editing(post_id=post_id, user=request.user)
    form = MediaFileForm(request.POST, request.FILES)
    if not form.is_valid():
        message = " ".join(str(error) for errors in form.errors.values() for error in errors)
        return _media_response(request, post, error=message, status=400, form=form)
    data = form.cleaned_data
    try:
        if data["embed_url"]:
            services.media_add_embed(post=post, user=request.user, url=data["embed_url"])
        elif data["file"]:
            with upload_as_local_path(data["file"]) as path:
                services.media_add_file(post=post, user=request.user, path=path)
        else:
            with upload_open_completed(upload_id=data["upload_id"], user=request.user) as local:
                services.media_add_file(
                    post=post, user=request.user, path=Path(local.name), upload_id=data["upload_id"]
                )
    except ValidationError as error:
        return _media_response(request, post, error=" ".join(error.messages), status=400, form=form)
    except UploadError as error:
        return _media_response(request, post, error=error.message, status=error.status, form=form)
    return _media_response(request, post)


@login_required
@require_GET
def media_status(request, post_id: int):
    """The media list alone: htmx polls it while items are processing."""
    post = post_for_editing(post_id=post_id, user=request.user)
    part = "crop_editors" if request.GET.get("part") == "crops" else "media_list"
    return render(request, f"posts/includes/{part}.html", _composer_context(post))


def _own_item(request, post_id: int, item_id: int) -> MediaItem:
    post = post_for_editing(post_id=post_id, user=request.user)
    return get_object_or_404(MediaItem.objects.select_related("post"), pk=item_id, post=post)


@login_required
@require_POST
def media_remove(request, post_id: int, item_id: int):
    item = _own_item(request, post_id, item_id)
    services.media_remove(item=item, user=request.user)
    return _media_response(request, item.post)


@login_required
@require_POST
def media_retry(request, post_id: int, item_id: int):
    item = _own_item(request, post_id, item_id)
    try:
        services.media_retry(item=item, user=request.user)
    except ValidationError as error:
        return _media_response(request, item.post, error=" ".join(error.messages), status=400)
    return _media_response(request, item.post)


@login_required
@require_POST
def media_alt_text(request, post_id: int, item_id: int):
    item = _own_item(request, post_id, item_id)
    form = AltTextForm(request.POST)
    if not form.is_valid():
        return _media_response(request, item.post, error=" ".join(form.errors.get("alt_text", [])), status=400)
    MediaItem.objects.filter(pk=item.pk).update(alt_text=form.cleaned_data["alt_text"])
    return _media_response(request, item.post)


@login_required
@require_POST
def media_reorder(request, post_id: int):
    post = post_for_editing(post_id=post_id, user=request.user)
    form = ReorderForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["order"])
        services.media_reorder(post=post, user=request.user, item_ids=form.cleaned_data["order"])
    except ValidationError as error:
        return _media_response(request, post, error=" ".join(error.messages), status=400)
    return _media_response(request, post)


@login_required
@require_POST
def media_move(request, post_id: int, item_id: int, direction: str):
    """Move one item up or down: the keyboard and no-JavaScript way to reorder."""
    post = post_for_editing(post_id=post_id, user=request.user)
    if direction not in ("up", "down"):
        return _media_response(request, post, error="Items move up or down.", status=404)
    order = [item.pk for item in post.items.all()]
    if item_id not in order:
        return _media_response(request, post, error="That item is not part of this post.", status=404)
    index = order.index(item_id)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(order):
        order[index], order[target] = order[target], order[index]
        services.media_reorder(post=post, user=request.user, item_ids=order)
    return _media_response(request, post)


@login_required
@require_POST
def post_crop(request, post_id: int):
    post = post_for_editing(post_id=post_id, user=request.user)
    form = CropForm(request.POST)
    if form.is_valid():
        item = post.items.filter(pk=form.cleaned_data["item"]).first()
        try:
            if item is None:
                raise ValidationError("Pick one of this post's images, animations or videos.")
            services.post_set_crop(
                post=post, user=request.user, kind=form.cleaned_data["kind"], item=item, crop=form.cleaned_data["crop"]
            )
        except ValidationError as error:
            form.add_error(None, error)
    if form.errors:
        message = " ".join(str(message) for errors in form.errors.values() for message in errors)
        return _media_response(request, post, error=message, status=400)
    if not request.htmx:
        messages.success(request, f"{form.cleaned_data['kind'].capitalize()} crop saved.")
    return _media_response(request, post)


@login_required
@require_POST
def post_delete(request, post_id: int):
    post = post_for_editing(post_id=post_id, user=request.user)
    services.post_delete(post=post, user=request.user)
    messages.success(request, "Post deleted.")
    return redirect(request.user.get_absolute_url())


@login_required
@require_POST
def post_unpublish(request, post_id: int):
    post = post_for_editing(post_id=post_id, user=request.user)
    services.post_unpublish(post=post, user=request.user)
    messages.success(request, "Moved back to drafts: only you can see it now.")
    return redirect("posts:edit", post_id=post.pk)
