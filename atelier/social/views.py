"""Follow, block and mute buttons on profiles; likes and comments on posts; the blocked-and-muted list.

Every action is a POST form that works without JavaScript (redirect back) and, under htmx, answers
with the fragment it changed. Rules live in services; anything hidden from the actor is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from atelier.accounts.selectors import profile_for_page
from atelier.core.cursors import InvalidCursor
from atelier.posts.selectors import post_for_page
from atelier.social import services
from atelier.social.forms import CommentForm
from atelier.social.selectors import (
    blocks_and_mutes,
    comment_replies,
    post_likes,
    post_thread,
    profile_social,
    top_comment_for_page,
)

_PERSON_ACTIONS = {
    "follow": (lambda actor, target: services.follow_create(follower=actor, followee=target), "You follow {}."),
    "unfollow": (lambda actor, target: services.follow_delete(follower=actor, followee=target), "Unfollowed {}."),
    "block": (lambda actor, target: services.block_create(blocker=actor, blocked=target), "Blocked {}."),
    "unblock": (lambda actor, target: services.block_delete(blocker=actor, blocked=target), "Unblocked {}."),
    "mute": (lambda actor, target: services.mute_create(muter=actor, muted=target), "Muted {}."),
    "unmute": (lambda actor, target: services.mute_delete(muter=actor, muted=target), "Unmuted {}."),
}


def _problem(request, message: str, *, status: int, form=None, post=None):
    """A refused action, in words: a fragment for htmx, a small page for plain forms."""
    template = "social/includes/problem.html" if request.htmx else "social/problem.html"
    return render(request, template, {"message": message, "form": form, "post": post}, status=status)


def _back(request, default: str):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


def _person_action(request, handle: str, action: str):
    profile = profile_for_page(handle=handle)
    do, done = _PERSON_ACTIONS[action]
    try:
        do(request.user, profile.user)
    except ValidationError as error:
        return _problem(request, " ".join(error.messages), status=400)
    if request.htmx and action in ("follow", "unfollow"):
        social = profile_social(user=profile.user, viewer=request.user)
        return render(
            request, "social/includes/profile_actions.html#follow-box", {"profile": profile, "social": social}
        )
    messages.success(request, done.format(f"@{profile.user.handle}"))
    return _back(request, profile.user.get_absolute_url())


@login_required
@require_POST
def follow(request, handle: str):
    return _person_action(request, handle, "follow")


@login_required
@require_POST
def unfollow(request, handle: str):
    return _person_action(request, handle, "unfollow")


@login_required
@require_POST
def block(request, handle: str):
    return _person_action(request, handle, "block")


@login_required
@require_POST
def unblock(request, handle: str):
    return _person_action(request, handle, "unblock")


@login_required
@require_POST
def mute(request, handle: str):
    return _person_action(request, handle, "mute")


@login_required
@require_POST
def unmute(request, handle: str):
    return _person_action(request, handle, "unmute")


def _like_response(request, post_id: int):
    if request.htmx:
        post = post_for_page(post_id=post_id, viewer=request.user)
        likes = post_likes(post=post, viewer=request.user)
        return render(request, "social/includes/post_actions.html#like-box", {"post": post, "likes": likes})
    return redirect("posts:detail", post_id=post_id)


@login_required
@require_POST
def like(request, post_id: int):
    services.like_create(user=request.user, post_id=post_id)
    return _like_response(request, post_id)


@login_required
@require_POST
def unlike(request, post_id: int):
    services.like_delete(user=request.user, post_id=post_id)
    return _like_response(request, post_id)


def _comments_response(request, post_id: int, *, form=None, status: int = 200):
    if request.htmx:
        post = post_for_page(post_id=post_id, viewer=request.user)
        context = {"post": post, "thread": post_thread(post=post, viewer=request.user), "comment_form": form}
        return render(request, "social/includes/comments.html#comment-thread", context, status=status)
    # The caller has already found the post visible to this person: the address alone is needed here,
    # not the post page's selector again (about half of a comment's CPU, profiled on the surge's data).
    return redirect(reverse("posts:detail", kwargs={"post_id": post_id}) + "#comments")


@require_GET
def comments_older(request, post_id: int):
    """The next page of a post's comments, older than the cursor `before`: under htmx the comments
    that replace the "Older comments" link, otherwise a page of them with its own link on."""
    post = post_for_page(post_id=post_id, viewer=request.user)
    if not post.is_public:
        raise Http404("No comments here.")
    try:
        thread = post_thread(post=post, viewer=request.user, before=request.GET.get("before") or None)
    except InvalidCursor as error:
        return _problem(request, str(error), status=400, post=post)
    template = "social/includes/comments.html#comment-items" if request.htmx else "social/comments_older.html"
    return render(request, template, {"post": post, "thread": thread})


@require_GET
def replies_more(request, comment_id: int):
    """The next replies to a comment, after the cursor `after`: under htmx the replies that replace the
    "More replies" link, otherwise a page of them. A comment the viewer may not read is a 404."""
    comment = top_comment_for_page(comment_id=comment_id, viewer=request.user)
    if comment is None:
        raise Http404("No such comment.")
    post = post_for_page(post_id=comment.post_id, viewer=request.user)
    if not post.is_public:
        raise Http404("No comments here.")
    try:
        page = comment_replies(comment=comment, viewer=request.user, after=request.GET.get("after") or None)
    except InvalidCursor as error:
        return _problem(request, str(error), status=400, post=post)
    context = {"post": post, "parent": comment, "replies": page.replies, "more": page.more}
    template = "social/includes/comments.html#reply-items" if request.htmx else "social/comment_replies.html"
    return render(request, template, context)


@login_required
@require_POST
def comment_create(request, post_id: int):
    # A post the person can't see is a 404 before anything about their text is said.
    post = post_for_page(post_id=post_id, viewer=request.user)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_create(
                author=request.user,
                post_id=post.pk,
                body=form.cleaned_data["body"],
                parent_id=form.cleaned_data["parent"],
            )
        except ValidationError as error:
            form.add_error("body", error)
        except services.RateLimited as error:
            if request.htmx:
                form.add_error(None, str(error))
                response = _comments_response(request, post.pk, form=form, status=429)
            else:
                response = _problem(request, str(error), status=429, form=form, post=post)
            response.headers["Retry-After"] = str(error.retry_after)
            return response
    if form.errors:
        if request.htmx:
            return _comments_response(request, post.pk, form=form, status=400)
        message = " ".join(message for errors in form.errors.values() for message in errors)
        return _problem(request, message, status=400, form=form, post=post)
    return _comments_response(request, post.pk)


@login_required
@require_POST
def comment_delete(request, comment_id: int):
    post = services.comment_delete(user=request.user, comment_id=comment_id)
    if not request.htmx:
        messages.success(request, "Comment deleted.")
    return _comments_response(request, post.pk)


@login_required
@require_GET
def settings_blocks(request):
    return render(request, "social/settings_blocks.html", blocks_and_mutes(user=request.user))
