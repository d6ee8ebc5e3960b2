from django import template

from atelier.protection.theft import selectors

register = template.Library()


@register.inclusion_tag("theft/includes/case_originals.html")
def repost_originals(post):
    """In a moderation case: each original work the held upload looks like, beside the upload."""
    return {"post": post, "matches": selectors.matches_for_case(post=post)}
