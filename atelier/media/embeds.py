"""Sketchfab models and YouTube / Vimeo videos shown inside a post, given as a link.

We keep only what identifies the item (provider, ID, start time, Vimeo private-video code), each
checked against a strict pattern, and build every iframe and page URL from fixed templates. Nothing
else the member typed ever reaches a page, so a stored embed cannot carry markup or point elsewhere.
"""

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qs, urlsplit

from django.core.exceptions import ValidationError

SKETCHFAB = "sketchfab"
YOUTUBE = "youtube"
VIMEO = "vimeo"

PROVIDER_LABELS = {SKETCHFAB: "Sketchfab", YOUTUBE: "YouTube", VIMEO: "Vimeo"}

# The only origins the site's Content-Security-Policy needs in frame-src for embeds.
EMBED_FRAME_ORIGINS = ("https://sketchfab.com", "https://www.youtube-nocookie.com", "https://player.vimeo.com")

MAX_URL_LENGTH = 2000
MAX_START_SECONDS = 7 * 24 * 3600  # longer than any video or live replay; refuses absurd numbers

# fullmatch with explicit ASCII classes: \d would accept other scripts' digits, and $ a trailing newline.
_ID_PATTERNS = {
    SKETCHFAB: re.compile(r"[0-9a-f]{32}"),
    YOUTUBE: re.compile(r"[A-Za-z0-9_-]{11}"),
    VIMEO: re.compile(r"[1-9][0-9]{0,11}"),
}
_VIMEO_HASH = re.compile(r"[0-9a-f]{6,32}")
_TIMESTAMP = re.compile(r"(?:([0-9]{1,3})h)?(?:([0-9]{1,4})m)?(?:([0-9]{1,7})s?)?")

# Exact host names (compared after lower-casing), so look-alikes, suffixes and ports all fail.
_HOSTS = {
    "youtube.com": YOUTUBE,
    "www.youtube.com": YOUTUBE,
    "m.youtube.com": YOUTUBE,
    "youtu.be": YOUTUBE,
    "youtube-nocookie.com": YOUTUBE,
    "www.youtube-nocookie.com": YOUTUBE,
    "vimeo.com": VIMEO,
    "www.vimeo.com": VIMEO,
    "player.vimeo.com": VIMEO,
    "sketchfab.com": SKETCHFAB,
    "www.sketchfab.com": SKETCHFAB,
}

# Characters no pasted web address needs raw; some of them make parsers disagree (a backslash is
# a slash to browsers but not to urlsplit), and quotes and angle brackets are how markup gets in.
_FORBIDDEN_CHARACTERS = frozenset('\\<>"`{}|^')

_IFRAME_ALLOW = {
    SKETCHFAB: "autoplay; fullscreen; xr-spatial-tracking",
    YOUTUBE: "autoplay; encrypted-media; fullscreen; picture-in-picture",
    VIMEO: "autoplay; fullscreen; picture-in-picture",
}

_ITEM = {SKETCHFAB: "model", YOUTUBE: "video", VIMEO: "video"}

_ID_MESSAGES = {
    SKETCHFAB: "This Sketchfab link has no valid model ID; copy the link from the model's page.",
    YOUTUBE: "This YouTube link has no valid video ID; copy the link from the video's page.",
    VIMEO: "This Vimeo link has no valid video number; copy the link from the video's page.",
}

_START_MESSAGE = "The start time in this link isn't one we understand; use seconds (90) or minutes and seconds (1m30s)."

_DICT_KEYS = frozenset({"provider", "video_or_model_id", "start_seconds", "vimeo_hash"})


@dataclass(frozen=True)
class Embed:
    provider: str
    video_or_model_id: str
    start_seconds: int | None = None
    vimeo_hash: str | None = None

    def __post_init__(self):
        # Checked on every construction, not only when parsing a link: an Embed rebuilt from a
        # tampered database row must fail here rather than reach a template.
        if not isinstance(self.provider, str) or self.provider not in PROVIDER_LABELS:
            raise ValidationError("Only Sketchfab, YouTube and Vimeo can be embedded.", code="unknown_provider")
        if not isinstance(self.video_or_model_id, str) or not _ID_PATTERNS[self.provider].fullmatch(
            self.video_or_model_id
        ):
            raise ValidationError(_ID_MESSAGES[self.provider], code="invalid_id")
        if self.start_seconds is not None and (
            self.provider == SKETCHFAB
            or type(self.start_seconds) is not int
            or not 0 < self.start_seconds <= MAX_START_SECONDS
        ):
            raise ValidationError(_START_MESSAGE, code="invalid_start")
        if self.vimeo_hash is not None and (
            self.provider != VIMEO or not isinstance(self.vimeo_hash, str) or not _VIMEO_HASH.fullmatch(self.vimeo_hash)
        ):
            raise ValidationError(
                "The private-video code in this Vimeo link isn't valid; copy the link from the video's page.",
                code="invalid_hash",
            )

    @property
    def provider_label(self) -> str:
        return PROVIDER_LABELS[self.provider]

    @property
    def iframe_allow(self) -> str:
        """The iframe's allow attribute: only the features each player needs to play and go full screen."""
        return _IFRAME_ALLOW[self.provider]

    @property
    def player_url(self) -> str:
        """The iframe src. YouTube goes through its no-cookie domain and Vimeo gets dnt=1, so merely
        viewing a post does not set tracking cookies for visitors."""
        if self.provider == SKETCHFAB:
            return f"https://sketchfab.com/models/{self.video_or_model_id}/embed?autostart=1"
        if self.provider == YOUTUBE:
            start = f"&start={self.start_seconds}" if self.start_seconds else ""
            return f"https://www.youtube-nocookie.com/embed/{self.video_or_model_id}?autoplay=1{start}"
        private = f"&h={self.vimeo_hash}" if self.vimeo_hash else ""
        start = f"#t={self.start_seconds}s" if self.start_seconds else ""
        return f"https://player.vimeo.com/video/{self.video_or_model_id}?autoplay=1&dnt=1{private}{start}"

    @property
    def canonical_url(self) -> str:
        """The page on the provider's own site, for the link shown beside the player."""
        if self.provider == SKETCHFAB:
            return f"https://sketchfab.com/models/{self.video_or_model_id}"
        if self.provider == YOUTUBE:
            start = f"&t={self.start_seconds}s" if self.start_seconds else ""
            return f"https://www.youtube.com/watch?v={self.video_or_model_id}{start}"
        private = f"/{self.vimeo_hash}" if self.vimeo_hash else ""
        start = f"#t={self.start_seconds}s" if self.start_seconds else ""
        return f"https://vimeo.com/{self.video_or_model_id}{private}{start}"

    def as_dict(self) -> dict:
        return {
            "provider": self.provider,
            "video_or_model_id": self.video_or_model_id,
            "start_seconds": self.start_seconds,
            "vimeo_hash": self.vimeo_hash,
        }

    @classmethod
    def from_dict(cls, data) -> "Embed":
        """Rebuild a stored embed; every field is checked again, so an edited row cannot become markup."""
        if not isinstance(data, dict) or not {"provider", "video_or_model_id"} <= data.keys() <= _DICT_KEYS:
            raise ValidationError("This stored embed is incomplete or has unexpected fields.", code="invalid_embed")
        return cls(**data)


def parse_embed_url(raw: str) -> Embed:
    """Read a pasted Sketchfab, YouTube or Vimeo link, or raise ValidationError saying what is wrong with it."""
    text = raw.strip(" \t\r\n") if isinstance(raw, str) else ""
    if not text:
        raise ValidationError("Paste a link to a Sketchfab model or a YouTube or Vimeo video.", code="empty")
    if len(text) > MAX_URL_LENGTH:
        raise ValidationError(
            "This link is %(length)s characters long; the limit is %(limit)s.",
            code="too_long",
            params={"length": f"{len(text):,}", "limit": f"{MAX_URL_LENGTH:,}"},
        )
    if any(_is_forbidden(c) for c in text):
        raise ValidationError(
            "This link contains spaces or characters that don't belong in a web address; copy it again from the "
            "address bar.",
            code="invalid_characters",
        )
    parts = _split(text)
    host = parts.netloc.lower()
    provider = _HOSTS[host]
    segments = parts.path.removesuffix("/").split("/")[1:]
    query = parse_qs(parts.query, keep_blank_values=True)
    fragment = parse_qs(parts.fragment, keep_blank_values=True)
    if provider == YOUTUBE:
        return _youtube(host, segments, query, fragment)
    if provider == VIMEO:
        return _vimeo(host, segments, query, fragment)
    return _sketchfab(segments)


def _is_forbidden(character: str) -> bool:
    # Category C covers control, format (zero-width, bidi overrides) and unassigned characters.
    return character.isspace() or unicodedata.category(character)[0] == "C" or character in _FORBIDDEN_CHARACTERS


def _split(text: str) -> SplitResult:
    """Split the link and check scheme, credentials and host; a link without a scheme is taken as https."""
    unknown_host = ValidationError("Only links to Sketchfab, YouTube and Vimeo can be embedded.", code="unknown_host")
    try:
        parts = urlsplit(text)
        if not parts.scheme and not text.startswith("/"):
            parts = urlsplit("https://" + text)
    except ValueError:  # e.g. an unclosed "[" or characters that normalise to "/" or "@" in the host
        raise unknown_host from None
    if parts.scheme not in ("http", "https"):
        raise ValidationError("Only web links (starting with https://) can be embedded.", code="not_http")
    if "@" in parts.netloc:
        # Also catches youtube.com@evil.example, where the real host is the part after "@".
        raise ValidationError(
            "Links with a user name or password in them can't be embedded; copy the link from the page itself.",
            code="credentials",
        )
    if parts.netloc.lower() not in _HOSTS:
        raise unknown_host
    return parts


def _single(params: dict[str, list[str]], key: str, what: str) -> str | None:
    """One value for key, or None; two different values would leave us guessing, so they are refused."""
    values = set(params.get(key, ()))
    if len(values) > 1:
        raise _ambiguous(what)
    return values.pop() if values else None


def _ambiguous(what: str) -> ValidationError:
    return ValidationError(
        "This link contains more than one %(what)s, so we can't tell which is meant.",
        code="ambiguous",
        params={"what": what},
    )


def _start_seconds(value: str | None) -> int | None:
    """Seconds from "90", "90s", "1m30s" or "1h2m3s"; none, empty or zero means from the beginning."""
    if not value:
        return None
    match = _TIMESTAMP.fullmatch(value)
    if not match or not any(match.groups()):
        raise ValidationError(_START_MESSAGE, code="invalid_start")
    hours, minutes, seconds = (int(group or 0) for group in match.groups())
    # Embed refuses anything past MAX_START_SECONDS with the same message.
    return hours * 3600 + minutes * 60 + seconds or None


def _unsupported(provider: str) -> ValidationError:
    return ValidationError(
        "This %(provider)s link doesn't point to a single %(item)s; open the %(item)s and copy its link.",
        code="unsupported_link",
        params={"provider": PROVIDER_LABELS[provider], "item": _ITEM[provider]},
    )


def _youtube(host: str, segments: list[str], query: dict, fragment: dict) -> Embed:
    if host == "youtu.be":
        if len(segments) != 1:
            raise _unsupported(YOUTUBE)
        video = segments[0]
    elif len(segments) == 2 and (
        segments[0] == "embed" or (segments[0] in ("shorts", "live") and "nocookie" not in host)
    ):
        video = segments[1]
    elif segments == ["watch"] and "nocookie" not in host:
        video = _single(query, "v", "video") or ""
    else:
        raise _unsupported(YOUTUBE)
    start = (
        _single(query, "t", "start time")
        or _single(query, "start", "start time")
        or _single(fragment, "t", "start time")
    )
    return Embed(YOUTUBE, video, start_seconds=_start_seconds(start))


def _vimeo(host: str, segments: list[str], query: dict, fragment: dict) -> Embed:
    path_hash = None
    if host == "player.vimeo.com":
        if len(segments) != 2 or segments[0] != "video":
            raise _unsupported(VIMEO)
        video = segments[1]
    elif len(segments) == 1:
        video = segments[0]
    elif len(segments) == 2 and segments[0] not in ("channels", "groups", "showcase", "album"):
        video, path_hash = segments
    elif len(segments) == 3 and segments[0] == "channels":
        video = segments[2]
    elif len(segments) == 4 and (segments[0], segments[2]) in (
        ("groups", "videos"),
        ("showcase", "video"),
        ("album", "video"),
    ):
        video = segments[3]
    else:
        raise _unsupported(VIMEO)
    query_hash = _single(query, "h", "private-video code")
    if path_hash and query_hash and path_hash != query_hash:
        raise _ambiguous("private-video code")
    start = _start_seconds(_single(fragment, "t", "start time"))
    return Embed(VIMEO, video, start_seconds=start, vimeo_hash=path_hash or query_hash or None)


def _sketchfab(segments: list[str]) -> Embed:
    if len(segments) == 2 and segments[0] == "3d-models":
        model = segments[1].rsplit("-", 1)[-1]  # the slug before the ID is only for people
    elif (len(segments) == 2 and segments[0] in ("models", "show")) or (
        len(segments) == 3 and segments[0] == "models" and segments[2] == "embed"
    ):
        model = segments[1]
    else:
        raise _unsupported(SKETCHFAB)
    return Embed(SKETCHFAB, model)
