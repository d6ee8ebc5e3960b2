"""Social's part of pages other apps own: the post page's likes and comments, and the Follow button
on the post page and the profile. Posts and accounts sit below social and import none of it; their
templates load this library instead (`{% load social %}`). Each tag is one fixed set of queries."""

from django import template

from atelier.social.selectors import post_likes, post_thread, profile_social

register = template.Library()


def _viewer(context):
    return context.get("user")


@register.simple_tag(takes_context=True)
def likes_of(context, post):
    """`{% likes_of post as likes %}`: the like count and whether the viewer liked it (one query)."""
    return post_likes(post=post, viewer=_viewer(context))


@register.simple_tag(takes_context=True)
def thread_of(context, post):
    """`{% thread_of post as thread %}`: the comments the viewer may read (four queries)."""
    return post_thread(post=post, viewer=_viewer(context))


@register.simple_tag(takes_context=True)
def social_of(context, person):
    """`{% social_of person as social %}`: follower counts and the viewer's relations to `person` (one query)."""
    return profile_social(user=person, viewer=_viewer(context))
