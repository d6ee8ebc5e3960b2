"""Comment text to safe HTML, with @mentions of existing people linked to their profiles.

The Markdown is sanitised first (core.html); mentions are then linked in the text between tags only,
never inside an existing link, and only for handles that belong to an active account: an unknown
@name stays plain text, so nobody can make a link to a page that does not exist.
"""

import re

from django.urls import reverse
from django.utils.html import format_html

from atelier.core.html import render_user_markdown

# A mention starts a word: not part of an email address, a path or another mention.
_MENTION = re.compile(r"(?<![\w@/.])@([A-Za-z0-9_]{3,30})\b")
_TAG = re.compile(r"(<[^>]*>)")


def render_comment_html(body: str) -> str:
    """Sanitised HTML for a comment, made once when it is saved (one query for the mentioned handles)."""
    return render_comment(body)[0]


def render_comment(body: str) -> tuple[str, set[str]]:
    """The comment's sanitised HTML and the handles it links as mentions (the people to notify)."""
    from atelier.accounts.models import User

    html = render_user_markdown(body)
    candidates = {match.lower() for match in _MENTION.findall(html)}
    if not candidates:
        return html, set()
    existing = set(User.objects.filter(handle__in=candidates, is_active=True).values_list("handle", flat=True))
    if not existing:
        return html, set()
    linked: set[str] = set()

    def link(match: re.Match) -> str:
        handle = match.group(1).lower()
        if handle not in existing:
            return match.group(0)
        linked.add(handle)
        return format_html('<a href="{}" class="mention">@{}</a>', reverse("accounts:profile", args=[handle]), handle)

    parts = []
    inside_link = False
    for part in _TAG.split(html):
        if part.startswith("<"):
            if re.match(r"<a[\s>]", part):
                inside_link = True
            elif part.startswith("</a"):
                inside_link = False
            parts.append(part)
        else:
            parts.append(part if inside_link else _MENTION.sub(link, part))
    return "".join(parts), linked


def mentioned_handles(text: str) -> set[str]:
    """The @handles a plain text (a post's description) names, lower-cased; who exists is the caller's query."""
    return {match.lower() for match in _MENTION.findall(render_user_markdown(text))}
