"""Handles: the @name in every profile URL. Lower-case, and never a word the site needs for itself."""

import re

from django.core.exceptions import ValidationError

HANDLE_PATTERN = re.compile(r"^[a-z0-9_]{3,30}$")

# Path segments and words that would let someone impersonate the site or shadow a route.
RESERVED_HANDLES = frozenset(
    [
        "about",
        "abuse",
        "account",
        "accounts",
        "admin",
        "administrator",
        "ai",
        "api",
        "app",
        "apps",
        "atelier",
        "auth",
        "blog",
        "bookmarks",
        "cara",
        "careers",
        "contact",
        "dashboard",
        "discover",
        "docs",
        "explore",
        "feed",
        "feeds",
        "following",
        "help",
        "home",
        "healthz",
        "hiring",
        "jobs",
        "legal",
        "login",
        "logout",
        "me",
        "media",
        "moderation",
        "moderator",
        "mod",
        "notifications",
        "null",
        "official",
        "password",
        "policy",
        "privacy",
        "profile",
        "root",
        "search",
        "security",
        "settings",
        "signup",
        "signin",
        "staff",
        "static",
        "status",
        "studio",
        "studios",
        "support",
        "system",
        "tags",
        "terms",
        "undefined",
        "verify",
        "webmaster",
        "well_known",
        "www",
    ]
)


def normalise_handle(raw: str) -> str:
    return (raw or "").strip().lstrip("@").lower()


def validate_handle(handle: str) -> None:
    if not HANDLE_PATTERN.match(handle):
        raise ValidationError(
            "Handles are 3–30 characters: lower-case letters, digits and underscores.", code="handle_format"
        )
    if handle.isdigit():
        raise ValidationError("A handle needs at least one letter.", code="handle_digits")
    if handle in RESERVED_HANDLES:
        raise ValidationError(
            "“%(handle)s” is reserved; please choose another handle.", code="handle_reserved", params={"handle": handle}
        )
