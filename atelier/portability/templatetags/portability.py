from django import template

from atelier.portability import selectors
from atelier.portability.exporting import download_signature

register = template.Library()


@register.inclusion_tag("portability/includes/moved_banner.html")
def moved_banner(user):
    """ "Moved to …" on a profile whose owner moved to another instance (one query)."""
    return {"moved_to": selectors.moved_to(user=user)}


@register.filter
def export_signature(export) -> str:
    """The signed token of an export's download link, for its owner's own page."""
    return download_signature(export)


@register.filter
def files_of(record: dict) -> list[dict]:
    """The files an export record put in the ZIP (its private `_files` key, which templates cannot read)."""
    return record.get("_files", [])
