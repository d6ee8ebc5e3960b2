"""Archives made in code: Instagram and X layouts as their exports write them, and hostile ZIPs.

Instagram's JSON is written the way Instagram writes it: every UTF-8 byte of a caption escaped as
its own \\u00XX, so the importer has to repair real mojibake, not a hand-typed imitation.
"""

import io
import json
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pillow_heif
from PIL import Image, ImageDraw

from tests.media.sample_files import make_clip

pillow_heif.register_heif_opener()


def picture(fmt: str = "JPEG", colour=(200, 90, 40), size=(320, 240), mark: int = 0) -> bytes:
    """A small real picture; `mark` draws a distinct bar so each file has different pixels."""
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0] // 2, size[1] // 2), fill=(30, 60, 200))
    draw.rectangle(((mark * 7) % size[0], size[1] - 20, (mark * 7) % size[0] + 10, size[1]), fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, quality=85) if fmt in ("JPEG", "WEBP") else image.save(buffer, format=fmt)
    return buffer.getvalue()


def clip_bytes(seconds: float = 0.5) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "clip.mp4")
        make_clip(path, seconds=seconds, size=(160, 120))
        return path.read_bytes()


BROKEN_HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00garbage" * 64


@dataclass
class IgPost:
    files: list[tuple[str, bytes | None]]  # (uri, content); None: named in the JSON, absent from the ZIP
    caption: str = ""
    timestamp: int = 1_546_300_800  # 2019-01-01
    location: tuple[float, float] | None = None
    extra: dict = field(default_factory=dict)


def instagram_mojibake(text: str) -> str:
    """What Instagram's JSON holds for `text`: its UTF-8 bytes read as Latin-1 characters."""
    return text.encode("utf-8").decode("latin-1")


def _ig_media(uri: str, post: IgPost, with_caption: bool) -> dict:
    media = {"uri": uri, "creation_timestamp": post.timestamp, "cross_post_source": {"source_app": "FB"}}
    if with_caption:
        media["title"] = instagram_mojibake(post.caption)
    if post.location:
        media["media_metadata"] = {
            "photo_metadata": {"exif_data": [{"latitude": post.location[0], "longitude": post.location[1]}]}
        }
    return media


def instagram_json(posts: list[IgPost]) -> list:
    entries = []
    for post in posts:
        if len(post.files) == 1:
            entry = {"media": [_ig_media(post.files[0][0], post, True)]}
        else:
            entry = {
                "media": [_ig_media(uri, post, False) for uri, _ in post.files],
                "title": instagram_mojibake(post.caption),
                "creation_timestamp": post.timestamp,
            }
        entry.update(post.extra)
        entries.append(entry)
    return entries


def write_instagram(
    target,
    posts: list[IgPost],
    *,
    root: str = "your_instagram_activity/",
    stories: list[IgPost] = (),
    message_threads: int = 0,
    raw_posts_json=None,
    extra_members: list[tuple[zipfile.ZipInfo | str, bytes]] = (),
) -> None:
    """An Instagram JSON archive at `target` (a path or a binary file)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        data = instagram_json(posts) if raw_posts_json is None else raw_posts_json
        archive.writestr(f"{root}content/posts_1.json", json.dumps(data, ensure_ascii=True))
        if stories:
            archive.writestr(
                f"{root}content/stories.json",
                json.dumps({"ig_stories": [_ig_media(s.files[0][0], s, True) for s in stories]}, ensure_ascii=True),
            )
        for post in [*posts, *stories]:
            for uri, content in post.files:
                if content is not None:
                    archive.writestr(uri, content, compress_type=zipfile.ZIP_STORED)
        for thread in range(message_threads):
            archive.writestr(f"{root}messages/inbox/friend{thread}_123/message_1.json", json.dumps({"messages": []}))
        archive.writestr(f"{root}personal_information/personal_information.json", json.dumps({"profile_user": []}))
        for info, content in extra_members:
            archive.writestr(info, content)


@dataclass
class Tweet:
    tweet_id: str
    text: str
    media: list[tuple[str, bytes]] = field(default_factory=list)  # (media file name, content)
    reply_to: str | None = None
    created_at: str = "Wed Oct 10 20:19:24 +0000 2018"


def write_x(target, tweets: list[Tweet]) -> None:
    entries = []
    with zipfile.ZipFile(target, "w") as archive:
        for tweet in tweets:
            body = {
                "id_str": tweet.tweet_id,
                "full_text": tweet.text + (" https://t.co/AbC123xyz" if tweet.media else ""),
                "created_at": tweet.created_at,
                "entities": {"hashtags": []},
            }
            if tweet.reply_to:
                body["in_reply_to_status_id_str"] = tweet.reply_to
            if tweet.media:
                body["extended_entities"] = {
                    "media": [
                        {
                            "type": "video" if name.endswith(".mp4") else "photo",
                            "media_url_https": f"https://pbs.twimg.com/media/{name}",
                        }
                        for name, _ in tweet.media
                    ]
                }
                for name, content in tweet.media:
                    archive.writestr(f"data/tweets_media/{tweet.tweet_id}-{name}", content)
            entries.append({"tweet": body})
        archive.writestr("data/tweets.js", "window.YTD.tweets.part0 = " + json.dumps(entries, indent=1))
        archive.writestr("data/account.js", "window.YTD.account.part0 = []")


def symlink_member(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def zip_bomb(target, *, megabytes: int = 64) -> None:
    """An "Instagram archive" whose one picture unpacks from ~64 KB to `megabytes` of zeros."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        posts = [{"media": [{"uri": "media/posts/201901/bomb.jpg", "creation_timestamp": 1_546_300_800, "title": "x"}]}]
        archive.writestr("your_instagram_activity/content/posts_1.json", json.dumps(posts))
        with archive.open("media/posts/201901/bomb.jpg", "w") as member:
            zeros = bytes(1024 * 1024)
            for _ in range(megabytes):
                member.write(zeros)


def declared_huge(target, *, declared: int = 10 * 1024**3) -> None:
    """An archive whose directory says one picture is `declared` bytes (10 GB) though it holds a few."""
    with zipfile.ZipFile(target, "w") as archive:
        posts = [{"media": [{"uri": "media/posts/201901/huge.jpg", "creation_timestamp": 1_546_300_800}]}]
        archive.writestr("your_instagram_activity/content/posts_1.json", json.dumps(posts))
        archive.writestr("media/posts/201901/huge.jpg", picture())
        archive.getinfo("media/posts/201901/huge.jpg").file_size = declared  # written into the central directory
