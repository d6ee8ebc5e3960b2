"""Transcoding a checked video to an H.264/AAC MP4 that streams, with a poster frame.

Inspection (what a file is, whether it is acceptable) lives in `video.py`; this module runs after it,
in the worker. The public copy is re-encoded from decoded pixels and samples, so no metadata from a
phone (GPS position, device, title) survives.
"""

import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
from django.core.exceptions import ValidationError
from PIL import Image

from atelier.media.video import (
    _audio_stream,
    _display_size,
    _header_duration,
    _length_label,
    _open_video,
    _quarter_turns,
    _sniff_container,
    _upright,
)

# Workers have two cores; "veryfast" keeps a 1080p minute near real time there, for files only
# slightly larger than "medium" would give at the same quality (CRF 23).
_X264_OPTIONS = {"preset": "veryfast", "crf": "23", "profile": "high"}
# The index ('moov') goes first, so playback starts before the download ends.
_MP4_OPTIONS = {"movflags": "+faststart"}


@dataclass(frozen=True)
class TranscodeResult:
    width: int
    height: int
    duration_seconds: float
    has_audio: bool
    poster: Image.Image = field(compare=False, repr=False)


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


def _even_size(width: int, height: int, max_height: int) -> tuple[int, int]:
    """Scale down (never up) so the shorter side is at most max_height ("1080p" means 1920×1080
    landscape and 1080×1920 for a phone held upright); H.264 in 4:2:0 needs even sides."""
    scale = min(1.0, max_height / min(width, height))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


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
