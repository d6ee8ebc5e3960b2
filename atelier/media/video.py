"""Checking an uploaded video by its content (re-encoding it lives in `transcoding.py`).

The container is recognised from its first bytes and FFmpeg is then told which demuxer to use, so a
file that merely claims to be a video (an HLS playlist, a concat list, an image) never reaches the
demuxers that would follow links to other files or URLs.
"""

import os
from contextlib import contextmanager
from dataclasses import dataclass

import av
import numpy as np
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image

from atelier.media.decoding import DECODER_ERRORS

ACCEPTED_VIDEO_LABEL = "MP4, MOV or WebM"
# The FFmpeg demuxer for each container we accept: "mov" is FFmpeg's "mov,mp4,m4a,3gp,3g2,mj2" and
# "matroska" its "matroska,webm". Naming it stops FFmpeg from guessing and trying any other demuxer.
_DEMUXERS = {"mp4": "mov", "mov": "mov", "webm": "matroska", "matroska": "matroska"}
# ISO media files whose brand says "still image" (HEIC, AVIF photos) share the MP4 box layout.
_STILL_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"mif1", b"avif"}
_IMAGE_SIGNATURES = {b"GIF8": "GIF", b"\xff\xd8\xff": "JPEG", b"\x89PNG": "PNG"}
# Old QuickTime files may start with any of these boxes instead of 'ftyp'.
_QUICKTIME_BOXES = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
_PACKETS_BEFORE_FIRST_FRAME = 500  # in inspection, before calling the file undecodable


@dataclass(frozen=True)
class VideoFacts:
    """What the file holds. width and height are as displayed, after any rotation."""

    container: str
    width: int
    height: int
    duration_seconds: float
    frame_rate: float
    video_codec: str
    has_audio: bool
    rotation: int = 0  # degrees the picture is turned counter-clockwise to stand upright


def inspect_video(path, *, max_bytes: int, max_seconds: float, max_pixels: int = 8192 * 4320) -> VideoFacts:
    """Return what the file really is, or raise ValidationError with a message a person understands.

    Reads every packet of the video stream (without decoding them) so the length is measured rather
    than taken from a header that may lie, and a file cut short in transfer is caught now.
    """
    size = os.path.getsize(path)
    if not size:
        raise ValidationError("This file is empty.", code="empty")
    if size > max_bytes:
        raise ValidationError(
            "This video is %(size)s; the limit is %(limit)s.",
            code="too_big",
            params={"size": filesizeformat(size), "limit": filesizeformat(max_bytes)},
        )
    kind = _sniff_container(path)
    try:
        with _open_video(path, kind) as container:
            context = container.streams.video[0].codec_context
            _check_pixels(context.width, context.height, max_pixels)  # before a huge frame is decoded
            facts, frame = _read_facts(container, kind)
    except ValidationError:
        raise
    except DECODER_ERRORS:
        raise ValidationError(
            "This video file is damaged or incomplete; try exporting it again.", code="corrupt"
        ) from None
    _check_pixels(frame.width, frame.height, max_pixels)
    if facts.duration_seconds > max_seconds:
        raise ValidationError(
            "This video runs %(length)s; videos can be up to %(limit)s long.",
            code="too_long",
            params={"length": _clock(facts.duration_seconds), "limit": _length_label(max_seconds)},
        )
    return facts


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ValidationError(
            "This video is %(width)s×%(height)s pixels; the limit is %(limit)s megapixels.",
            code="too_many_pixels",
            params={"width": width, "height": height, "limit": round(max_pixels / 1_000_000, 1)},
        )


def sample_frames(path, count: int, *, long_side: int | None = None) -> list[Image.Image]:
    """`count` upright RGB frames spread evenly through the video (the middle of each equal slice)."""
    kind = _sniff_container(path)
    frames = []
    try:
        with _open_video(path, kind) as container:
            stream = container.streams.video[0]
            stream.codec_context.thread_type = "AUTO"
            duration = _header_duration(container, stream) or _measured_duration(container, stream)[0]
            start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
            for index in range(count):
                moment = start + duration * (index + 0.5) / count
                frame = _frame_at(container, stream, moment)
                if frame is None:
                    break
                image = _upright(frame, frame.rotation).to_image()
                if long_side and max(image.size) > long_side:
                    image.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
                frames.append(image)
    except DECODER_ERRORS as error:
        raise ValidationError("This video file is damaged or incomplete.", code="corrupt") from error
    return frames


def _sniff_container(path) -> str:
    """Name the container from its first bytes, or refuse the file."""
    with open(path, "rb") as file:
        head = file.read(64)
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _STILL_IMAGE_BRANDS:
            raise _image_not_video("HEIC/AVIF")
        return "mov" if brand == b"qt  " else "mp4"
    if head[4:8] in _QUICKTIME_BOXES:
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm" if b"webm" in head else "matroska"
    for signature, name in _IMAGE_SIGNATURES.items():
        if head.startswith(signature):
            raise _image_not_video(name)
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        raise _image_not_video("WebP")
    raise ValidationError(
        "This file is not a video we can read. Upload %(formats)s.",
        code="not_a_video",
        params={"formats": ACCEPTED_VIDEO_LABEL},
    )


def _image_not_video(name: str) -> ValidationError:
    return ValidationError(
        "This is a %(format)s image, not a video. Add it as an image instead.",
        code="image_not_video",
        params={"format": name},
    )


@contextmanager
def _open_video(path, kind: str):
    container = av.open(os.fspath(path), format=_DEMUXERS[kind], metadata_errors="ignore")
    try:
        if not container.streams.video or container.streams.video[0].codec_context is None:
            raise ValidationError(
                "This file has no video we can play. Upload %(formats)s.",
                code="no_video",
                params={"formats": ACCEPTED_VIDEO_LABEL},
            )
        yield container
    finally:
        container.close()


def _read_facts(container, kind: str):
    """The facts, and the first decoded frame (whose size may differ from the header's)."""
    stream = container.streams.video[0]
    duration, frame = _measured_duration(container, stream, decode_first=True)
    if frame is None:
        raise ValidationError("This video file is damaged or incomplete; try exporting it again.", code="corrupt")
    width, height = _display_size(frame, stream)
    rotation = _quarter_turns(frame.rotation) * 90
    rate = stream.average_rate or stream.guessed_rate
    facts = VideoFacts(
        container=kind,
        width=height if rotation in (90, 270) else width,
        height=width if rotation in (90, 270) else height,
        duration_seconds=round(duration, 3),
        frame_rate=round(float(rate), 3) if rate else 0.0,
        video_codec=stream.codec_context.name,
        has_audio=_audio_stream(container) is not None,
        rotation=rotation,
    )
    return facts, frame


def _measured_duration(container, stream, *, decode_first: bool = False):
    """Seconds from the first to the end of the last video packet, and (if asked) the first decoded frame.

    An MP4 whose index lists more frames than the file holds was cut short, so it is refused here.
    """
    first_frame, packets, first_pts, end_pts = None, 0, None, None
    for packet in container.demux(stream):
        if decode_first and first_frame is None:
            if packets > _PACKETS_BEFORE_FIRST_FRAME:
                return 0.0, None
            frames = packet.decode()
            first_frame = frames[0] if frames else None
        if packet.size == 0 or packet.pts is None:
            continue
        packets += 1
        first_pts = packet.pts if first_pts is None else min(first_pts, packet.pts)
        end_pts = max(end_pts or packet.pts, packet.pts + (packet.duration or 0))
    if stream.frames and packets < stream.frames:
        raise ValidationError("This video file is damaged or incomplete; try exporting it again.", code="corrupt")
    if first_pts is None:
        return 0.0, first_frame
    return float((end_pts - first_pts) * stream.time_base), first_frame


def _header_duration(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return None


def _audio_stream(container):
    """The first audio stream FFmpeg can decode, if any."""
    return next((s for s in container.streams.audio if s.codec_context is not None), None)


def _display_size(frame, stream) -> tuple[int, int]:
    """Frame size with non-square pixels (anamorphic video) stretched to square ones."""
    aspect = stream.sample_aspect_ratio
    if aspect and aspect != 1:
        return max(1, round(frame.width * aspect)), frame.height
    return frame.width, frame.height


def _quarter_turns(rotation) -> int:
    return round((rotation or 0) / 90) % 4


def _upright(frame, rotation):
    """Turn the pixels so the picture stands as the phone that filmed it intended."""
    turns = _quarter_turns(rotation)
    if not turns:
        return frame
    pixels = np.rot90(frame.to_ndarray(format="rgb24"), turns)
    return av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")


def _frame_at(container, stream, moment: float):
    """The first frame shown at or after `moment` seconds (or the last frame before the end)."""
    container.seek(int(moment / stream.time_base), stream=stream, backward=True)
    last = None
    for frame in container.decode(stream):
        last = frame
        if frame.time is None or frame.time >= moment - 1e-3:
            return frame
    return last


def _clock(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02}:{rest % 60:02}" if hours else f"{rest // 60}:{rest % 60:02}"


def _length_label(seconds: float) -> str:
    if seconds < 60:
        whole = round(seconds)
        return f"{whole} second" if whole == 1 else f"{whole} seconds"
    minutes = round(seconds / 60, 1)
    minutes_text = f"{minutes:g}"
    return f"{minutes_text} minute" if minutes == 1 else f"{minutes_text} minutes"
