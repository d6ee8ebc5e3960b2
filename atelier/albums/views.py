"""Bookmarks and albums pages. Each write answers htmx with the fragment it changed and plain
browsers with a redirect, so everything works without JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from atelier.accounts.selectors import profile_for_page
from atelier.albums import selectors, services
from atelier.albums.forms import AddToAlbumForm, AlbumForm, CoverForm, OrderForm


def _next_or(request, fallback: str) -> str:
    """Where a plain form goes back to: its `next` if it is on this site, else the fallback."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def album_url(album) -> str:
    return reverse("albums:detail", kwargs={"handle": album.owner.handle, "album_id": album.pk})


# --- bookmarks


@login_required
def bookmarks_page(request):
    posts = selectors.bookmarks_for_user(user=request.user)
    return render(request, "albums/bookmarks.html", {"posts": posts})


def _bookmark_response(request, post_id: int, bookmarked: bool):
    if request.htmx:
        context = {"post_id": post_id, "bookmarked": bookmarked, "place": request.POST.get("place", "card")}
        context["next"] = _next_or(request, "")
        return render(request, "albums/includes/bookmark_button.html", context)
    messages.success(request, "Bookmarked." if bookmarked else "Bookmark removed.")
    return redirect(_next_or(request, reverse("albums:bookmarks")))


@login_required
@require_POST
def bookmark_add(request, post_id: int):
    services.bookmark_add(user=request.user, post_id=post_id)
    return _bookmark_response(request, post_id, bookmarked=True)


@login_required
@require_POST
def bookmark_remove(request, post_id: int):
    services.bookmark_remove(user=request.user, post_id=post_id)
    return _bookmark_response(request, post_id, bookmarked=False)


# --- albums: reading


def albums_list(request, handle: str):
    profile = profile_for_page(handle=handle)
    albums = selectors.albums_for_profile(owner=profile.user, viewer=request.user)
    owner = request.user == profile.user
    return render(request, "albums/list.html", {"profile": profile, "albums": albums, "owner": owner})


def album_detail(request, handle: str, album_id: int):
    profile = profile_for_page(handle=handle)
    album = selectors.album_for_page(album_id=album_id, owner=profile.user, viewer=request.user)
    posts = selectors.album_posts(album=album, viewer=request.user)
    cover_id = album.cover_post_id if any(post.pk == album.cover_post_id for post in posts) else None
    context = {
        "profile": profile,
        "album": album,
        "posts": posts,
        "owner": request.user == profile.user,
        "cover_id": cover_id or (posts[0].pk if posts else None),
    }
    return render(request, "albums/detail.html", context)


# --- albums: writing


@login_required
def album_new(request):
    form = AlbumForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        album = services.album_create(owner=request.user, **form.cleaned_data)
        messages.success(request, "Album created.")
        return redirect(album_url(album))
    return render(request, "albums/form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def album_edit(request, album_id: int):
    album = selectors.album_for_owner(album_id=album_id, user=request.user)
    form = AlbumForm(request.POST or None, instance=album)
    if request.method == "POST" and form.is_valid():
        services.album_update(album=album, user=request.user, **form.cleaned_data)
        messages.success(request, "Album saved.")
        return redirect(album_url(album))
    return render(request, "albums/form.html", {"form": form, "album": album}, status=400 if form.errors else 200)


@login_required
@require_POST
def album_delete(request, album_id: int):
    album = selectors.album_for_owner(album_id=album_id, user=request.user)
    services.album_delete(album=album, user=request.user)
    messages.success(request, "Album deleted.")
    return redirect("albums:list", handle=request.user.handle)


@login_required
def add_to_album(request, post_id: int):
    """The "Add to album…" form: one of your albums, or a new one."""
    post = selectors.visible_post(post_id=post_id, viewer=request.user)
    form = AddToAlbumForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        album_id = form.cleaned_data["album_id"]
        if album_id is None:
            album = services.album_create(owner=request.user, title=form.cleaned_data["new_title"])
        else:
            album = selectors.album_for_owner(album_id=album_id, user=request.user)
        try:
            services.album_add_post(album=album, user=request.user, post_id=post.pk)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Added to “{album.title}”.")
            return redirect(_next_or(request, album_url(album)))
    albums = selectors.albums_for_adding(user=request.user, post_id=post.pk)
    context = {"post": post, "form": form, "albums": albums, "next": _next_or(request, "")}
    return render(request, "albums/add_to_album.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def item_remove(request, album_id: int, post_id: int):
    album = selectors.album_for_owner(album_id=album_id, user=request.user)
    services.album_remove_post(album=album, user=request.user, post_id=post_id)
    messages.success(request, "Removed from the album.")
    return redirect(album_url(album))


@login_required
@require_POST
def item_move(request, album_id: int, post_id: int, direction: str):
    """Move one post up or down among those the owner sees: the keyboard and no-JavaScript way to reorder."""
    album = selectors.album_for_owner(album_id=album_id, user=request.user)
    order = [post.pk for post in selectors.album_posts(album=album, viewer=request.user)]
    if direction not in ("up", "down") or post_id not in order:
        return HttpResponseBadRequest("Posts of this album move up or down.")
    index = order.index(post_id)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(order):
        order[index], order[target] = order[target], order[index]
        services.album_reorder(album=album, user=request.user, post_ids=order)
    return redirect(album_url(album))


@login_required
@require_POST
def album_reorder(request, album_id: int):
    album = selectors.album_for_owner(album_id=album_id, user=request.user)
    form = OrderForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["order"])
        services.album_reorder(album=album, user=request.user, post_ids=form.cleaned_data["order"])
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    return redirect(album_url(album))


@login_required
@require_POST
def album_cover(request, album_id: int):
    album = selectors.album_for_owner(album_id=album_id, user=request.user)
    form = CoverForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Choose one of this album's posts.")
        services.album_set_cover(album=album, user=request.user, post_id=form.cleaned_data["post"])
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    messages.success(request, "Cover chosen.")
    return redirect(album_url(album))
