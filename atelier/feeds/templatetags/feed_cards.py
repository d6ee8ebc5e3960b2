"""Feed cards rendered from fragments: a card's link (thumbnail, srcsets with signed URLs, title,
author, badges) is the same for every viewer, so it is rendered once per post version and URL
signing window and reused; the viewer's part (the bookmark menu) is rendered around it per page.

Rendering 24 cards was most of a feed page's cost (bench/feeds.py, bench/feeds_instructions.py).
"""

from django import template
from django.template.loader import get_template

from atelier.feeds import feed_cache
from atelier.media.signed_media import current_window

register = template.Library()


@register.simple_tag
def feed_card_link(post):
    """posts/includes/post_card_link.html for `post` (author shown), from the process's fragments
    when this version of the card was rendered in this signing window already."""

    def render() -> str:
        return get_template("posts/includes/post_card_link.html").render({"post": post, "show_author": True})

    return feed_cache.card_fragment(post, window=current_window(), render=render)
