"""Animated covers, from GIFs drawn in code."""

import io
import struct

import av
import numpy as np
import pytest
from django.core.exceptions import ValidationError
from PIL import Image, ImageChops

from atelier.media.animation import (
    inspect_animation,
    is_animated,
    render_animated_mp4,
    render_animated_webp,
    render_poster,
)
from atelier.media.crops import CropBox
from tests.media.sample_files import BLUE, GIF_DURATIONS, GIF_FRAMES, GIF_SIZE, RED, YELLOW, animated_gif

pytestmark = pytest.mark.backend_free  # neither database nor cache: runs once (tests/conftest.py)


@pytest.fixture(scope="module")
def gif_bytes() -> bytes:
    return animated_gif()


@pytest.fixture
def gif_file(tmp_path, gif_bytes):
    path = tmp_path / "cover.gif"
    path.write_bytes(gif_bytes)
    return path


def frames_of(data: bytes) -> list[tuple[Image.Image, int]]:
    image = Image.open(io.BytesIO(data))
    result = []
    for index in range(getattr(image, "n_frames", 1)):
        image.seek(index)
        image.load()
        result.append((image.convert("RGBA"), image.info.get("duration")))
    return result


def refusal(data: bytes, **limits) -> str:
    with pytest.raises(ValidationError) as caught:
        inspect_animation(io.BytesIO(data), **limits)
    return caught.value.messages[0]


def tiny_frames_gif(count: int, *, screen=(1, 1)) -> bytes:
    """A GIF of `count` one-pixel frames, written by hand (Pillow would merge identical frames)."""
    header = b"GIF89a" + struct.pack("<HH", *screen) + b"\x80\x00\x00" + b"\xff\xff\xff\x00\x00\x00"
    frame = b"\x21\xf9\x04\x00\x01\x00\x00\x00" + b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00" + b"\x02\x02\x44\x01\x00"
    return header + frame * count + b"\x3b"


# Inspection


def test_facts_of_an_animated_gif(gif_file):
    facts = inspect_animation(gif_file)
    assert (facts.format, facts.width, facts.height, facts.frame_count) == ("GIF", 480, 360, 24)
    assert list(facts.durations_ms) == GIF_DURATIONS
    assert facts.plays == 0
    assert is_animated(gif_file) is True


def test_a_still_gif_is_not_animated(tmp_path):
    path = tmp_path / "still.gif"
    Image.new("RGB", (40, 30), RED).save(path)
    assert is_animated(path) is False
    assert is_animated(io.BytesIO(b"not an image")) is False
    assert inspect_animation(path).frame_count == 1


def test_thousands_of_tiny_frames_are_refused():
    assert refusal(tiny_frames_gif(5000)) == "This animation has more than 1000 frames; shorten it or drop some frames."


def test_a_huge_logical_screen_is_refused():
    assert refusal(tiny_frames_gif(1, screen=(65535, 65535))) == (
        "This animation is too large to process: 1 frame of 65535×65535 pixels. Make it smaller or shorter."
    )


def test_frames_times_pixels_over_the_limit_is_refused(gif_bytes):
    assert refusal(gif_bytes, max_total_pixels=1_000_000) == (
        "This animation is too large to process: 24 frames of 480×360 pixels. Make it smaller or shorter."
    )


def test_files_that_are_not_animations_are_refused(gif_bytes):
    assert refusal(b"") == "This file is empty."
    assert refusal(b"<html><script>alert(1)</script>") == (
        "This file is not an animation we can read. Upload a GIF, WebP or PNG."
    )
    assert refusal(b"GIF89a\x10\x00") == "This animation is damaged or incomplete; try exporting it again."


def test_a_play_count_and_browser_delays_are_kept():
    frames = [Image.new("RGB", (20, 20), colour) for colour in (RED, BLUE, YELLOW)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=[0, 10, 50], loop=2)
    facts = inspect_animation(buffer)
    assert facts.durations_ms == (100, 100, 50)  # as browsers show 0 and 10 ms delays
    assert facts.plays == 3  # two repeats after the first play


# WebP


def test_webp_keeps_frames_timing_and_looping_and_is_smaller(gif_file, gif_bytes):
    data = render_animated_webp(gif_file, crop=None, long_side=1000)
    webp = Image.open(io.BytesIO(data))
    assert (webp.format, webp.size, webp.n_frames, webp.info["loop"]) == ("WEBP", GIF_SIZE, GIF_FRAMES, 0)
    assert [duration for _, duration in frames_of(data)] == GIF_DURATIONS
    assert len(data) < len(gif_bytes)
    assert b"EXIF" not in data and b"XMP " not in data and b"ICCP" not in data


def test_webp_frames_match_the_gif_as_composited(gif_file, gif_bytes):
    rendered = frames_of(render_animated_webp(gif_file, crop=None, long_side=1000))
    for (expected, _), (actual, _) in zip(frames_of(gif_bytes), rendered, strict=True):
        difference = np.asarray(ImageChops.difference(expected, actual), dtype=float)
        assert difference.mean() < 4
    first = rendered[0][0]
    assert first.getpixel((5, 5))[3] == 0  # the transparent corner stays transparent
    assert rendered[1][0].getpixel((5, 5))[3] == 255  # frame 0 was disposed to background, frame 1 covers it


def test_webp_honours_the_crop_and_scales_down(gif_file):
    data = render_animated_webp(gif_file, crop=CropBox(0.5, 0.5, 0.5, 0.5), long_side=120)
    frames = frames_of(data)
    assert frames[0][0].size == (120, 90)
    red, _, blue, _ = frames[0][0].getpixel((60, 45))
    assert blue > 180 and red < 90  # the bottom-right quarter is blue


def test_webp_is_never_upscaled(gif_file):
    data = render_animated_webp(gif_file, crop=CropBox(0.0, 0.0, 0.25, 0.25), long_side=4000)
    assert Image.open(io.BytesIO(data)).size == (120, 90)


# MP4


def test_mp4_is_a_faststart_h264_with_the_gif_timing(gif_file, gif_bytes, tmp_path):
    target = tmp_path / "cover.mp4"
    size = render_animated_mp4(gif_file, target, crop=None, long_side=1000)
    assert size == GIF_SIZE
    data = target.read_bytes()
    assert len(data) < len(gif_bytes)
    assert 0 <= data.find(b"moov") < data.find(b"mdat")
    with av.open(str(target)) as video:
        stream = video.streams.video[0]
        assert (stream.codec_context.name, stream.codec_context.pix_fmt) == ("h264", "yuv420p")
        assert not video.streams.audio
        frames = list(video.decode(stream))
        assert float(stream.duration * stream.time_base) == pytest.approx(sum(GIF_DURATIONS) / 1000, abs=0.02)
    assert len(frames) == GIF_FRAMES
    starts = [round(frame.time * 1000) for frame in frames]
    assert np.diff(starts).tolist() == GIF_DURATIONS[:-1]
    corner = frames[0].to_ndarray(format="rgb24")[5, 5]
    assert corner.min() > 230  # transparency laid on white


def test_mp4_dimensions_are_even(gif_file, tmp_path):
    size = render_animated_mp4(gif_file, tmp_path / "c.mp4", crop=CropBox(0.0, 0.0, 0.5, 0.5), long_side=101)
    assert size == (100, 76)  # 240×180 contained in 101 is 101×76


# Poster and polyglots


def test_poster_is_the_first_frame(gif_file, gif_bytes):
    poster = render_poster(gif_file, crop=None, long_side=240)
    assert poster.size == (240, 180)
    assert poster.mode == "RGBA" and poster.getpixel((1, 1))[3] == 0
    expected = frames_of(gif_bytes)[0][0].resize((240, 180))
    difference = np.asarray(ImageChops.difference(expected, poster), dtype=float)
    assert difference[..., :3].mean() < 6
    opaque = render_poster(gif_file, crop=CropBox(0.5, 0.5, 0.5, 0.5), long_side=240)
    assert opaque.mode == "RGB"


def test_an_html_polyglot_loses_its_script(tmp_path):
    script = b"<script>alert(document.cookie)</script>"
    path = tmp_path / "polyglot.gif"
    path.write_bytes(animated_gif(comment=script) + script)
    assert inspect_animation(path).frame_count == GIF_FRAMES
    webp = render_animated_webp(path, crop=None, long_side=200)
    render_animated_mp4(path, tmp_path / "out.mp4", crop=None, long_side=200)
    poster = io.BytesIO()
    render_poster(path, crop=None, long_side=200).save(poster, format="PNG")
    for output in (webp, (tmp_path / "out.mp4").read_bytes(), poster.getvalue()):
        assert b"<script" not in output.lower()


def test_an_animated_webp_source_works_too(tmp_path):
    frames = [Image.new("RGB", (60, 40), colour) for colour in (RED, BLUE, YELLOW)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="WEBP", save_all=True, append_images=frames[1:], duration=[50, 60, 70], loop=0)
    facts = inspect_animation(buffer)
    assert (facts.format, facts.frame_count, facts.durations_ms) == ("WEBP", 3, (50, 60, 70))
    size = render_animated_mp4(buffer, tmp_path / "out.mp4", crop=None, long_side=30)
    assert size == (30, 20)
