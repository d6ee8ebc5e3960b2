"""Reading an uploaded ZIP safely, one member at a time.

Nothing is ever extracted by the names inside the archive: members are looked up by the names the
archive's own JSON gives, after those names are normalised, and copied (streamed, with a byte
counter) into temporary files we name ourselves. The central directory is checked before any
member is read: too many members, too many declared bytes or a ratio no real photo archive has
(a ZIP bomb) refuse the whole archive; a member that is a link, encrypted, oversized or
suspiciously compressible is refused on its own, with a message, and the rest goes on.
"""

import contextlib
import json
import posixpath
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

_COPY_CHUNK = 1024 * 1024


class ArchiveRefused(ValidationError):
    """The archive as a whole cannot be read: nothing is imported from it."""


class MemberRefused(ValidationError):
    """One member cannot be used; the rest of the archive still can."""


def clean_member_name(name: str) -> str | None:
    """The member name as a relative POSIX path, or None when it points outside the archive
    (`../x`, `/etc/x`, `C:\\x`) or is empty."""
    name = name.replace("\\", "/")
    if not name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    normal = posixpath.normpath(name)
    if normal in (".", "") or normal == ".." or normal.startswith("../"):
        return None
    return normal


class SafeZip:
    """A ZIP opened from a local path, with its directory checked and its members indexed by clean name."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.bytes = self.path.stat().st_size
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise ArchiveRefused("This file is not a ZIP archive we can read.", code="not_a_zip") from None
        infos = self._zip.infolist()
        if len(infos) > settings.PORTABILITY_ZIP_MAX_MEMBERS:
            self.close()
            raise ArchiveRefused(
                "This archive holds %(count)s files; the limit is %(limit)s.",
                code="too_many_members",
                params={"count": len(infos), "limit": settings.PORTABILITY_ZIP_MAX_MEMBERS},
            )
        declared = sum(info.file_size for info in infos)
        if declared > settings.PORTABILITY_ZIP_MAX_TOTAL_BYTES:
            self.close()
            raise ArchiveRefused(
                "This archive would unpack to %(size)s; the limit is %(limit)s.",
                code="too_big_unpacked",
                params={
                    "size": filesizeformat(declared),
                    "limit": filesizeformat(settings.PORTABILITY_ZIP_MAX_TOTAL_BYTES),
                },
            )
        if declared > 10 * 1024 * 1024 and declared > self.bytes * settings.PORTABILITY_ZIP_MAX_RATIO:
            self.close()
            raise ArchiveRefused(
                "This archive would unpack to %(size)s from %(packed)s: that is a ZIP bomb, not a photo archive.",
                code="zip_bomb",
                params={"size": filesizeformat(declared), "packed": filesizeformat(self.bytes)},
            )
        self.members: dict[str, zipfile.ZipInfo] = {}
        self.unsafe_names: list[str] = []
        for info in infos:
            clean = clean_member_name(info.filename)
            if clean is None:
                self.unsafe_names.append(info.filename[:200])
            elif not info.is_dir():
                self.members.setdefault(clean, info)

    def close(self) -> None:
        self._zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def names(self) -> Iterator[str]:
        return iter(self.members)

    def has(self, name: str) -> bool:
        return name in self.members

    def size_of(self, name: str) -> int:
        return self.members[name].file_size

    def _checked(self, name: str, *, max_bytes: int) -> zipfile.ZipInfo:
        clean = clean_member_name(name)
        if clean is None:
            raise MemberRefused("%(name)s points outside the archive.", code="unsafe_path", params={"name": name[:120]})
        info = self.members.get(clean)
        if info is None:
            raise MemberRefused("%(name)s is named but not in the archive.", code="missing", params={"name": clean})
        if stat.S_ISLNK(info.external_attr >> 16):
            raise MemberRefused("%(name)s is a link, not a file.", code="symlink", params={"name": clean})
        if info.flag_bits & 0x1:
            raise MemberRefused("%(name)s is encrypted.", code="encrypted", params={"name": clean})
        if info.file_size > max_bytes:
            raise MemberRefused(
                "%(name)s is %(size)s; the limit is %(limit)s.",
                code="too_big",
                params={"name": clean, "size": filesizeformat(info.file_size), "limit": filesizeformat(max_bytes)},
            )
        ratio_limit = settings.PORTABILITY_ZIP_MAX_RATIO
        if info.file_size > 10 * 1024 * 1024 and info.file_size > max(info.compress_size, 1) * ratio_limit:
            raise MemberRefused(
                "%(name)s compresses %(ratio)s times: that is a ZIP bomb, not a picture.",
                code="zip_bomb",
                params={"name": clean, "ratio": info.file_size // max(info.compress_size, 1)},
            )
        return info

    def read_json(self, name: str):
        """Parse a JSON member (bounded by PORTABILITY_JSON_MAX_BYTES) or refuse the archive."""
        try:
            return json.loads(self.read_text(name))
        except json.JSONDecodeError as error:
            raise ArchiveRefused(
                "%(name)s is damaged: %(error)s.", code="bad_json", params={"name": name, "error": error.msg}
            ) from None

    def read_text(self, name: str) -> str:
        try:
            info = self._checked(name, max_bytes=settings.PORTABILITY_JSON_MAX_BYTES)
            with self._zip.open(info) as member:
                raw = member.read(settings.PORTABILITY_JSON_MAX_BYTES + 1)
            return raw.decode("utf-8-sig")
        except MemberRefused as error:
            raise ArchiveRefused(error.message, code=error.code, params=error.params) from None
        except (zipfile.BadZipFile, OSError, EOFError, UnicodeDecodeError, NotImplementedError):
            raise ArchiveRefused(
                "%(name)s is damaged in this archive.", code="damaged", params={"name": name}
            ) from None

    @contextlib.contextmanager
    def extracted(self, name: str, *, max_bytes: int) -> Iterator[Path]:
        """A temporary local copy of one member, streamed in 1 MB chunks; removed on exit."""
        info = self._checked(name, max_bytes=max_bytes)
        suffix = Path(info.filename).suffix.lower()[:10]
        with tempfile.TemporaryDirectory(dir=settings.FILE_UPLOAD_TEMP_DIR) as folder:
            local = Path(folder, f"member{suffix if suffix.isascii() else ''}")
            try:
                with self._zip.open(info) as member, local.open("wb") as out:
                    shutil.copyfileobj(member, out, length=_COPY_CHUNK)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
                raise MemberRefused(
                    "%(name)s is damaged in this archive.", code="damaged", params={"name": info.filename[:120]}
                ) from None
            yield local

    def read_bytes(self, name: str, *, max_bytes: int) -> bytes:
        """A small member (a preview thumbnail's source) read whole; bounded by `max_bytes`."""
        info = self._checked(name, max_bytes=max_bytes)
        try:
            with self._zip.open(info) as member:
                return member.read(max_bytes + 1)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
            raise MemberRefused("%(name)s is damaged in this archive.", code="damaged", params={"name": name}) from None
