"""One found work becomes one post, through exactly the services an upload goes through.

Every file is streamed out of the ZIP into a temporary file and handed to `media_add_file`, so it is
identified by its content, size-checked, stored privately, rendered and checked for AI like any
upload (a held item stays held). A work is written in one transaction: if it cannot become a post
(no file survived, a service refused it) nothing of it is kept, including the originals already
stored. A file that fails on its own is reported and the other files of the work go on.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.template.defaultfilters import filesizeformat

from atelier.media.crops import CropBox
from atelier.media.models import MediaItem
from atelier.media.storages import delete_stored_files
from atelier.portability.archives import MemberRefused, SafeZip
from atelier.portability.models import FoundWorkRow, ImportedWork, WorkState
from atelier.portability.scanning import hashtags
from atelier.posts import services as posts

_HASHTAG_RUN = re.compile(r"(?:\s*#[\w-]+)+\s*$", re.UNICODE)


class WorkFailed(Exception):
    """The work could not become a post; the message says why, in words."""


@dataclass
class Quota:
    """The owner's storage for originals: what is used and the limit; counted as files are added."""

    used: int
    limit: int

    @classmethod
    def for_owner(cls, owner) -> "Quota":
        used = MediaItem.objects.filter(post__author=owner).aggregate(total=Sum("original_bytes"))["total"] or 0
        return cls(used=used, limit=settings.PORTABILITY_STORAGE_QUOTA_BYTES)

    def take(self, size: int) -> None:
        if self.used + size > self.limit:
            raise MemberRefused(
                "Your storage is full (%(used)s of %(limit)s used): this file was not imported.",
                code="quota",
                params={"used": filesizeformat(self.used), "limit": filesizeformat(self.limit)},
            )
        self.used += size


def _title(row: FoundWorkRow, source_label: str) -> str:
    if row.details.get("title"):
        return row.details["title"][:140]
    first_line = next((line.strip() for line in row.caption.splitlines() if line.strip()), "")
    first_line = _HASHTAG_RUN.sub("", first_line).strip()
    if first_line:
        return first_line if len(first_line) <= 140 else first_line[:139].rstrip() + "…"
    date = f", {row.taken_at:%d %B %Y}".replace(" 0", " ") if row.taken_at else ""
    return f"{source_label} post{date}"


def _description(row: FoundWorkRow, include_location: bool) -> str:
    text = row.caption
    if include_location and row.location:
        text = f"{text}\n\nLocation: {row.location}".strip()
    return text[:5000]


def _add_files(archive: SafeZip, post, owner, row: FoundWorkRow, quota: Quota, items: list, problems: list) -> None:
    limit = posts.max_upload_bytes()
    for number, file in enumerate(row.files, start=1):
        size = min(archive.size_of(file["name"]), limit) if archive.has(file["name"]) else 0
        taken = False
        try:
            quota.take(size)
            taken = True
            with archive.extracted(file["name"], max_bytes=limit) as path:
                items.append(posts.media_add_file(post=post, user=owner, path=path, alt_text=file.get("alt", "")))
        except ValidationError as error:
            if taken:
                quota.used -= size
            problems.append(f"File {number} ({file['name'][-80:]}): {' '.join(error.messages)}")


def _apply_crops(post, owner, row: FoundWorkRow, items: list, problems: list) -> None:
    for kind in ("thumbnail", "cover"):
        chosen = row.details.get(kind)
        if not chosen or chosen["item"] >= len(items):
            continue
        try:
            crop = CropBox.from_values(*(chosen["crop"][key] for key in ("x", "y", "width", "height")))
            posts.post_set_crop(post=post, user=owner, kind=kind, item=items[chosen["item"]], crop=crop)
        except (ValidationError, KeyError) as error:
            problems.append(f"The {kind} crop was not kept: {error}")


def import_work(
    *, archive: SafeZip, row: FoundWorkRow, owner, source: str, source_label: str, include_location: bool, quota: Quota
) -> str:
    """Turn one found work into a published post dated to its original date; return its new state."""
    if ImportedWork.objects.filter(owner=owner, source=source, source_id=row.source_id).exists():
        return _finish(row, WorkState.SKIPPED, "Already imported.")
    items: list[MediaItem] = []
    problems: list[str] = []
    try:
        with transaction.atomic():
            post = posts.post_create_draft(author=owner)
            _add_files(archive, post, owner, row, quota, items, problems)
            if not items:
                raise WorkFailed(" ".join(problems) or "No file could be imported.")
            details = row.details
            posts.post_update_details(
                post=post,
                user=owner,
                title=_title(row, source_label),
                description=_description(row, include_location),
                medium=details.get("medium", ""),
                category=details.get("category", ""),
                tags=details.get("tags") or hashtags(row.caption)[: posts.MAX_TAGS],
                software=details.get("software", []),
                is_mature=details.get("is_mature", False),
                made_with_ai=details.get("made_with_ai", False),
                licence=details.get("licence") or None,
            )
            _apply_crops(post, owner, row, items, problems)
            posts.post_set_original_date(post=post, user=owner, published_at=row.taken_at)
            posts.post_publish(post=post, user=owner)
            ImportedWork.objects.create(owner=owner, source=source, source_id=row.source_id, post=post)
            row.post = post
            return _finish(row, WorkState.IMPORTED, "\n".join(problems))
    except IntegrityError:  # another import of the same work committed first
        _forget_files(items, quota)
        row.post = None
        return _finish(row, WorkState.SKIPPED, "Already imported.")
    except (WorkFailed, ValidationError) as error:
        _forget_files(items, quota)
        message = str(error) if isinstance(error, WorkFailed) else " ".join(error.messages)
        row.post = None
        return _finish(row, WorkState.FAILED, message)
    except Exception:
        _forget_files(items, quota)
        raise


def _forget_files(items: list, quota: Quota) -> None:
    """The work was rolled back: its stored originals go too, and their bytes return to the quota."""
    delete_stored_files([], [name for item in items for name in item.private_file_names])
    quota.used -= sum(item.original_bytes for item in items)


def _finish(row: FoundWorkRow, state: str, message: str) -> str:
    row.state = state
    row.message = message[:2000]
    row.save(update_fields=["state", "message", "post"])
    return state
