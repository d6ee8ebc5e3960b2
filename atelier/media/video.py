"""Checking an uploaded video by its content, and re-encoding it into the one format every browser plays.

The container is recognised from its first bytes and FFmpeg is then told which demuxer to use, so a
file that merely claims to be a video (an HLS playlist, a concat list, an image) never reaches the
demuxers that would follow links to other files or URLs. The public copy is re-encoded from decoded
pixels and samples, so no metadata from a phone (GPS position, device, title) survives.
"""

import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image

ACCEPTED_VIDEO_LABEL = "MP4, MOV or WebM"
# The FFmpeg demuxer for each container we accept: "mov" is FFmpeg's "mov,mp4,m4a,3gp,3g2,mj2" and
# "matroska" its "matroska,webm". Naming it stops FFmpeg from guessing and trying any other demuxer.
_DEMUXERS = {"mp4": "mov", "mov": "mov", "webm": "matroska", "matroska": "matroska"}
# ISO media files whose brand says "still image" (HEIC, AVIF photos) share the MP4 box layout.
_STILL_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"mif1", b"avif"}
_IMAGE_SIGNATURES = {b"GIF8": "GIF", b"\xff\xd8\xff": "JPEG", b"\x89PNG": "PNG"}
# Old QuickTime files may start with any of these boxes instead of 'ftyp'.
_QUICKTIME_BOXES = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
# Workers have two cores; "veryfast" keeps a 1080p minute near real time there, for files only
# slightly larger than "medium" would give at the same quality (CRF 23).
_X264_OPTIONS = {"preset": "veryfast", "crf": "23", "profile": "high"}
# The index ('moov') goes first, so playback starts before the download ends.
_MP4_OPTIONS = {"movflags": "+faststart"}
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


@dataclass(frozen=True)
class TranscodeResult:
    width: int
    height: int
    duration_seconds: float
    has_audio: bool
    poster: Image.Image = field(compare=False, repr=False)


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
    except Exception:  # a hostile file can surface as almost any error from FFmpeg's wrapper
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


def transcode_video(
    source_path, target_path, *, max_height: int = 1080, on_progress=None, max_seconds: float | None = None
) -> TranscodeResult:
    """Write an H.264/AAC MP4 that starts playing before it has fully downloaded.

    `on_progress(fraction)` is called as the work advances and once with 1.0 at the end.
    `max_seconds` stops a file whose content runs far longer than its header admitted.
    A failed attempt leaves no half-written target behind.
    """
    kind = _sniff_container(source_path)
    try:
        # Only a decoded frame carries the rotation, and that decides the output's width and height.
        with _open_video(source_path, kind) as probe:
            first = next(probe.decode(probe.streams.video[0]), None)
        if first is None:
            raise ValidationError("This video has no frames we can read.", code="corrupt")
        with _open_video(source_path, kind) as source:
            job = _Transcode(source, target_path, first, max_height=max_height, max_seconds=max_seconds)
            job.run(on_progress)
        with av.open(os.fspath(target_path)) as written:
            duration = _header_duration(written, written.streams.video[0]) or 0.0
    except (ValidationError, av.FFmpegError, OSError, ValueError, EOFError) as error:
        Path(target_path).unlink(missing_ok=True)
        if isinstance(error, ValidationError):
            raise
        raise ValidationError(
            "This video could not be converted; try exporting it again as MP4.", code="transcode_failed"
        ) from error
    if on_progress:
        on_progress(1.0)
    return TranscodeResult(
        width=job.width, height=job.height, duration_seconds=duration, has_audio=job.has_audio, poster=job.poster
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
    except (av.FFmpegError, OSError, ValueError, EOFError) as error:
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


def _even_size(width: int, height: int, max_height: int) -> tuple[int, int]:
    """Scale down (never up) so the shorter side is at most max_height ("1080p" means 1920×1080
    landscape and 1080×1920 for a phone held upright); H.264 in 4:2:0 needs even sides."""
    scale = min(1.0, max_height / min(width, height))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


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


class _Transcode:
    """One pass over the source: decode, turn upright, scale, encode and mux, video and audio together."""

    def __init__(self, source, target_path, first_frame, *, max_height: int, max_seconds: float | None):
        self.source, self.max_seconds = source, max_seconds
        self.video_in = source.streams.video[0]
        self.video_in.codec_context.thread_type = "AUTO"
        self.audio_in = _audio_stream(source)
        self.has_audio = self.audio_in is not None
        self.duration = _header_duration(source, self.video_in) or 0.0
        self.turns = _quarter_turns(first_frame.rotation)
        width, height = _display_size(first_frame, self.video_in)
        self.width, self.height = _even_size(*((height, width) if self.turns % 2 else (width, height)), max_height)
        self.poster, self.poster_settled = None, False
        self.first_pts = self.last_pts = None
        self.audio_samples = 0

        self.output = av.open(os.fspath(target_path), "w", format="mp4", container_options=_MP4_OPTIONS)
        rate = self.video_in.average_rate or self.video_in.guessed_rate or Fraction(30)
        self.video_out = self.output.add_stream("libx264", rate=rate, options=_X264_OPTIONS)
        self.video_out.width, self.video_out.height, self.video_out.pix_fmt = self.width, self.height, "yuv420p"
        self.video_out.codec_context.time_base = self.video_in.time_base
        if self.has_audio:
            self.audio_out = self.output.add_stream("aac", rate=48000, layout="stereo")
            self.audio_out.codec_context.time_base = Fraction(1, 48000)
            self.resampler = av.AudioResampler(format="fltp", layout="stereo", rate=48000)

    def run(self, on_progress) -> None:
        streams = [self.video_in] + ([self.audio_in] if self.has_audio else [])
        reported = 0.0
        with self.output:
            for packet in self.source.demux(streams):
                try:
                    frames = packet.decode()
                except av.InvalidDataError:
                    continue  # one damaged packet costs a few frames, not the whole upload
                for frame in frames:
                    if packet.stream is self.video_in:
                        self._add_video(frame)
                    else:
                        self._add_audio(frame)
                progress = self._progress()
                if on_progress and progress - reported >= 0.01:
                    reported = progress
                    on_progress(progress)
            if self.has_audio:
                self._add_audio(None)
                self._mux(self.audio_out.encode(None))
            self._mux(self.video_out.encode(None))

    def _progress(self) -> float:
        if not self.duration or self.last_pts is None:
            return 0.0
        return min(0.99, float((self.last_pts - self.first_pts) * self.video_in.time_base) / self.duration)

    def _add_video(self, frame) -> None:
        pts = frame.pts if frame.pts is not None else (self.last_pts or 0) + 1
        if self.last_pts is not None and pts <= self.last_pts:
            return  # a repeated timestamp: dropping the frame keeps the stream playable
        self.first_pts = pts if self.first_pts is None else self.first_pts
        self.last_pts = pts
        seconds = float((pts - self.first_pts) * self.video_in.time_base)
        if self.max_seconds is not None and seconds > self.max_seconds:
            raise ValidationError(
                "This video runs longer than %(limit)s.",
                code="too_long",
                params={"limit": _length_label(self.max_seconds)},
            )
        size = (self.height, self.width) if self.turns % 2 else (self.width, self.height)
        out = frame.reformat(*size, format="rgb24" if self.turns else "yuv420p", interpolation="BICUBIC")
        if self.turns:
            out = _upright(out, self.turns * 90).reformat(format="yuv420p")
        out.pts, out.time_base = pts - self.first_pts, self.video_in.time_base
        # The poster is the first frame from 10% in, which is past any fade from black.
        if self.poster is None or (not self.poster_settled and seconds >= self.duration * 0.1):
            self.poster = out.to_image()
            self.poster_settled = seconds >= self.duration * 0.1
        self._mux(self.video_out.encode(out))

    def _add_audio(self, frame) -> None:
        """Resample to 48 kHz stereo; None flushes. Samples are laid end to end from zero."""
        if frame is not None:
            frame.pts = None
        for resampled in self.resampler.resample(frame):
            resampled.pts, resampled.time_base = self.audio_samples, Fraction(1, 48000)
            self.audio_samples += resampled.samples
            self._mux(self.audio_out.encode(resampled))

    def _mux(self, packets) -> None:
        for packet in packets:
            self.output.mux(packet)
