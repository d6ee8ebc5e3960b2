"""Everything an upload says about itself, read once from the ORIGINAL without decoding its pixels.

PNG: every text chunk (tEXt, zTXt, iTXt, including those after the image data) and the eXIf chunk,
by walking the chunks. JPEG, WebP, TIFF, AVIF/HEIC: EXIF and XMP from Pillow's header parse (the
APP1 segments / EXIF and XMP chunks), and IPTC-IIM (APP13) for JPEG. Any format: an XMP packet found
by scanning the first 2 MB when the container gave none.

EXIF UserComment is decoded as the Exif standard says (CIPA DC-008, table 9): an 8-byte character
code, `ASCII\\0\\0\\0`, `JIS\\0\\0\\0\\0\\0` (Shift-JIS), `UNICODE\\0` (UTF-16 in the byte order of
the TIFF header, as piexif, and so A1111 and Forge, write it; some writers use the other order) or eight zero bytes
(undefined). Tools that skip the code (Fooocus stores its JSON straight in the tag) are read as UTF-8.
"""

import contextlib
import re
import struct
import zlib
from dataclasses import dataclass, field

from PIL import Image, IptcImagePlugin

MAX_TEXT = 64 * 1024  # characters of one text field looked at
MAX_XMP_SCAN = 2 * 1024 * 1024  # bytes of the file searched for an XMP packet
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PNG_CHUNKS = 10_000  # a file with more chunks than this is not read further
EXIF_IFD = 0x8769
USER_COMMENT = 0x9286
XMP_PNG_KEY = "XML:com.adobe.xmp"
_XMP_PACKET = re.compile(rb"<x:xmpmeta[\s>].{0,1048576}?</x:xmpmeta>", re.DOTALL)
_CHARACTER_CODES = {b"ASCII\0\0\0": "ascii", b"JIS\0\0\0\0\0": "shift_jis", b"UNICODE\0": "utf-16"}


@dataclass
class FileMetadata:
    """What the readers look at; `problems` lists parts that could not be read (not evidence)."""

    texts: dict[str, str] = field(default_factory=dict)  # PNG text chunks by keyword
    exif: dict[str, str] = field(default_factory=dict)  # "IFD0 Software", "Exif UserComment", ...
    xmp: str = ""
    iptc: dict[str, str] = field(default_factory=dict)  # "Credit", "Caption", ...
    problems: dict[str, str] = field(default_factory=dict)  # signal → why its part could not be read


def clip(value) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return text.replace("\x00", "")[:MAX_TEXT]


def _inflate(data: bytes) -> bytes:
    """At most MAX_TEXT bytes out of a zlib stream, so a compressed-text bomb stays small. A stream
    that is not zlib is a damaged chunk: the walker's ValueError, like any other damage."""
    try:
        return zlib.decompressobj().decompress(data, MAX_TEXT * 4)
    except zlib.error as error:
        raise ValueError(f"damaged compressed text: {error}") from None


def png_metadata(path) -> tuple[dict[str, str], bytes | None]:
    """The text chunks and the eXIf chunk of a PNG, read by walking the chunks and seeking past the
    image data: Pillow's `image.text` and `getexif()` decode every pixel first (about 290 ms each for
    12 megapixels). Raises ValueError for what is not a PNG or has a damaged text chunk."""
    texts: dict[str, str] = {}
    exif = None
    with open(path, "rb") as file:
        if file.read(8) != PNG_SIGNATURE:
            raise ValueError("not a PNG file")
        for _ in range(MAX_PNG_CHUNKS):
            header = file.read(8)
            if len(header) < 8:
                break
            length, kind = struct.unpack(">I4s", header)
            if kind == b"IEND":
                break
            if kind not in (b"tEXt", b"zTXt", b"iTXt", b"eXIf") or length > 8 * MAX_TEXT:
                file.seek(length + 4, 1)  # the data and its CRC, unread
                continue
            data, crc = file.read(length), file.read(4)
            if len(data) < length or len(crc) < 4 or zlib.crc32(kind + data) != struct.unpack(">I", crc)[0]:
                raise ValueError(f"damaged {kind.decode()} chunk")  # cut short or altered: not evidence
            if kind == b"eXIf":
                exif = data
                continue
            keyword, _, rest = data.partition(b"\0")
            name = keyword.decode("latin-1")[:80]
            if kind == b"tEXt":
                texts[name] = clip(rest.decode("latin-1"))
            elif kind == b"zTXt" and rest:
                texts[name] = clip(_inflate(rest[1:]).decode("latin-1"))
            elif kind == b"iTXt" and len(rest) >= 2:
                compressed, body = rest[0], rest[2:]
                body = body.split(b"\0", 2)[-1]  # past the language tag and the translated keyword
                texts[name] = clip((_inflate(body) if compressed else body).decode("utf-8", "replace"))
    return texts, exif


def _ascii_count(text: str) -> int:
    return sum(1 for character in text[:4096] if character < "\x80")


def user_comment(value, endian: str = ">") -> str:
    """An EXIF UserComment as text, whatever character code it declares (see the module docstring)."""
    if isinstance(value, str):
        return clip(value)
    data = bytes(value)
    code, body = data[:8], data[8:]
    encoding = _CHARACTER_CODES.get(code)
    if encoding == "utf-16":
        if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return clip(body.decode("utf-16", "replace"))
        declared, other = ("utf-16-le", "utf-16-be") if endian == "<" else ("utf-16-be", "utf-16-le")
        # Writers disagree on the byte order (the standard says the TIFF header's); text in the wrong one
        # reads as CJK-looking noise, so the order giving more plain-ASCII characters wins.
        first, second = body.decode(declared, "replace"), body.decode(other, "replace")
        return clip(second if _ascii_count(second) > _ascii_count(first) else first)
    if encoding:
        return clip(body.decode(encoding, "replace"))
    if code == b"\0" * 8:
        return clip(body.decode("utf-8", "replace"))
    return clip(data.decode("utf-8", "replace"))  # no character code at all (Fooocus)


def _exif_fields(exif: Image.Exif) -> dict[str, str]:
    """Text-bearing tags of IFD0 and the Exif sub-IFD, UserComment decoded in either place."""
    fields = {}
    ifds = {"IFD0": exif}
    with contextlib.suppress(Exception):  # a broken sub-IFD pointer: IFD0 is still read
        ifds["Exif"] = exif.get_ifd(EXIF_IFD)
    for ifd_name, ifd in ifds.items():
        for tag, value in ifd.items():
            if tag == USER_COMMENT:
                fields[f"{ifd_name} UserComment"] = user_comment(value, exif.endian or ">")
            elif isinstance(value, str | bytes) and tag != EXIF_IFD:
                name = EXIF_NAMES.get(tag, f"0x{tag:04X}")
                fields[f"{ifd_name} {name}"] = clip(value)
    return fields


EXIF_NAMES = {0x010E: "ImageDescription", 0x010F: "Make", 0x0110: "Model", 0x0131: "Software",
              0x013B: "Artist", 0x8298: "Copyright", 0x927C: "MakerNote", 0x9C9C: "XPComment"}  # fmt: skip


def _iptc(image: Image.Image) -> dict[str, str]:
    names = {(2, 110): "Credit", (2, 120): "Caption", (2, 65): "OriginatingProgram", (2, 115): "Source"}
    found = {}
    for key, value in (IptcImagePlugin.getiptcinfo(image) or {}).items():
        if key in names:
            value = value[0] if isinstance(value, list) and value else value
            found[names[key]] = clip(value)
    return found


def _scan_xmp(path) -> str:
    with open(path, "rb") as file:
        head = file.read(MAX_XMP_SCAN)
    match = _XMP_PACKET.search(head)
    return clip(match.group(0)) if match else ""


def read_metadata(path) -> FileMetadata:
    """All the metadata readers need, each container part read once; a part that fails to parse is
    recorded in `problems` under the signal it would have fed, and the rest is still read."""
    meta = FileMetadata()
    with open(path, "rb") as file:
        is_png = file.read(8) == PNG_SIGNATURE
    if is_png:
        try:
            meta.texts, raw_exif = png_metadata(path)
            if raw_exif:
                exif = Image.Exif()
                exif.load(raw_exif)
                meta.exif = _exif_fields(exif)
        except Exception as error:
            meta.problems["png_text"] = meta.problems["exif"] = f"PNG chunks: {str(error)[:200]}"
        meta.xmp = meta.texts.get(XMP_PNG_KEY, "")
    else:
        try:
            with Image.open(path) as image:
                meta.exif = _exif_fields(image.getexif())
                xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or ""
                meta.xmp = clip(xmp)
                if image.format == "JPEG":
                    meta.iptc = _iptc(image)
        except Exception as error:
            meta.problems["exif"] = f"{type(error).__name__}: {str(error)[:200]}"
    if not meta.xmp:
        try:
            meta.xmp = _scan_xmp(path)
        except OSError as error:
            meta.problems["xmp"] = f"XMP scan: {str(error)[:200]}"
    return meta
