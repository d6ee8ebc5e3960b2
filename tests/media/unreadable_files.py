"""Files that make decoders fail in their own ways: DDS textures built from the DirectDraw Surface
header layout (Microsoft's DDS_HEADER / DDS_PIXELFORMAT / DDS_HEADER_DXT10), and real images of every
accepted format cut short or corrupted. Each is a (name, bytes) pair for parametrised tests."""

import io
import struct
import tempfile
from pathlib import Path

from PIL import Image

from tests.media.sample_files import make_clip, quadrant_bytes

DDPF_ALPHAPIXELS, DDPF_FOURCC, DDPF_RGB = 0x1, 0x4, 0x40
DDSD_CAPS_HEIGHT_WIDTH_PIXELFORMAT = 0x1 | 0x2 | 0x4 | 0x1000


def dds(*, pf_flags: int, fourcc: bytes = b"\0\0\0\0", bitcount: int = 0, masks=(0, 0, 0, 0), dxgi: int | None = None,
        size=(64, 64), data: bytes = b"\0" * 2048) -> bytes:  # fmt: skip
    """A DDS file: magic, the 124-byte DDS_HEADER with its 32-byte DDS_PIXELFORMAT, an optional
    DX10 header, then `data`."""
    width, height = size
    pixel_format = struct.pack("<II4sI4I", 32, pf_flags, fourcc, bitcount, *masks)
    header = struct.pack("<7I", 124, DDSD_CAPS_HEIGHT_WIDTH_PIXELFORMAT, height, width, 0, 0, 1)
    header += b"\0" * 44 + pixel_format + struct.pack("<5I", 0x1000, 0, 0, 0, 0)
    assert len(header) == 124
    extra = struct.pack("<5I", dxgi, 3, 0, 1, 0) if dxgi is not None else b""
    return b"DDS " + header + extra + data


def pillow_dds(pixel_format: str | None = None) -> bytes:
    """A DDS texture as Pillow writes it (uncompressed RGBA, or DXT1/DXT5 block compression)."""
    buffer = io.BytesIO()
    options = {"pixel_format": pixel_format} if pixel_format else {}
    Image.new("RGBA", (64, 64), (200, 30, 90, 255)).save(buffer, "DDS", **options)
    return buffer.getvalue()


def _patched(data: bytes, changes: dict[int, int]) -> bytes:
    out = bytearray(data)
    for position, value in changes.items():
        out[position] = value
    return bytes(out)


def _small(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (40, 30), (1, 2, 3, 255)).save(buffer, fmt)
    return buffer.getvalue()


def _cut(data: bytes, keep: float) -> bytes:
    return data[: max(16, int(len(data) * keep))]


def _flip_middle(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes(byte ^ 0xA5 for byte in data[middle : middle + 256]) + data[middle + 256 :]


def unreadable_files() -> list[tuple[str, bytes]]:
    """Every one must be refused with a clear 4xx by every upload path."""
    png, jpeg = quadrant_bytes("PNG", (256, 192)), quadrant_bytes("JPEG", (256, 192))
    webp, gif = quadrant_bytes("WEBP", (256, 192)), quadrant_bytes("GIF", (256, 192))
    heic, avif = quadrant_bytes("HEIF", (256, 192)), quadrant_bytes("AVIF", (256, 192))
    with tempfile.TemporaryDirectory() as folder:
        make_clip(Path(folder, "clip.mp4"), seconds=1, size=(64, 48))
        clip = Path(folder, "clip.mp4").read_bytes()
    return [
        ("unknown-fourcc.dds", dds(pf_flags=DDPF_FOURCC, fourcc=b"ZZZZ")),
        ("unknown-dxgi.dds", dds(pf_flags=DDPF_FOURCC, fourcc=b"DX10", dxgi=200)),
        ("no-pixel-format.dds", dds(pf_flags=0x80000)),
        ("bad-masks.dds", dds(pf_flags=DDPF_RGB, bitcount=7, masks=(0xFF, 0xFF00, 0xFF0000, 0))),
        ("truncated-dxt1.dds", dds(pf_flags=DDPF_FOURCC, fourcc=b"DXT1", data=b"\0" * 40)),
        ("header-only.dds", dds(pf_flags=DDPF_RGB | DDPF_ALPHAPIXELS, bitcount=32, data=b"")[:100]),
        ("rgba.dds", pillow_dds()),
        ("dxt1.dds", pillow_dds("DXT1")),
        ("dxt5.dds", pillow_dds("DXT5")),
        ("cut.png", _cut(png, 0.5)),
        ("corrupt.png", _flip_middle(png)),
        ("cut.jpg", _cut(jpeg, 0.3)),
        ("cut.webp", _cut(webp, 0.5)),
        ("corrupt.webp", _flip_middle(webp)),
        ("cut.gif", _cut(gif, 0.5)),
        ("cut.heic", _cut(heic, 0.5)),
        ("corrupt.heic", _flip_middle(heic)),
        ("cut.avif", _cut(avif, 0.5)),
        # Found by mutating bytes: libheif's EOFError while decoding, the AVIF plugin's RuntimeError.
        ("eof.heic", _patched(_small("HEIF"), {114: 70})),
        ("missing-item.avif", _patched(_small("AVIF"), {89: 186, 20: 112, 26: 116})),
        ("header-only.png", png[:33]),
        ("cut.mp4", _cut(clip, 0.4)),
        ("corrupt.mp4", _flip_middle(clip)),
    ]
