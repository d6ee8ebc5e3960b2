"""Opaque, signed pagination cursors: a tampered or foreign cursor is refused, never trusted."""

import json

from django.core import signing

_SALT = "atelier.feeds.cursor"


class InvalidCursor(Exception):
    """The cursor was altered, belongs to another feed, or is too old."""


def encode_cursor(feed: str, position: dict) -> str:
    return signing.dumps({"feed": feed, **position}, salt=_SALT, compress=True)


def decode_cursor(feed: str, token: str | None, *, max_age: int = 7 * 24 * 3600) -> dict | None:
    if not token:
        return None
    try:
        data = signing.loads(token, salt=_SALT, max_age=max_age)
    except (signing.BadSignature, json.JSONDecodeError, UnicodeDecodeError, ValueError):
        raise InvalidCursor("This page link is broken or too old. Start from the top of the feed.") from None
    if not isinstance(data, dict) or data.get("feed") != feed:
        raise InvalidCursor("This page link belongs to another feed. Start from the top of the feed.")
    return data
