"""Process proof an author attaches to an appeal: checked by content, stored privately.

Accepted: an image or a video (the same checks as a post's media), or a layered working file —
Photoshop (PSD/PSB), Krita (KRA), OpenRaster (ORA), Procreate, Clip Studio (CLIP) — recognised
by its signature or, for the zip-based ones, by the entries the application writes.
"""

import lzma
import secrets
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.template.defaultfilters import filesizeformat

from atelier.media.decoding import DECODER_ERRORS
from atelier.media.intake import identify_media_file
from atelier.media.models import MediaKind
from atelier.media.storages import originals_storage
from atelier.moderation.models import ProofKind

ACCEPTED_LABEL = "an image, a video, or a layered file (PSD, PSB, KRA, ORA, Procreate or Clip Studio)"
_ZIP_MIMETYPES = {b"application/x-krita": "KRA", b"image/openraster": "ORA"}
MAX_ZIP_ENTRIES = 20_000  # a layered file with more entries than this is not one we will open


@dataclass(frozen=True)
class CheckedProof:
    kind: str
    format: str
    size: int
    extension: str


def check_proof_file(path: Path) -> CheckedProof:
    """What the file at `path` is, or a ValidationError that says why it was refused."""
    size = path.stat().st_size
    if size == 0:
        raise ValidationError("This file is empty.", code="empty")
    if size > settings.MODERATION_PROOF_MAX_BYTES:
        raise ValidationError(
            "This file is %(size)s; process proof files can be up to %(limit)s each.",
            code="too_big",
            params={"size": filesizeformat(size), "limit": filesizeformat(settings.MODERATION_PROOF_MAX_BYTES)},
        )
    layered = _layered_format(path)
    if layered:
        return CheckedProof(ProofKind.LAYERED, layered, size, "." + layered.lower())
    try:
        accepted = identify_media_file(path)
    except ValidationError as error:
        if error.code == "unsupported_file":
            raise ValidationError(
                "This file is not one we can check. Send %(accepted)s.",
                code="unsupported_file",
                params={"accepted": ACCEPTED_LABEL},
            ) from None
        raise
    kind = ProofKind.VIDEO if accepted.kind == MediaKind.VIDEO else ProofKind.IMAGE
    return CheckedProof(kind, accepted.format, size, "." + accepted.format.lower())


def _layered_format(path: Path) -> str | None:
    with path.open("rb") as handle:
        head = handle.read(8)
    if head[:4] == b"8BPS" and head[4:6] in (b"\x00\x01", b"\x00\x02"):
        return "PSD" if head[4:6] == b"\x00\x01" else "PSB"
    if head == b"CSFCHUNK":
        return "CLIP"
    if head[:4] != b"PK\x03\x04":
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if len(names) > MAX_ZIP_ENTRIES:
                return None
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 100:
                kind = _ZIP_MIMETYPES.get(archive.read("mimetype").strip())
                if kind:
                    return kind
            if "Document.archive" in names:
                return "PROCREATE"
    # zipfile lets its codecs' errors through: encrypted entries (RuntimeError), unknown methods
    # (NotImplementedError), broken deflate or xz streams, a stream cut short. None: not one we read.
    except (*DECODER_ERRORS, zlib.error, lzma.LZMAError):
        return None
    return None


def store_proof(*, case_id: int, path: Path, checked: CheckedProof) -> str:
    """Save privately under a name that says nothing about the author's file name."""
    with path.open("rb") as handle:
        return originals_storage().save(f"proofs/{case_id}/{secrets.token_hex(12)}{checked.extension}", File(handle))
