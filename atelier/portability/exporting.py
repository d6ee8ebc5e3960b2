"""Everything an account made, in one ZIP: originals, posts with comments, albums, follows, jobs,
and an `index.html` that shows the portfolio offline.

The ZIP is written to a temporary file, each original copied in from the private storage in 1 MB
chunks (stored, not recompressed: pictures do not compress), then the finished file is saved to the
private storage; nothing is ever held whole in memory. The same layout is what `moving` reads, so
an export is also how an account moves to another Atelier instance.
"""

import json
import logging
import secrets
import shutil
import tempfile
import zipfile
from datetime import timedelta
from pathlib import PurePosixPath

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.db import transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from atelier.albums.models import Album
from atelier.core.email import queue_templated_email
from atelier.jobs.models import Application, Job
from atelier.media.models import MediaKind
from atelier.media.storages import delete_stored_files, originals_storage
from atelier.portability.models import ArchiveExport, ExportState
from atelier.portability.moving import FORMAT, MANIFEST
from atelier.posts.models import Licence, Post, PostState
from atelier.social.models import Comment, Follow

logger = logging.getLogger(__name__)
_CHUNK = 1024 * 1024
_SIGNING_SALT = "portability.export"


def download_signature(export: ArchiveExport) -> str:
    """A signed token for one export and its owner; checked with its age on download."""
    return signing.TimestampSigner(salt=_SIGNING_SALT).sign(f"{export.pk}:{export.owner_id}")


def signature_matches(export: ArchiveExport, signature: str) -> bool:
    """True for a signature made for this export and owner within the export's keeping time."""
    try:
        value = signing.TimestampSigner(salt=_SIGNING_SALT).unsign(
            signature, max_age=settings.PORTABILITY_EXPORT_KEEP_SECONDS
        )
    except signing.BadSignature:
        return False
    return value == f"{export.pk}:{export.owner_id}"


def download_url(export: ArchiveExport) -> str:
    path = reverse("portability:export_download", args=[export.pk])
    return f"{settings.SITE_URL}{path}?sig={download_signature(export)}"


def _profile_url(user) -> str:
    return settings.SITE_URL + user.get_absolute_url()


def _write_json(archive: zipfile.ZipFile, name: str, data) -> None:
    archive.writestr(name, json.dumps(data, ensure_ascii=False, indent=1, default=str))


def _copy_original(archive: zipfile.ZipFile, source_name: str, arcname: str) -> int:
    info = zipfile.ZipInfo(arcname, date_time=timezone.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    with originals_storage().open(source_name, "rb") as source, archive.open(info, "w", force_zip64=True) as target:
        shutil.copyfileobj(source, target, length=_CHUNK)
    return info.file_size


def _posts(owner):
    comments = Comment.objects.select_related("author").order_by("created_at", "pk")
    return (
        Post.objects.filter(author=owner)
        .exclude(state=PostState.TAKEN_DOWN)
        .prefetch_related("items", "tags", Prefetch("comments", queryset=comments))
        .order_by("-published_at", "-pk")
    )


def _post_record(archive: zipfile.ZipFile, post: Post) -> dict:
    items, files = [], []
    for number, item in enumerate(post.items.all(), start=1):
        record = {"kind": item.kind, "alt_text": item.alt_text, "width": item.width, "height": item.height}
        if item.kind == MediaKind.EMBED:
            record["embed"] = (item.embed or {}).get("url", "")
        elif item.original_name:
            arcname = f"posts/{post.pk}/{number}{PurePosixPath(item.original_name).suffix}"
            try:
                _copy_original(archive, item.original_name, arcname)
                record["file"] = arcname
                files.append({"name": arcname, "kind": item.kind, "alt": item.alt_text})
            except OSError:
                logger.warning("export: original of item %s is missing", item.pk)
                record["missing"] = True
        items.append(record)
    item_index = {item.pk: index for index, item in enumerate(post.items.all())}

    def crop(kind: str):
        item_id, box = getattr(post, f"{kind}_item_id"), getattr(post, f"{kind}_crop")
        return {"item": item_index[item_id], "crop": box} if item_id in item_index and box else None

    return {
        "id": post.pk,
        "url": settings.SITE_URL + post.get_absolute_url(),
        "state": post.state,
        "title": post.title,
        "description": post.description,
        "tags": [tag.name for tag in post.tags.all()],
        "medium": post.medium,
        "category": post.category,
        "software": post.software,
        "licence": post.licence,
        "licence_name": Licence(post.licence).label if post.licence in Licence.values else post.licence,
        "is_mature": post.is_mature,
        "made_with_ai": post.made_with_ai,
        "published_at": post.published_at.isoformat() if post.published_at else None,
        "created_at": post.created_at.isoformat(),
        "items": items,
        "thumbnail": crop("thumbnail"),
        "cover": crop("cover"),
        "likes": post.like_count,
        "comments": [
            {
                "id": comment.pk,
                "parent": comment.parent_id,
                "author": comment.author.handle,
                "author_url": _profile_url(comment.author),
                "body": comment.body,
                "created_at": comment.created_at.isoformat(),
            }
            for comment in post.comments.all()
        ],
        "_files": files,
    }


def _albums(owner) -> list[dict]:
    albums = Album.objects.filter(owner=owner).prefetch_related("items").order_by("pk")
    return [
        {
            "title": album.title,
            "description": album.description,
            "is_public": album.is_public,
            "posts": [item.post_id for item in album.items.all()],
        }
        for album in albums
    ]


def _follows(owner) -> dict:
    following = Follow.objects.filter(follower=owner).select_related("followee").order_by("created_at")
    followers = Follow.objects.filter(followee=owner).select_related("follower").order_by("created_at")
    return {
        "following": [_profile_url(follow.followee) for follow in following],
        "followers": [_profile_url(follow.follower) for follow in followers],
    }


def _jobs(owner) -> dict:
    applications = Application.objects.filter(applicant=owner).select_related("job", "job__studio")
    jobs = Job.objects.filter(studio=owner).prefetch_related("applications__applicant", "applications__pieces")
    return {
        "applications": [
            {
                "job": application.job.title,
                "studio": _profile_url(application.job.studio),
                "note": application.note,
                "status": application.status,
                "created_at": application.created_at.isoformat(),
            }
            for application in applications
        ],
        "jobs": [
            {
                "title": job.title,
                "description": job.description,
                "status": job.status,
                "created_at": job.created_at.isoformat(),
                "applicants": [
                    {
                        "applicant": _profile_url(application.applicant),
                        "note": application.note,
                        "status": application.status,
                        "pieces": [piece.post_id for piece in application.pieces.all()],
                        "created_at": application.created_at.isoformat(),
                    }
                    for application in job.applications.all()
                ],
            }
            for job in jobs
        ],
    }


def write_export(owner, target) -> None:
    """Write the whole export of `owner` as a ZIP into the open binary file `target`."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        _write_json(
            archive,
            MANIFEST,
            {
                "format": FORMAT,
                "version": 1,
                "site": settings.SITE_URL,
                "handle": owner.handle,
                "exported_at": timezone.now().isoformat(),
            },
        )
        # Each post's record goes to a spool file as its originals are copied, then posts.json and
        # index.html are streamed from it: memory stays flat however many posts the account has.
        with tempfile.TemporaryFile("w+", encoding="utf-8", dir=settings.FILE_UPLOAD_TEMP_DIR) as spool:
            count = 0
            for post in _posts(owner).iterator(chunk_size=100):
                spool.write(json.dumps(_post_record(archive, post), ensure_ascii=False, default=str) + "\n")
                count += 1
            _stream_posts_json(archive, spool)
            profile = getattr(owner, "profile", None)
            _write_json(archive, "albums.json", _albums(owner))
            _write_json(archive, "follows.json", _follows(owner))
            _write_json(archive, "jobs.json", _jobs(owner))
            _write_json(
                archive,
                "profile.json",
                {
                    "handle": owner.handle,
                    "url": _profile_url(owner),
                    "display_name": getattr(profile, "display_name", ""),
                    "headline": getattr(profile, "headline", ""),
                    "bio": getattr(profile, "bio", ""),
                    "website": getattr(profile, "website", ""),
                },
            )
            context = {"owner": owner, "profile": profile, "count": count, "site": settings.SITE_URL}
            with archive.open("index.html", "w") as out:
                out.write(render_to_string("portability/export_index_head.html", context).encode())
                spool.seek(0)
                for line in spool:
                    out.write(
                        render_to_string("portability/export_index_post.html", {"post": json.loads(line)}).encode()
                    )
                out.write(render_to_string("portability/export_index_foot.html", context).encode())


def _stream_posts_json(archive: zipfile.ZipFile, spool) -> None:
    """posts.json as one JSON list, written record by record from the spool (without `_files`)."""
    spool.seek(0)
    with archive.open("posts.json", "w") as out:
        out.write(b"[")
        for number, line in enumerate(spool):
            record = json.loads(line)
            record.pop("_files", None)
            separator = ",\n" if number else "\n"
            out.write((separator + json.dumps(record, ensure_ascii=False, indent=1, default=str)).encode())
        out.write(b"\n]\n")


def archive_export_build(*, export_id: int) -> bool:
    """Build a queued export, store it privately and email its link; False when there was nothing to do."""
    updated = ArchiveExport.objects.filter(pk=export_id, state=ExportState.QUEUED).update(state=ExportState.BUILDING)
    if not updated and not ArchiveExport.objects.filter(pk=export_id, state=ExportState.BUILDING).exists():
        return False
    export = ArchiveExport.objects.select_related("owner").get(pk=export_id)
    try:
        with tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as local:
            write_export(export.owner, local)
            size = local.tell()
            local.seek(0)
            name = originals_storage().save(f"exports/{export.owner_id}/{secrets.token_hex(12)}.zip", File(local))
    except Exception:
        logger.exception("export %s failed", export_id)
        ArchiveExport.objects.filter(pk=export_id).update(state=ExportState.FAILED, finished_at=timezone.now())
        return False
    now = timezone.now()
    with transaction.atomic():
        export.state, export.file_name, export.file_bytes = ExportState.READY, name, size
        export.finished_at, export.expires_at = now, now + timedelta(seconds=settings.PORTABILITY_EXPORT_KEEP_SECONDS)
        export.save(update_fields=["state", "file_name", "file_bytes", "finished_at", "expires_at"])
        queue_templated_email(
            template="portability/email/export_ready",
            context={"export": export, "user": export.owner, "url": download_url(export)},
            to=export.owner.email,
        )
    return True


def expired_exports_purge(*, now=None) -> int:
    """Delete the files of exports whose link has expired; the row stays so the page can say so."""
    now = now or timezone.now()
    expired = list(ArchiveExport.objects.filter(state=ExportState.READY, expires_at__lt=now).exclude(file_name=""))
    for export in expired:
        ArchiveExport.objects.filter(pk=export.pk).update(file_name="")
    delete_stored_files([], [export.file_name for export in expired])
    return len(expired)
