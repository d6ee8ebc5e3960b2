"""User-written text to safe HTML: a small Markdown subset, then an allow-list sanitiser.

Markdown is rendered with raw HTML disabled, and the result still passes through nh3 (ammonia),
so nothing but the tags below, and http(s)/mailto links, can ever reach a page.
"""

import nh3
from markdown_it import MarkdownIt

_ALLOWED_TAGS = {"p", "br", "em", "strong", "a", "ul", "ol", "li", "blockquote", "code"}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
_markdown = (
    MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True})
    .enable("linkify")
    .disable(["image", "heading", "lheading", "fence", "code", "table", "hr", "html_block", "html_inline"])
)


def render_user_markdown(text: str) -> str:
    """Render a bio or description; links get rel=nofollow ugc noopener and open nowhere special."""
    rendered = _markdown.render(text or "")
    return nh3.clean(
        rendered,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener noreferrer",
    )
