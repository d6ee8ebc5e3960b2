"""Posts' part of pages other apps own: the portfolio grid on the profile (accounts sits below
posts and imports none of it; its template loads this library, `{% load posts %}`)."""

from django import template

from atelier.posts.selectors import posts_for_profile

register = template.Library()


@register.simple_tag(takes_context=True)
def portfolio_of(context, person):
    """`{% portfolio_of person as posts %}`: the person's posts the viewer may see, newest first (one query)."""
    return posts_for_profile(author=person, viewer=context.get("user"))
