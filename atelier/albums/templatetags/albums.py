from django import template

from atelier.albums.selectors import mark_bookmarked, post_is_bookmarked

register = template.Library()


@register.simple_tag
def bookmarked(post, viewer) -> bool:
    """Whether `viewer` bookmarked `post`: the list's annotation when there is one, else one query (post page)."""
    return post_is_bookmarked(post=post, viewer=viewer)


@register.filter
def with_bookmarks(posts, viewer):
    """`{% for post in posts|with_bookmarks:user %}`: a list of post cards with `viewer_bookmarked` set,
    from the viewer's cached bookmark set (or one query for the page): the cards' corner menu on pages
    of apps below albums (the profile's portfolio, the post page's "more by this artist")."""
    return mark_bookmarked(list(posts), viewer)
