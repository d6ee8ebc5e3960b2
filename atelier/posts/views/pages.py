"""Public pages of posts."""

from django.shortcuts import render

from atelier.core.html import render_user_markdown
from atelier.moderation.selectors import case_for_author
from atelier.posts.selectors import post_for_page, posts_more_by_author
from atelier.protection.cloak.selectors import post_cloak_status
from atelier.social.selectors import profile_social


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
            # The author sees how the review of their work stands (one query, only for them).
            "review_case": case_for_author(post=post, viewer=request.user) if owner else None,
            # ... and how the style cloak of its images is coming along.
            "cloak": post_cloak_status(post) if owner else None,
            "profile": post.author.profile,
            "description_html": render_user_markdown(post.description),
            # The artist panel's Follow button and the "more by this artist" strip: one query each.
            "social": None if owner else profile_social(user=post.author, viewer=request.user),
            "more_by_artist": posts_more_by_author(post=post, viewer=request.user),
        },
    )
