"""The style cloak's parts of the post pages, rendered by the cloak itself.

The composer and the post page include these tags rather than building the cloak's context in
their views, so posts never imports the cloak: the cloak sits above posts (it reads posts' media
and re-renders through posts' pipeline), and its panels are composed in by the templates.
"""

from django import template

from atelier.protection.cloak.figures import measured_figures
from atelier.protection.cloak.models import Strength
from atelier.protection.cloak.selectors import post_cloak_status

register = template.Library()


@register.inclusion_tag("cloak/includes/composer_panel.html", takes_context=True)
def cloak_composer_panel(context, post):
    """The composer's cloak section: toggle, strength and each image's cloak job."""
    return {
        "post": post,
        "cloak": post_cloak_status(post),
        "cloak_figures": measured_figures(),
        "strengths": Strength.choices,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("cloak/includes/post_section.html")
def cloak_post_section(post):
    """The author's view of how the cloak of a post's images is coming along (nothing when off)."""
    return {"post": post, "cloak": post_cloak_status(post)}
