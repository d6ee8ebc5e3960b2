"""What the instance may claim about a work's source in the Content Credentials it signs: an IPTC
digital source type (https://cv.iptc.org/newscodes/digitalsourcetype/), from the evidence only."""

from atelier.media.models import MediaKind
from atelier.media.states import CheckState
from atelier.posts.models import Post

# Photographs and scans of physical work are captures; everything else is made with digital tools.
_CAPTURED_MEDIUMS = {"traditional", "photography", "sculpture"}
AI_SOURCE = "trainedAlgorithmicMedia"


def source_type(post: Post, items=None) -> str | None:
    """The IPTC digital source type the instance may sign for these items (all of the post's when
    None), from the evidence only: AI when any item's own metadata, watermark or a moderator said so;
    human work (a capture or a digital creation, by the post's medium) only when every check passed;
    None — no claim about the source — while any is pending, failed or held."""
    items = list(items if items is not None else post.items.exclude(kind=MediaKind.EMBED))
    if any(item.said_ai for item in items):
        return AI_SOURCE
    if not items or any(item.ai_check not in (CheckState.PASS, CheckState.REVIEW) for item in items):
        return None
    return "digitalCapture" if post.medium in _CAPTURED_MEDIUMS else "digitalCreation"
