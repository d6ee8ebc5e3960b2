"""Instagram's "Download your information" archive, JSON format.

Layouts read (newest first):
- `your_instagram_activity/content/posts_1.json` (posts_2.json ... when there are many), a list of
  `{"media": [{"uri", "creation_timestamp", "title", "media_metadata"}], "title", "creation_timestamp"}`:
  a single photo keeps its caption and date on the media, a carousel on the post;
  `.../content/stories.json` (`{"ig_stories": [media...]}`) and `.../content/reels.json`
  (`{"ig_reels_media": [{"media": [...]}]}`); messages under `.../messages/inbox/<thread>/`.
- the same files under `content/` and `messages/` at the root (2020-2023 exports);
- `media.json` (2018-2020): `{"photos": [{"caption", "taken_at", "path"}], "videos": [...], "stories": [...]}`.

Media `uri`s are paths from the archive's root (`media/posts/201901/123.jpg`). Text is mojibake
(UTF-8 bytes escaped one by one) and is repaired. Locations only exist as EXIF GPS in
`media_metadata`; they are read here and dropped later unless the artist opts in.
"""

import hashlib
import re
from datetime import datetime

from atelier.portability.archives import ArchiveRefused, SafeZip
from atelier.portability.scanning import FoundWork, Scan, fix_mojibake, is_video_name, refuse_wrong_kind, timestamp

_ROOTS = ("your_instagram_activity/", "")
_POSTS_FILE = re.compile(r"^(?:your_instagram_activity/)?content/posts_(\d+)\.json$")
_THREAD = re.compile(r"^(?:your_instagram_activity/)?messages/inbox/([^/]+)/")


def _source_id(uri: str) -> str:
    """Instagram gives posts no id in the archive; the first file's path is stable across exports."""
    return "ig:" + hashlib.sha256(uri.encode()).hexdigest()[:40]


def _location(media: list) -> str:
    for item in media:
        exif = ((item.get("media_metadata") or {}).get("photo_metadata") or {}).get("exif_data") or []
        for entry in exif if isinstance(exif, list) else []:
            lat, lon = (entry or {}).get("latitude"), (entry or {}).get("longitude")
            if isinstance(lat, int | float) and isinstance(lon, int | float):
                return f"{lat:.5f}, {lon:.5f}"
    return ""


def _work_from(entry, *, kind_hint: str | None = None) -> FoundWork | None:
    """One post (photo, carousel, video), story or reel; None for something that is not an object."""
    if not isinstance(entry, dict):
        return None
    media = entry.get("media")
    if media is None and "uri" in entry:
        media = [entry]  # stories list their media directly
    media = [item for item in media if isinstance(item, dict)] if isinstance(media, list) else []
    uris = [item["uri"] for item in media if isinstance(item.get("uri"), str) and item["uri"]]
    first = media[0] if media else {}
    caption = entry.get("title") if isinstance(entry.get("title"), str) and len(media) != 1 else first.get("title")
    when = timestamp(entry.get("creation_timestamp")) or timestamp(first.get("creation_timestamp"))
    if kind_hint:
        kind = kind_hint
    elif len(uris) > 1:
        kind = "carousel"
    else:
        kind = "video" if uris and is_video_name(uris[0]) else "photo"
    work = FoundWork(
        source_id=_source_id(uris[0]) if uris else "",
        kind=kind,
        taken_at=when,
        caption=fix_mojibake(caption if isinstance(caption, str) else "")[:5000],
        files=[{"name": uri, "alt": ""} for uri in uris],
        location=_location(media),
    )
    if not uris:
        work.problem = "This post lists no photo or video."
    elif when is None:
        work.problem = "This post has no date we can read."
    return work


def _legacy_media_json(archive: SafeZip) -> list[FoundWork]:
    data = archive.read_json("media.json")
    works = []
    for key, kind in (("photos", "photo"), ("videos", "video"), ("stories", "story")):
        for entry in data.get(key, []) if isinstance(data, dict) and isinstance(data.get(key), list) else []:
            if not isinstance(entry, dict):
                continue
            path = entry.get("path") if isinstance(entry.get("path"), str) else ""
            taken = entry.get("taken_at")
            when = None
            if isinstance(taken, str):
                try:
                    when = datetime.fromisoformat(taken)
                except ValueError:
                    when = None
            work = FoundWork(
                source_id=_source_id(path) if path else "",
                kind=kind,
                taken_at=when,
                caption=fix_mojibake(entry.get("caption") or "" if isinstance(entry.get("caption"), str) else ""),
                files=[{"name": path, "alt": ""}] if path else [],
            )
            work.problem = "" if path else "This post lists no photo or video."
            works.append(work)
    return works


def scan(archive: SafeZip) -> Scan:
    names = set(archive.names())
    post_files = sorted((int(m.group(1)), n) for n in names if (m := _POSTS_FILE.match(n)))
    works: list[FoundWork] = []
    notes: list[str] = []
    if post_files:
        for _, name in post_files:
            data = archive.read_json(name)
            entries = data if isinstance(data, list) else []
            if not isinstance(data, list):
                notes.append(f"{name} is not a list of posts; it was skipped.")
            works += [work for entry in entries if (work := _work_from(entry))]
        for root in _ROOTS:
            if f"{root}content/stories.json" in names:
                data = archive.read_json(f"{root}content/stories.json")
                stories = data.get("ig_stories", []) if isinstance(data, dict) else []
                works += [w for e in stories if isinstance(stories, list) and (w := _work_from(e, kind_hint="story"))]
            if f"{root}content/reels.json" in names:
                data = archive.read_json(f"{root}content/reels.json")
                reels = data.get("ig_reels_media", []) if isinstance(data, dict) else []
                works += [w for e in reels if isinstance(reels, list) and (w := _work_from(e, kind_hint="reel"))]
    elif "media.json" in names:
        works = _legacy_media_json(archive)
    elif any(name.endswith("posts_1.html") for name in names):
        refuse_html()
    else:
        refuse_wrong_kind(archive, "an Instagram archive", "your_instagram_activity/content/posts_1.json")
    threads = {m.group(1) for name in names if (m := _THREAD.match(name))}
    skipped = {"message threads": len(threads)} if threads else {}
    return Scan(works=works, skipped=skipped, notes=notes)


def refuse_html() -> None:
    raise ArchiveRefused(
        "This is the HTML version of your Instagram archive. In Instagram, request your information again "
        "choosing the JSON format, then upload that ZIP.",
        code="instagram_html",
    )
