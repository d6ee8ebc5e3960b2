"""Animated covers: GIFs (and animated WebP or PNG) re-encoded so they keep moving but weigh less.

Every frame is composited by Pillow (which applies the GIF's disposal rules), cropped, scaled and
written afresh. Comments, application blocks and anything appended after the image's end (an HTML
"polyglot", say) stay behind in the private original.

Bombs are refused from the file's structure before any frame is decoded: a GIF is walked block by
block, stopping as soon as it holds more frames than allowed, so a 50 MB file of one-pixel frames
costs a moment, not minutes.
"""

import io
import warnings
from dataclasses import dataclass
from fractions import Fraction
from itertools import chain
from pathlib import Path

import av
from django.core.exceptions import ValidationError
from PIL import Image, ImageOps

from atelier.media.crops import CropBox
from atelier.media.decoding import DECODER_ERRORS

DEFAULT_MAX_FRAMES = 1000
# Frames × canvas pixels: each frame is composited at full size, so this bounds the work.
DEFAULT_MAX_TOTAL_PIXELS = 250_000_000
_WHOLE = CropBox(0.0, 0.0, 1.0, 1.0)
# Browsers show GIF delays of 10 ms or less as 100 ms; the copies keep what people actually saw.
_SHORTEST_DELAY_MS = 20
_BROWSER_DELAY_MS = 100
# Covers are short and watched far more often than written, so x264 may take its time ("medium");
# "animation" tuning suits flat colours and hard edges.
_X264_OPTIONS = {"preset": "medium", "crf": "23", "tune": "animation", "profile": "high"}
_MP4_OPTIONS = {"movflags": "+faststart"}


@dataclass(frozen=True)
class AnimationFacts:
    format: str
    width: int
    height: int
    frame_count: int
    durations_ms: tuple[int, ...]
    plays: int  # how many times it plays through; 0 for forever

    @property
    def duration_ms(self) -> int:
        return sum(self.durations_ms)


def is_animated(image_file) -> bool:
    """True when the image has more than one frame (read from headers, nothing decoded)."""
    try:
        with Image.open(io.BytesIO(_read_bytes(image_file))) as image:
            return bool(getattr(image, "is_animated", False))
    except DECODER_ERRORS:
        return False


def inspect_animation(
    file, *, max_frames: int = DEFAULT_MAX_FRAMES, max_total_pixels: int = DEFAULT_MAX_TOTAL_PIXELS
) -> AnimationFacts:
    """Frame count, canvas size and timing, or a ValidationError for anything too big to render safely."""
    return _inspect(_read_bytes(file), max_frames=max_frames, max_total_pixels=max_total_pixels)


def render_animated_webp(
    source, *, crop: CropBox | None, long_side: int, quality: int = 80, xmp: bytes | None = None
) -> bytes:
    """An animated WebP with the original's timing and looping; no metadata but `xmp` when given."""
    image, facts = _open(source)
    frames = _frames(image, facts, crop, long_side)
    first = next(frames)
    first.info = {}  # Pillow reads a fallback background and duration from here; we give them explicitly
    buffer = io.BytesIO()
    first.save(
        buffer,
        format="WEBP",
        save_all=True,
        append_images=[_FrameStream(frames, facts.frame_count - 1)],
        duration=list(facts.durations_ms),
        loop=facts.plays,
        background=(0, 0, 0, 0),
        quality=quality,
        method=4,
        allow_mixed=True,  # flat GIF art is often smaller lossless; photographic frames lossy
        **({"xmp": xmp} if xmp else {}),
    )
    return buffer.getvalue()


def render_animated_mp4(
    source, target_path, *, crop: CropBox | None, long_side: int, background=(255, 255, 255)
) -> tuple[int, int]:
    """A muted H.264 MP4 with the original's per-frame timing; return its (width, height).

    Play it with `<video autoplay loop muted playsinline>`: MP4 has no loop flag of its own.
    Transparent pixels are laid on `background`, since H.264 has no alpha.
    """
    image, facts = _open(source)
    frames = _frames(image, facts, crop, long_side)
    first = next(frames)
    size = (max(2, first.width - first.width % 2), max(2, first.height - first.height % 2))
    try:
        _write_mp4(target_path, chain([first], frames), facts, size, background)
    except (ValidationError, av.FFmpegError, OSError, ValueError):
        Path(target_path).unlink(missing_ok=True)  # no half-written rendition left behind
        raise
    return size


def render_poster(source, *, crop: CropBox | None, long_side: int) -> Image.Image:
    """The first frame as a still (for people who prefer reduced motion); RGBA only if it has transparency."""
    image, facts = _open(source)
    frame = next(_frames(image, facts, crop, long_side))
    if frame.getextrema()[3][0] == 255:
        return frame.convert("RGB")
    return frame


def _read_bytes(file) -> bytes:
    if hasattr(file, "read"):
        file.seek(0)
        data = file.read()
        file.seek(0)
        return data
    return Path(file).read_bytes()


def _open(source) -> tuple[Image.Image, AnimationFacts]:
    """Inspect with the default limits, so rendering never trusts that the caller inspected first."""
    data = _read_bytes(source)
    facts = _inspect(data, max_frames=DEFAULT_MAX_FRAMES, max_total_pixels=DEFAULT_MAX_TOTAL_PIXELS)
    return Image.open(io.BytesIO(data)), facts


def _inspect(data: bytes, *, max_frames: int, max_total_pixels: int) -> AnimationFacts:
    if not data:
        raise ValidationError("This file is empty.", code="empty")
    if data.startswith((b"GIF87a", b"GIF89a")):
        width, height, durations, plays = _walk_gif(data, max_frames)
        facts = AnimationFacts("GIF", width, height, len(durations), tuple(durations), plays)
        _check_size(facts, max_frames, max_total_pixels)
        _check_pillow_opens(data)
        return facts
    image = _check_pillow_opens(data)
    if image.format not in ("WEBP", "PNG"):
        raise _unreadable()
    count = getattr(image, "n_frames", 1)
    facts = AnimationFacts(image.format, image.width, image.height, count, (), 0)
    _check_size(facts, max_frames, max_total_pixels)
    durations = []
    try:
        for index in range(count):
            image.seek(index)
            image.load()  # WebP reads a frame's duration as it decodes it
            durations.append(_shown_delay(image.info.get("duration", 0)))
    except DECODER_ERRORS:
        raise _damaged() from None
    return AnimationFacts(image.format, image.width, image.height, count, tuple(durations), image.info.get("loop", 0))


def _check_size(facts: AnimationFacts, max_frames: int, max_total_pixels: int) -> None:
    if facts.frame_count > max_frames:
        raise ValidationError(
            "This animation has more than %(limit)s frames; shorten it or drop some frames.",
            code="too_many_frames",
            params={"limit": max_frames},
        )
    pixels = facts.width * facts.height
    if pixels * facts.frame_count > max_total_pixels or pixels > Image.MAX_IMAGE_PIXELS:
        raise ValidationError(
            "This animation is too large to process: %(frames)s of %(width)s×%(height)s pixels. "
            "Make it smaller or shorter.",
            code="too_many_pixels",
            params={
                "frames": "1 frame" if facts.frame_count == 1 else f"{facts.frame_count} frames",
                "width": facts.width,
                "height": facts.height,
            },
        )


def _check_pillow_opens(data: bytes) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValidationError(
                "This animation is too large to process. Make it smaller or shorter.", code="too_many_pixels"
            ) from None
        except DECODER_ERRORS:
            raise _unreadable() from None


def _walk_gif(data: bytes, max_frames: int) -> tuple[int, int, list[int], int]:
    """Canvas size, each frame's delay and the play count, read from the GIF's blocks without decoding.

    The canvas grows to hold any frame that reaches past the logical screen, as Pillow's does.
    Stops at the trailer, or at the first block that makes no sense (Pillow then decides what it can read).
    """
    if len(data) < 13:
        raise _damaged()
    width, height, flags = _u16(data, 6), _u16(data, 8), data[10]
    position = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    durations, delay, plays = [], 0, 1
    while position + 10 <= len(data) and len(durations) <= max_frames:
        block, label, size = data[position], data[position + 1], data[position + 2]
        if block == 0x21:  # extension
            body = data[position + 3 : position + 3 + size]
            if label == 0xF9 and size >= 4:  # graphic control: the next frame's delay, in centiseconds
                delay = _u16(body, 1) * 10
            elif label == 0xFF and body in (b"NETSCAPE2.0", b"ANIMEXTS1.0"):
                plays = _gif_plays(data[position + 3 + size : position + 8 + size], fallback=plays)
            position = _skip_sub_blocks(data, position + 2)
        elif block == 0x2C:  # image descriptor: one frame
            left, top = _u16(data, position + 1), _u16(data, position + 3)
            width = max(width, left + _u16(data, position + 5))
            height = max(height, top + _u16(data, position + 7))
            local = data[position + 9]
            position += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0) + 1  # + LZW minimum code size
            position = _skip_sub_blocks(data, position)
            durations.append(_shown_delay(delay))
            delay = 0
        else:
            break  # trailer (0x3B) or junk
    if not durations:
        raise _damaged()
    return width, height, durations, plays


def _u16(data: bytes, position: int) -> int:
    return data[position] | data[position + 1] << 8


def _skip_sub_blocks(data: bytes, position: int) -> int:
    while position < len(data) and data[position]:
        position += data[position] + 1
    return position + 1


def _gif_plays(sub_block: bytes, *, fallback: int) -> int:
    """GIF's loop count says how often to repeat after the first play (0: forever); ours counts plays."""
    if len(sub_block) >= 4 and sub_block[0] >= 3 and sub_block[1] == 1:
        repeats = _u16(sub_block, 2)
        return 0 if repeats == 0 else min(repeats + 1, 0xFFFF)
    return fallback


def _shown_delay(milliseconds) -> int:
    milliseconds = round(milliseconds or 0)  # APNG gives fractions of a millisecond
    return _BROWSER_DELAY_MS if milliseconds < _SHORTEST_DELAY_MS else milliseconds


def _frames(image: Image.Image, facts: AnimationFacts, crop: CropBox | None, long_side: int):
    """Each frame composited in RGBA at the full canvas, then cropped and scaled down (never up)."""
    canvas = (facts.width, facts.height)
    try:
        for index in range(facts.frame_count):
            image.seek(index)
            frame = image.convert("RGBA")
            if frame.size != canvas:  # an early frame, before a later one grew the canvas
                frame = frame.crop((0, 0, *canvas))
            frame = frame.crop((crop or _WHOLE).to_pixels(*canvas))
            if max(frame.size) > long_side:
                frame = ImageOps.contain(frame, (long_side, long_side), method=Image.Resampling.LANCZOS)
            yield frame
    except DECODER_ERRORS:
        raise _damaged() from None


class _FrameStream:
    """Hands Pillow's animated-WebP writer one rendered frame at a time, so a long animation is
    never held in memory whole. The writer reads `n_frames`, then for each index calls `seek`
    and takes the frame's `mode` and `getim()`, in order."""

    def __init__(self, frames, count: int):
        self.n_frames = count
        self._frames = frames
        self._frame = None

    def seek(self, index: int) -> None:
        self._frame = next(self._frames)

    @property
    def mode(self) -> str:
        return self._frame.mode

    def getim(self):
        return self._frame.getim()


def _write_mp4(target_path, frames, facts: AnimationFacts, size: tuple[int, int], background) -> None:
    average_rate = Fraction(1000 * facts.frame_count, max(1, facts.duration_ms)).limit_denominator(1001)
    with av.open(str(target_path), "w", format="mp4", container_options=_MP4_OPTIONS) as output:
        stream = output.add_stream("libx264", rate=average_rate, options=_X264_OPTIONS)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        # MP4 derives each frame's duration from the gaps between decode times; with B-frames
        # reordered over uneven GIF delays those gaps no longer add up to the animation's length.
        stream.codec_context.max_b_frames = 0
        # x264 does not carry each frame's duration through to its packets; without it the
        # last frame of the MP4 would be shown for a guessed length.
        duration_of = {}
        pts = 0
        for frame, duration in zip(frames, facts.durations_ms, strict=True):
            video_frame = av.VideoFrame.from_image(_flatten(frame, size, background)).reformat(format="yuv420p")
            video_frame.pts, video_frame.time_base = pts, Fraction(1, 1000)
            duration_of[pts] = duration
            pts += duration
            _mux(output, stream.encode(video_frame), duration_of)
        _mux(output, stream.encode(None), duration_of)


def _flatten(frame: Image.Image, size: tuple[int, int], background) -> Image.Image:
    flat = Image.new("RGB", frame.size, background)
    flat.paste(frame, mask=frame.getchannel("A"))
    if flat.size != size:
        flat = flat.crop((0, 0, *size)) if min(flat.size) >= 2 else flat.resize(size)
    return flat


def _mux(output, packets, duration_of: dict) -> None:
    for packet in packets:
        packet.duration = duration_of.pop(packet.pts, packet.duration)
        output.mux(packet)


def _unreadable() -> ValidationError:
    return ValidationError(
        "This file is not an animation we can read. Upload a GIF, WebP or PNG.", code="not_an_animation"
    )


def _damaged() -> ValidationError:
    return ValidationError("This animation is damaged or incomplete; try exporting it again.", code="corrupt")
