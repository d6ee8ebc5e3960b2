from django import template

from atelier.albums.selectors import post_is_bookmarked

register = template.Library()


@register.simple_tag
def bookmarked(post, viewer) -> bool:
    """Whether `viewer` bookmarked `post`: the list's annotation when there is one, else one query (post page)."""
    return post_is_bookmarked(post=post, viewer=viewer)
