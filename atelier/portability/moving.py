"""Reading an Atelier export, to move an account from another Atelier instance to this one.

The export (atelier.portability.exporting writes it) has `atelier-export.json` (what and from where),
`posts.json` (every post with its own fields, items with alt text, crops, dates) and `albums.json`;
the files are under `posts/<id>/`. The fields are checked here like any other input: an unknown
licence or medium is dropped, not trusted.
"""

import hashlib
from datetime import UTC, datetime

from atelier.portability.archives import ArchiveRefused, SafeZip
from atelier.portability.scanning import FoundWork, Scan, refuse_wrong_kind
from atelier.posts.models import Category, Licence, Medium

MANIFEST = "atelier-export.json"
FORMAT = "atelier-export"
_CROP_KEYS = ("x", "y", "width", "height")


def _date(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when if when <= datetime.now(UTC) else None


def _choice(value, choices) -> str:
    return value if isinstance(value, str) and value in choices.values else ""


def _crop(value, item_count: int) -> dict | None:
    if not isinstance(value, dict) or not isinstance(value.get("item"), int) or not 0 <= value["item"] < item_count:
        return None
    crop = value.get("crop")
    if not isinstance(crop, dict) or not all(isinstance(crop.get(key), int | float) for key in _CROP_KEYS):
        return None
    return {"item": value["item"], "crop": {key: float(crop[key]) for key in _CROP_KEYS}}


def _text_list(value, limit: int) -> list[str]:
    return [str(entry)[:60] for entry in value if isinstance(entry, str)][:limit] if isinstance(value, list) else []


def _work(entry, site_key: str) -> FoundWork | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), int):
        return None
    items = (
        [item for item in entry.get("items", []) if isinstance(item, dict)]
        if isinstance(entry.get("items"), list)
        else []
    )
    files = [
        {"name": item["file"], "alt": item.get("alt_text", "")[:500] if isinstance(item.get("alt_text"), str) else ""}
        for item in items
        if isinstance(item.get("file"), str) and item["file"]
    ]
    title = entry.get("title") if isinstance(entry.get("title"), str) else ""
    description = entry.get("description") if isinstance(entry.get("description"), str) else ""
    work = FoundWork(
        source_id=f"at:{site_key}:{entry['id']}",
        kind="post",
        taken_at=_date(entry.get("published_at")),
        caption=description[:5000],
        files=files,
        details={
            "source_post_id": entry["id"],
            "title": title[:140],
            "tags": _text_list(entry.get("tags"), 10),
            "software": _text_list(entry.get("software"), 15),
            "medium": _choice(entry.get("medium"), Medium),
            "category": _choice(entry.get("category"), Category),
            "licence": _choice(entry.get("licence"), Licence),
            "is_mature": entry.get("is_mature") is True,
            "made_with_ai": entry.get("made_with_ai") is True,
            "thumbnail": _crop(entry.get("thumbnail"), len(files)),
            "cover": _crop(entry.get("cover"), len(files)),
        },
    )
    if not files:
        work.problem = "This post lists no files (embeds are not exported)."
    elif work.taken_at is None:
        work.problem = "This post has no date we can read."
    return work


def _albums(archive: SafeZip) -> list[dict]:
    if not archive.has("albums.json"):
        return []
    data = archive.read_json("albums.json")
    albums = []
    for album in data if isinstance(data, list) else []:
        if isinstance(album, dict) and isinstance(album.get("title"), str) and album["title"].strip():
            albums.append(
                {
                    "title": album["title"][:100],
                    "description": album.get("description", "")[:1000]
                    if isinstance(album.get("description"), str)
                    else "",
                    "is_public": album.get("is_public") is True,
                    "posts": [post for post in album.get("posts", []) if isinstance(post, int)][:1000]
                    if isinstance(album.get("posts"), list)
                    else [],
                }
            )
    return albums


def scan(archive: SafeZip) -> Scan:
    if not archive.has(MANIFEST):
        refuse_wrong_kind(archive, "an Atelier export", MANIFEST)
    manifest = archive.read_json(MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveRefused(
            "%(name)s does not describe an Atelier export.", code="wrong_kind", params={"name": MANIFEST}
        )
    site = manifest.get("site") if isinstance(manifest.get("site"), str) else ""
    site_key = hashlib.sha256(site.encode()).hexdigest()[:16]
    data = archive.read_json("posts.json") if archive.has("posts.json") else []
    works = [work for entry in data if (work := _work(entry, site_key))] if isinstance(data, list) else []
    return Scan(works=works, extra={"albums": _albums(archive)})
