"""Embeds from pasted links: the real link shapes we accept, the tricks we refuse, and the promise
that nothing but whitelisted templates and validated IDs ever becomes an iframe src."""

import json
import random
import re
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError

from atelier.media.embeds import EMBED_FRAME_ORIGINS, MAX_URL_LENGTH, Embed, parse_embed_url

pytestmark = pytest.mark.backend_free  # neither database nor cache: runs once (tests/conftest.py)

YT = "dQw4w9WgXcQ"
YT_DASHED = "a-B_c1D2e3F"
VIMEO_ID = "76979871"
VIMEO_HASH = "8e7b2b3f1c"
SKETCHFAB_ID = "7e1d0a8f3b2c4d5e9f6a1b2c3d4e5f60"

YT_PLAYER = f"https://www.youtube-nocookie.com/embed/{YT}?autoplay=1"
VIMEO_PLAYER = f"https://player.vimeo.com/video/{VIMEO_ID}?autoplay=1&dnt=1"
SKETCHFAB_PLAYER = f"https://sketchfab.com/models/{SKETCHFAB_ID}/embed?autostart=1"

# Everything a player URL may contain: letters, digits and the URL punctuation our templates use.
SAFE_PLAYER_URL = re.compile(r"[A-Za-z0-9:/.?=&#_-]+")

VALID = [
    # (link, provider, id, start seconds, vimeo hash, player url)
    (f"https://www.youtube.com/watch?v={YT}", "youtube", YT, None, None, YT_PLAYER),
    (f"https://youtube.com/watch?v={YT}", "youtube", YT, None, None, YT_PLAYER),
    (f"https://m.youtube.com/watch?v={YT}&feature=share", "youtube", YT, None, None, YT_PLAYER),
    (f"http://www.youtube.com/watch?v={YT}", "youtube", YT, None, None, YT_PLAYER),
    (f"HTTPS://WWW.YouTube.com/watch?v={YT}", "youtube", YT, None, None, YT_PLAYER),
    (f"www.youtube.com/watch?v={YT}", "youtube", YT, None, None, YT_PLAYER),
    (f"  https://www.youtube.com/watch?v={YT}\n", "youtube", YT, None, None, YT_PLAYER),
    (f"https://www.youtube.com/watch?list=PL1234&v={YT}&index=2", "youtube", YT, None, None, YT_PLAYER),
    (f"https://www.youtube.com/watch?v={YT}&t=90", "youtube", YT, 90, None, f"{YT_PLAYER}&start=90"),
    (f"https://www.youtube.com/watch?v={YT}&t=90s", "youtube", YT, 90, None, f"{YT_PLAYER}&start=90"),
    (f"https://www.youtube.com/watch?v={YT}&t=1m30s", "youtube", YT, 90, None, f"{YT_PLAYER}&start=90"),
    (f"https://www.youtube.com/watch?v={YT}&t=1h2m3s", "youtube", YT, 3723, None, f"{YT_PLAYER}&start=3723"),
    (f"https://www.youtube.com/watch?v={YT}&t=0", "youtube", YT, None, None, YT_PLAYER),
    (f"https://www.youtube.com/watch?v={YT}#t=45", "youtube", YT, 45, None, f"{YT_PLAYER}&start=45"),
    (f"https://youtu.be/{YT}", "youtube", YT, None, None, YT_PLAYER),
    (f"https://youtu.be/{YT}?si=AbCdEf123&t=42", "youtube", YT, 42, None, f"{YT_PLAYER}&start=42"),
    (f"youtu.be/{YT}", "youtube", YT, None, None, YT_PLAYER),
    (f"https://www.youtube.com/shorts/{YT}", "youtube", YT, None, None, YT_PLAYER),
    (f"https://youtube.com/shorts/{YT}/?feature=share", "youtube", YT, None, None, YT_PLAYER),
    (f"https://www.youtube.com/embed/{YT}?start=90", "youtube", YT, 90, None, f"{YT_PLAYER}&start=90"),
    (f"https://www.youtube.com/live/{YT}?si=xyz", "youtube", YT, None, None, YT_PLAYER),
    (f"https://www.youtube-nocookie.com/embed/{YT}", "youtube", YT, None, None, YT_PLAYER),
    (f"https://youtube-nocookie.com/embed/{YT}?start=12", "youtube", YT, 12, None, f"{YT_PLAYER}&start=12"),
    (
        f"https://www.youtube.com/watch?v={YT_DASHED}",
        "youtube",
        YT_DASHED,
        None,
        None,
        f"https://www.youtube-nocookie.com/embed/{YT_DASHED}?autoplay=1",
    ),
    (f"https://vimeo.com/{VIMEO_ID}", "vimeo", VIMEO_ID, None, None, VIMEO_PLAYER),
    (f"https://www.vimeo.com/{VIMEO_ID}/", "vimeo", VIMEO_ID, None, None, VIMEO_PLAYER),
    (f"vimeo.com/{VIMEO_ID}", "vimeo", VIMEO_ID, None, None, VIMEO_PLAYER),
    (f"https://vimeo.com/{VIMEO_ID}#t=30s", "vimeo", VIMEO_ID, 30, None, f"{VIMEO_PLAYER}#t=30s"),
    (f"https://vimeo.com/{VIMEO_ID}#t=1m5s", "vimeo", VIMEO_ID, 65, None, f"{VIMEO_PLAYER}#t=65s"),
    (
        f"https://vimeo.com/{VIMEO_ID}/{VIMEO_HASH}",
        "vimeo",
        VIMEO_ID,
        None,
        VIMEO_HASH,
        f"{VIMEO_PLAYER}&h={VIMEO_HASH}",
    ),
    (
        f"https://vimeo.com/{VIMEO_ID}?h={VIMEO_HASH}",
        "vimeo",
        VIMEO_ID,
        None,
        VIMEO_HASH,
        f"{VIMEO_PLAYER}&h={VIMEO_HASH}",
    ),
    (
        f"https://vimeo.com/{VIMEO_ID}/{VIMEO_HASH}?share=copy#t=10",
        "vimeo",
        VIMEO_ID,
        10,
        VIMEO_HASH,
        f"{VIMEO_PLAYER}&h={VIMEO_HASH}#t=10s",
    ),
    (f"https://vimeo.com/channels/staffpicks/{VIMEO_ID}", "vimeo", VIMEO_ID, None, None, VIMEO_PLAYER),
    (f"https://vimeo.com/groups/animation/videos/{VIMEO_ID}", "vimeo", VIMEO_ID, None, None, VIMEO_PLAYER),
    (f"https://vimeo.com/showcase/1234567/video/{VIMEO_ID}", "vimeo", VIMEO_ID, None, None, VIMEO_PLAYER),
    (f"https://player.vimeo.com/video/{VIMEO_ID}", "vimeo", VIMEO_ID, None, None, VIMEO_PLAYER),
    (
        f"https://player.vimeo.com/video/{VIMEO_ID}?h={VIMEO_HASH}&badge=0",
        "vimeo",
        VIMEO_ID,
        None,
        VIMEO_HASH,
        f"{VIMEO_PLAYER}&h={VIMEO_HASH}",
    ),
    (
        f"https://sketchfab.com/3d-models/little-robot-{SKETCHFAB_ID}",
        "sketchfab",
        SKETCHFAB_ID,
        None,
        None,
        SKETCHFAB_PLAYER,
    ),
    (
        f"https://sketchfab.com/3d-models/dragon-sculpt-wip-2024-{SKETCHFAB_ID}/",
        "sketchfab",
        SKETCHFAB_ID,
        None,
        None,
        SKETCHFAB_PLAYER,
    ),
    (f"https://sketchfab.com/3d-models/{SKETCHFAB_ID}", "sketchfab", SKETCHFAB_ID, None, None, SKETCHFAB_PLAYER),
    (f"https://www.sketchfab.com/models/{SKETCHFAB_ID}", "sketchfab", SKETCHFAB_ID, None, None, SKETCHFAB_PLAYER),
    (f"https://sketchfab.com/models/{SKETCHFAB_ID}/embed", "sketchfab", SKETCHFAB_ID, None, None, SKETCHFAB_PLAYER),
    (
        f"https://sketchfab.com/models/{SKETCHFAB_ID}/embed?autospin=1&ui_theme=dark",
        "sketchfab",
        SKETCHFAB_ID,
        None,
        None,
        SKETCHFAB_PLAYER,
    ),
    (f"https://sketchfab.com/show/{SKETCHFAB_ID}", "sketchfab", SKETCHFAB_ID, None, None, SKETCHFAB_PLAYER),
]

HOSTILE = [
    # (input, expected code)
    ("", "empty"),
    ("   ", "empty"),
    (None, "empty"),
    (f"https://www.youtube.com/watch?v={YT}&x=" + "a" * MAX_URL_LENGTH, "too_long"),
    ("javascript:alert(document.cookie)", "not_http"),
    (f"JaVaScRiPt://www.youtube.com/watch?v={YT}%0Aalert(1)", "not_http"),
    ("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "not_http"),
    (f"ftp://www.youtube.com/watch?v={YT}", "not_http"),
    ("file:///etc/passwd", "not_http"),
    (f"//www.youtube.com/watch?v={YT}", "not_http"),
    (f"https://www.youtube.com.evil.example/watch?v={YT}", "unknown_host"),
    (f"https://evil.example/youtube.com/watch?v={YT}", "unknown_host"),
    (f"evil.example/www.youtube.com/watch?v={YT}", "unknown_host"),
    (f"https://evilyoutube.com/watch?v={YT}", "unknown_host"),
    (f"https://music.youtube.com/watch?v={YT}", "unknown_host"),
    (f"https://www.youtube.com:8080/watch?v={YT}", "unknown_host"),
    (f"https://www.youtube.com./watch?v={YT}", "unknown_host"),
    (f"https://www.y\u043eutube.com/watch?v={YT}", "unknown_host"),  # Cyrillic o
    (f"https://www.xn--yutube-wqf.com/watch?v={YT}", "unknown_host"),
    (f"https://www.youtube．com/watch?v={YT}", "unknown_host"),  # fullwidth dot
    (f"https://www.youtube%2Ecom/watch?v={YT}", "unknown_host"),
    (f"https://142.250.74.14/watch?v={YT}", "unknown_host"),
    (f"https://[www.youtube.com/watch?v={YT}", "unknown_host"),
    (f"https:www.youtube.com/watch?v={YT}", "unknown_host"),
    (f"https://vimeo.com.evil.example/{VIMEO_ID}", "unknown_host"),
    (f"https://sketchfab.co/models/{SKETCHFAB_ID}", "unknown_host"),
    (f"https://www.youtube.com@evil.example/watch?v={YT}", "credentials"),
    (f"https://user:secret@www.youtube.com/watch?v={YT}", "credentials"),
    (f"https://evil.example%40www.youtube.com/watch?v={YT}@www.youtube.com", "unknown_host"),
    (f"https://www.youtube.com/watch?v={YT}@evil.example", "invalid_id"),
    (f"https://evil.example\\@www.youtube.com/watch?v={YT}", "invalid_characters"),
    (f"https://www.you tube.com/watch?v={YT}", "invalid_characters"),
    (f"https://www.youtube.com/watch?v={YT}\nhttps://evil.example", "invalid_characters"),
    (f"java\tscript:alert(1)//https://www.youtube.com/watch?v={YT}", "invalid_characters"),
    (f"https://www.youtube.com/watch?v={YT}\x00", "invalid_characters"),
    (f"https://www.you\u200btube.com/watch?v={YT}", "invalid_characters"),  # zero-width space
    (f"https://www.youtube.com/watch?v=\u202e{YT}", "invalid_characters"),  # right-to-left override
    (f"https://www.youtube.com/watch?v={YT}\u00a0", "invalid_characters"),  # no-break space
    ('https://www.youtube.com/watch?v="><script>alert(1)</script>', "invalid_characters"),
    ("https://www.youtube.com/watch?v=dQw4w9WgXc", "invalid_id"),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQQ", "invalid_id"),
    ("https://www.youtube.com/watch?v=dQw4w9WgX.Q", "invalid_id"),
    ("https://www.youtube.com/watch?v=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E", "invalid_id"),
    ("https://www.youtube.com/watch?v=dQw4w9WgXc%0A", "invalid_id"),
    ("https://www.youtube.com/watch?v=", "invalid_id"),
    ("https://www.youtube.com/watch", "invalid_id"),
    ("https://youtu.be/dQw4w9WgXcQ%27", "invalid_id"),
    ("https://www.youtube.com/shorts/dQw4w9WgXc%E2%80%8B", "invalid_id"),
    ("https://vimeo.com/12a34", "invalid_id"),
    ("https://vimeo.com/١٢٣٤", "invalid_id"),  # Arabic-Indic digits
    ("https://vimeo.com/0123", "invalid_id"),
    ("https://player.vimeo.com/video/1234567890123", "invalid_id"),
    (f"https://sketchfab.com/3d-models/little-robot-{SKETCHFAB_ID[:-1]}", "invalid_id"),
    (f"https://sketchfab.com/models/{SKETCHFAB_ID.upper()}", "invalid_id"),
    (f"https://sketchfab.com/models/{SKETCHFAB_ID[:-1]}g", "invalid_id"),
    (f"https://vimeo.com/{VIMEO_ID}/likes", "invalid_hash"),
    (f"https://vimeo.com/{VIMEO_ID}?h=%3Cscript%3E", "invalid_hash"),
    (f"https://www.youtube.com/watch?v={YT}&t=abc", "invalid_start"),
    (f"https://www.youtube.com/watch?v={YT}&t=-5", "invalid_start"),
    (f"https://www.youtube.com/watch?v={YT}&t=999h", "invalid_start"),
    (f"https://vimeo.com/{VIMEO_ID}#t=1.5", "invalid_start"),
    (f"https://www.youtube.com/watch?v={YT}&v={YT_DASHED}", "ambiguous"),
    (f"https://vimeo.com/{VIMEO_ID}/{VIMEO_HASH}?h=0123456789", "ambiguous"),
    ("https://www.youtube.com/@someartist", "unsupported_link"),
    ("https://www.youtube.com/playlist?list=PL1234", "unsupported_link"),
    ("https://www.youtube.com/", "unsupported_link"),
    (f"https://www.youtube-nocookie.com/watch?v={YT}", "unsupported_link"),
    (f"https://youtu.be/{YT}/extra", "unsupported_link"),
    (f"https://www.youtube.com//watch?v={YT}", "unsupported_link"),
    ("https://vimeo.com/channels/staffpicks", "unsupported_link"),
    (f"https://player.vimeo.com/{VIMEO_ID}", "unsupported_link"),
    ("https://sketchfab.com/someartist", "unsupported_link"),
    (f"https://sketchfab.com/models/{SKETCHFAB_ID}/edit", "unsupported_link"),
]


def _error(raw) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        parse_embed_url(raw)
    return caught.value


def _assert_readable(error: ValidationError) -> None:
    """One sentence a person can read: capitalised, finished, parameters filled in, nothing echoed back."""
    (message,) = error.messages
    assert message[0].isupper()
    assert message.endswith(".")
    assert "%(" not in message
    assert "<" not in message and "evil" not in message


@pytest.mark.parametrize(("link", "provider", "video_id", "start", "vimeo_hash", "player_url"), VALID)
def test_real_links_parse_to_provider_id_and_player_url(link, provider, video_id, start, vimeo_hash, player_url):
    embed = parse_embed_url(link)

    assert embed.provider == provider
    assert embed.video_or_model_id == video_id
    assert embed.start_seconds == start
    assert embed.vimeo_hash == vimeo_hash
    assert embed.player_url == player_url


@pytest.mark.parametrize(("raw", "code"), HOSTILE)
def test_hostile_and_broken_links_are_refused_with_a_readable_reason(raw, code):
    error = _error(raw)

    assert error.code == code
    _assert_readable(error)


def test_over_long_message_says_how_long():
    error = _error("https://vimeo.com/" + "1" * 2100)

    assert error.code == "too_long"
    assert error.messages == ["This link is 2,118 characters long; the limit is 2,000."]


def test_unsupported_message_names_the_provider_and_item():
    assert _error("https://sketchfab.com/someartist").messages == [
        "This Sketchfab link doesn't point to a single model; open the model and copy its link."
    ]


@pytest.mark.parametrize(("link", "provider", "video_id", "start", "vimeo_hash", "player_url"), VALID)
def test_every_player_url_is_safe_and_on_an_allowed_frame_origin(
    link, provider, video_id, start, vimeo_hash, player_url
):
    embed = parse_embed_url(link)
    parts = urlsplit(embed.player_url)

    assert SAFE_PLAYER_URL.fullmatch(embed.player_url)
    assert f"{parts.scheme}://{parts.netloc}" in EMBED_FRAME_ORIGINS
    assert SAFE_PLAYER_URL.fullmatch(embed.canonical_url)
    assert embed.canonical_url.startswith("https://")


def test_frame_origins_are_exactly_the_three_players(settings):
    assert set(EMBED_FRAME_ORIGINS) == set(settings.CSP_FRAME_ORIGINS)  # what the CSP lets frames load
    assert set(EMBED_FRAME_ORIGINS) == {
        "https://sketchfab.com",
        "https://www.youtube-nocookie.com",
        "https://player.vimeo.com",
    }


def test_canonical_urls_and_labels():
    youtube = parse_embed_url(f"https://youtu.be/{YT}?t=1m30s")
    vimeo = parse_embed_url(f"https://player.vimeo.com/video/{VIMEO_ID}?h={VIMEO_HASH}#t=7")
    sketchfab = parse_embed_url(f"https://sketchfab.com/3d-models/robot-{SKETCHFAB_ID}")

    assert youtube.canonical_url == f"https://www.youtube.com/watch?v={YT}&t=90s"
    assert vimeo.canonical_url == f"https://vimeo.com/{VIMEO_ID}/{VIMEO_HASH}#t=7s"
    assert sketchfab.canonical_url == f"https://sketchfab.com/models/{SKETCHFAB_ID}"
    assert [e.provider_label for e in (youtube, vimeo, sketchfab)] == ["YouTube", "Vimeo", "Sketchfab"]


def test_iframe_allow_is_minimal_per_provider():
    allowed = {
        parse_embed_url(f"https://youtu.be/{YT}").iframe_allow,
        parse_embed_url(f"https://vimeo.com/{VIMEO_ID}").iframe_allow,
        parse_embed_url(f"https://sketchfab.com/models/{SKETCHFAB_ID}").iframe_allow,
    }

    assert allowed == {
        "autoplay; encrypted-media; fullscreen; picture-in-picture",
        "autoplay; fullscreen; picture-in-picture",
        "autoplay; fullscreen; xr-spatial-tracking",
    }
    for value in allowed:
        for risky in ("camera", "microphone", "geolocation", "clipboard", "payment", "usb"):
            assert risky not in value


@pytest.mark.parametrize(("link", "provider", "video_id", "start", "vimeo_hash", "player_url"), VALID)
def test_round_trip_through_json(link, provider, video_id, start, vimeo_hash, player_url):
    embed = parse_embed_url(link)

    restored = Embed.from_dict(json.loads(json.dumps(embed.as_dict())))

    assert restored == embed
    assert restored.player_url == player_url


GOOD_ROW = {"provider": "youtube", "video_or_model_id": YT, "start_seconds": 90, "vimeo_hash": None}

TAMPERED = [
    # (stored value, expected code)
    ({**GOOD_ROW, "provider": "evil"}, "unknown_provider"),
    ({**GOOD_ROW, "provider": "YouTube"}, "unknown_provider"),
    ({**GOOD_ROW, "provider": ["youtube"]}, "unknown_provider"),
    ({**GOOD_ROW, "video_or_model_id": '"><script>alert(1)</script>'}, "invalid_id"),
    ({**GOOD_ROW, "video_or_model_id": 'dQw4w9WgX"Q'}, "invalid_id"),
    ({**GOOD_ROW, "video_or_model_id": f"{YT}\n"}, "invalid_id"),
    ({**GOOD_ROW, "video_or_model_id": 12345678901}, "invalid_id"),
    ({**GOOD_ROW, "provider": "vimeo", "video_or_model_id": "123?autoplay=0&x="}, "invalid_id"),
    ({**GOOD_ROW, "provider": "sketchfab", "video_or_model_id": "../../evil", "start_seconds": None}, "invalid_id"),
    ({**GOOD_ROW, "start_seconds": "90&onload=alert(1)"}, "invalid_start"),
    ({**GOOD_ROW, "start_seconds": True}, "invalid_start"),
    ({**GOOD_ROW, "start_seconds": -1}, "invalid_start"),
    ({**GOOD_ROW, "start_seconds": 10**9}, "invalid_start"),
    ({"provider": "sketchfab", "video_or_model_id": SKETCHFAB_ID, "start_seconds": 5}, "invalid_start"),
    ({**GOOD_ROW, "vimeo_hash": VIMEO_HASH}, "invalid_hash"),
    ({**GOOD_ROW, "provider": "vimeo", "video_or_model_id": VIMEO_ID, "vimeo_hash": 'abc"def'}, "invalid_hash"),
    ({**GOOD_ROW, "player_url": "https://evil.example/"}, "invalid_embed"),
    ({"provider": "youtube"}, "invalid_embed"),
    ([("provider", "youtube"), ("video_or_model_id", YT)], "invalid_embed"),
    (None, "invalid_embed"),
]


@pytest.mark.parametrize(("stored", "code"), TAMPERED)
def test_from_dict_refuses_tampered_rows(stored, code):
    with pytest.raises(ValidationError) as caught:
        Embed.from_dict(stored)

    assert caught.value.code == code
    _assert_readable(caught.value)


def test_from_dict_accepts_rows_without_optional_fields():
    assert Embed.from_dict({"provider": "sketchfab", "video_or_model_id": SKETCHFAB_ID}).player_url == SKETCHFAB_PLAYER


def test_embeds_are_immutable():
    embed = parse_embed_url(f"https://youtu.be/{YT}")

    with pytest.raises(AttributeError):
        embed.video_or_model_id = '"><script>'


def test_mangled_links_either_fail_cleanly_or_give_a_safe_player_url():
    """Random edits of good links: whatever gets through must still be a whitelisted, safe iframe src."""
    rng = random.Random(20240611)
    alphabet = "\"'<>`\\@:/?#&=%.-_ \t\n\x00\u200bаоеjJ0129aZ" + "".join(chr(c) for c in range(0x20, 0x7F))
    seeds = [row[0] for row in VALID]
    for _ in range(3000):
        text = list(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(text) + 1)
            action = rng.random()
            if action < 0.4:
                text.insert(position, rng.choice(alphabet))
            elif action < 0.7 and position < len(text):
                del text[position]
            elif position < len(text):
                text[position] = rng.choice(alphabet)
        try:
            embed = parse_embed_url("".join(text))
        except ValidationError as error:
            _assert_readable(error)
            continue
        assert SAFE_PLAYER_URL.fullmatch(embed.player_url)
        assert any(embed.player_url.startswith(origin + "/") for origin in EMBED_FRAME_ORIGINS)
