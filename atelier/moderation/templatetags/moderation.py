"""The review panel on an author's own post page, rendered by moderation itself, so posts (which
moderation acts on) never imports moderation."""

from django import template

from atelier.moderation.selectors import case_for_author

register = template.Library()


@register.inclusion_tag("moderation/includes/post_review.html", takes_context=True)
def post_review(context, post):
    """How the review of the viewer's own post stands (one query, only for its author)."""
    return {
        "post": post,
        "review_case": case_for_author(post=post, viewer=context["request"].user),
        "csrf_token": context.get("csrf_token"),
    }
