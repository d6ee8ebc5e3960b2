"""Files made in code for media tests: pictures whose pixels can be read back, GIFs and clips, hostile uploads.

Nothing here mocks the app: `store_profile_image` runs the real validation, storage and eager render.
"""

import io
import struct
import zlib
from pathlib import PurePosixPath

import av
import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from atelier.accounts.models import ProfileImage
from atelier.accounts.profile_images import profile_image_replace
from atelier.media.crops import CropBox
from atelier.media.storages import originals_storage, public_storage
from atelier.media.validation import inspect_image

QUADRANT_COLOURS = {
    "top-left": (214, 48, 49),
    "top-right": (39, 174, 96),
    "bottom-left": (41, 98, 255),
    "bottom-right": (253, 203, 46),
}


def quadrant_image(size=(1200, 800)) -> Image.Image:
    """Four coloured quadrants, so crops and rotations are visible in the pixels."""
    width, height = size
    image = Image.new("RGB", size)
    half_w, half_h = width // 2, height // 2
    image.paste(QUADRANT_COLOURS["top-left"], (0, 0, half_w, half_h))
    image.paste(QUADRANT_COLOURS["top-right"], (half_w, 0, width, half_h))
    image.paste(QUADRANT_COLOURS["bottom-left"], (0, half_h, half_w, height))
    image.paste(QUADRANT_COLOURS["bottom-right"], (half_w, half_h, width, height))
    return image


def encode(image: Image.Image, fmt: str, **save_args) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save_args)
    return buffer.getvalue()


def quadrant_bytes(fmt: str = "PNG", size=(1200, 800), **save_args) -> bytes:
    return encode(quadrant_image(size), fmt, **save_args)


def close_to(actual, expected, tolerance: int = 14) -> bool:
    """Lossy WebP shifts solid colours by a few levels; a different quadrant is ~100+ away."""
    return all(abs(a - b) <= tolerance for a, b in zip(actual[:3], expected[:3], strict=True))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose IHDR claims `width`×`height` RGB pixels (a decompression bomb's header)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400">'
    b'<script type="text/javascript">alert(document.cookie)</script>'
    b'<rect width="400" height="400" fill="red"/></svg>\n'
)
PDF_DOCUMENT = (
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
    b"trailer <</Root 1 0 R>>\n%%EOF\n"
)


def truncated_jpeg() -> bytes:
    data = quadrant_bytes("JPEG", quality=90)
    return data[: len(data) * 2 // 3]


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def store_profile_image(profile, kind: str, data: bytes, *, capture, crop: CropBox | None = None) -> ProfileImage:
    """Validate and store an image through the real service, running the (eager) render on commit."""
    file = upload(f"{kind}.bin", data)
    facts = inspect_image(file, max_bytes=50_000_000, max_pixels=50_000_000)
    with capture(execute=True):
        image = profile_image_replace(profile=profile, kind=kind, upload=file, facts=facts, crop=crop)
    image.refresh_from_db()
    return image


def open_public(name: str) -> Image.Image:
    with public_storage().open(name, "rb") as file:
        image = Image.open(io.BytesIO(file.read()))
        image.load()
    return image


def read_public_bytes(name: str) -> bytes:
    with public_storage().open(name, "rb") as file:
        return file.read()


def read_original_bytes(name: str) -> bytes:
    with originals_storage().open(name, "rb") as file:
        return file.read()


def stored_names(storage, folder: str) -> set[str]:
    """Every file name below `folder` in a storage (recursively)."""
    if not storage.exists(folder):
        return set()
    directories, files = storage.listdir(folder)
    names = {str(PurePosixPath(folder) / name) for name in files}
    for directory in directories:
        names |= stored_names(storage, str(PurePosixPath(folder) / directory))
    return names


def profile_files(profile) -> tuple[set[str], set[str]]:
    """(public, private) names of every file stored for a profile."""
    folder = f"profiles/{profile.pk}"
    return stored_names(public_storage(), folder), stored_names(originals_storage(), folder)


# --- Animated GIFs

RED, BLUE, YELLOW = (220, 40, 40), (40, 60, 220), (250, 220, 30)
GIF_SIZE = (480, 360)
GIF_FRAMES = 24
GIF_DURATIONS = [40, 80, 120, 60] * (GIF_FRAMES // 4)


def animated_gif(*, comment: bytes = b"", size=GIF_SIZE, frames: int = GIF_FRAMES) -> bytes:
    """Red left half, blue right half, a yellow ball moving along the top band.

    Frame 0 has a transparent top-left corner; every third frame is disposed back to the background.
    """
    width, height = size
    ball = max(4, height // 6)
    images = []
    for index in range(frames):
        frame = Image.new("RGBA", size, RED)
        frame.paste((*BLUE, 255), (width // 2, 0, *size))
        left = 10 + index * (width * 3 // 80)
        ImageDraw.Draw(frame).ellipse((left, 10, left + ball, 10 + ball), fill=(*YELLOW, 255))
        if index == 0:
            frame.paste((0, 0, 0, 0), (0, 0, width // 12, width // 12))
        images.append(frame)
    buffer = io.BytesIO()
    images[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=[GIF_DURATIONS[index % len(GIF_DURATIONS)] for index in range(frames)],
        disposal=[2 if index % 3 == 0 else 1 for index in range(frames)],
        loop=0,
        comment=comment,
    )
    return buffer.getvalue()


# --- Video clips, made with PyAV

FPS = 24
# Fast settings for making fixtures; the code under test chooses its own.
_ENCODER_OPTIONS = {
    "libx264": {"preset": "ultrafast"},
    "libvpx-vp9": {"deadline": "realtime", "cpu-used": "8"},
}


def make_clip(
    path,
    *,
    container="mp4",
    codec="libx264",
    size=(320, 240),
    seconds=2.0,
    audio=False,
    rotation=None,
    faststart=False,
    metadata=None,
):
    """A clip with a red top-left quadrant (to see orientation) and a white block that moves 6 px a frame."""
    width, height = size
    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", format=container, container_options=options) as output:
        output.metadata.update(metadata or {})
        video = output.add_stream(codec, rate=FPS, options=_ENCODER_OPTIONS.get(codec, {}))
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        if rotation is not None:
            video.set_display_rotation(rotation)
        sound = None
        if audio:
            sound = output.add_stream(
                "libopus" if container == "webm" else "aac", rate=48000 if container == "webm" else 44100
            )
        for index in range(round(seconds * FPS)):
            pixels = np.zeros((height, width, 3), np.uint8)
            pixels[: height // 2, : width // 2] = (255, 0, 0)
            left = (index * 6) % width
            pixels[height * 3 // 4 :, left : left + 6] = 255
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = index
            for packet in video.encode(frame):
                output.mux(packet)
        for packet in video.encode(None):
            output.mux(packet)
        if sound is not None:
            write_sine(output, sound, seconds)
    return path


def write_sine(output, stream, seconds):
    """A 440 Hz tone on `stream` of an open PyAV output."""
    rate = stream.codec_context.sample_rate
    chunk = stream.codec_context.frame_size or 1024
    written = 0
    while written < rate * seconds:
        wave = 0.3 * np.sin(2 * np.pi * 440 * (np.arange(chunk) + written) / rate)
        frame = av.AudioFrame.from_ndarray(wave.astype(np.float32).reshape(1, -1), format="fltp", layout="mono")
        frame.sample_rate = rate
        frame.pts = written
        for packet in stream.encode(frame):
            output.mux(packet)
        written += chunk
    for packet in stream.encode(None):
        output.mux(packet)
