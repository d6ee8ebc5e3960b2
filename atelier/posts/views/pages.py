"""Public pages of posts. The author's panels of other apps (the review of their work, the style
cloak) are composed in by those apps' template tags (posts/detail.html), not imported here."""

from django.shortcuts import render

from atelier.core.html import render_user_markdown
from atelier.posts.selectors import post_for_page


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
            "profile": post.author.profile,
            "description_html": render_user_markdown(post.description),
        },
    )
