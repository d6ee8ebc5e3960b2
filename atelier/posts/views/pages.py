"""Public pages of posts, and the files of posts only their author and moderators may see. What
other apps own on the page (likes, comments and the Follow button: social; bookmarks: albums; the
review of the author's work: moderation; the style cloak) is composed in by those apps' template
tags (posts/detail.html), not imported here: posts sits below them."""

import mimetypes

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from atelier.core.html import render_user_markdown
from atelier.media.storages import open_rendition
from atelier.posts.selectors import (
    checking_progress,
    post_for_page,
    post_for_status,
    posts_more_by_author,
    withheld_file_for,
)


def post_detail(request, post_id: int):
    post = post_for_page(post_id=post_id, viewer=request.user)
    items = list(post.items.all())
    owner = request.user == post.author
    return render(
        request,
        "posts/detail.html",
        {
            "post": post,
            "items": items,
            "owner": owner,
            "checking": checking_progress(items) if owner and post.is_checking else None,
            "profile": post.author.profile,
            "description_html": render_user_markdown(post.description),
            # The "more by this artist" strip: one query (the Follow button is social's tag).
            "more_by_artist": posts_more_by_author(post=post, viewer=request.user),
        },
    )


@login_required
@require_GET
def visibility_status(request, post_id: int):
    """The author's banner alone: htmx polls it while the post is being checked."""
    post = post_for_status(post_id=post_id, user=request.user)
    context = {"post": post, "checking": checking_progress(post.items.all())}
    return render(request, "posts/includes/visibility_banner.html", context)


@require_GET
def withheld_file(request, post_id: int, name: str):
    """A rendition or cover of a post that is not public (checking, held, unpublished, a draft), for
    its author and moderators; 404 for everyone else. Never stored by a shared cache."""
    withheld_file_for(post_id=post_id, name=name, viewer=request.user)
    try:
        file = open_rendition(name)
    except FileNotFoundError:
        raise Http404("No such file.") from None
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(file, content_type=content_type)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
