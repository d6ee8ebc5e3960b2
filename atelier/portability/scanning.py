"""What an archive holds, read from its JSON without touching a single picture.

Each format module (instagram, twitter, moving) turns an archive into a Scan: the works it found,
in the archive's order, plus what it counted and will not import (messages, replies, text-only
posts). A file of the wrong kind is refused here, with the reason, before anything is stored.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from atelier.portability.archives import ArchiveRefused, SafeZip

# Kinds a person sees counted in the preview; the first three are imported unless unticked,
# stories and reels only when chosen.
POST_KINDS = ("photo", "carousel", "video", "post")
OPTIONAL_KINDS = ("story", "reel")
_HASHTAG = re.compile(r"#(\w[\w-]*)", re.UNICODE)
_VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm")


@dataclass
class FoundWork:
    source_id: str
    kind: str
    taken_at: datetime | None
    caption: str = ""
    files: list[dict] = field(default_factory=list)  # {"name": member, "alt": str}
    location: str = ""
    details: dict = field(default_factory=dict)  # an Atelier export's own fields (title, licence, crops...)
    problem: str = ""  # why it cannot be imported, found while reading the JSON


@dataclass
class Scan:
    works: list[FoundWork]
    skipped: dict[str, int] = field(default_factory=dict)  # "messages": 12, "replies": 40 ...
    notes: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # albums of an Atelier export


def fix_mojibake(text: str) -> str:
    """Instagram's export writes each UTF-8 byte as its own \\u00XX escape ("cafÃ©" for "café"):
    undo it by reading the characters back as Latin-1 bytes; text that was fine is left alone."""
    if not text or all(ord(ch) < 128 for ch in text):
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def hashtags(caption: str) -> list[str]:
    seen: list[str] = []
    for tag in _HASHTAG.findall(caption):
        if tag.lower() not in seen:
            seen.append(tag.lower())
    return seen


def timestamp(value) -> datetime | None:
    """A Unix time from JSON (int, float or digit string), or None when it is missing or absurd."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not 946_684_800 <= value <= datetime.now(UTC).timestamp():  # 2000-01-01 .. now
        return None
    return datetime.fromtimestamp(value, tz=UTC)


def is_video_name(name: str) -> bool:
    return name.lower().endswith(_VIDEO_SUFFIXES)


def refuse_wrong_kind(archive: SafeZip, expected: str, looked_for: str) -> None:
    """Say which kind of archive this is when it is not the declared one."""
    names = set(archive.names())
    guess = ""
    if any(name.endswith("posts_1.json") or name == "media.json" for name in names):
        guess = " It looks like an Instagram archive."
    elif any(name.endswith("tweets.js") or name.endswith("tweet.js") for name in names):
        guess = " It looks like an X (Twitter) archive."
    elif "atelier-export.json" in names:
        guess = " It looks like an Atelier export."
    raise ArchiveRefused(
        "This ZIP is not %(expected)s: it has no %(looked_for)s.%(guess)s",
        code="wrong_kind",
        params={"expected": expected, "looked_for": looked_for, "guess": guess},
    )
