"""Video checks and transcoding, on small clips made in code with PyAV."""

import contextlib
import io

import av
import numpy as np
import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from atelier.media.transcoding import transcode_video
from atelier.media.video import inspect_video, sample_frames
from tests.media.sample_files import FPS, make_clip, write_sine

pytestmark = pytest.mark.backend_free  # neither database nor cache: runs once (tests/conftest.py)

MB = 1024 * 1024


def inspect(path, **limits):
    return inspect_video(path, **{"max_bytes": 50 * MB, "max_seconds": 600, **limits})


def refusal(path, **limits) -> str:
    with pytest.raises(ValidationError) as caught:
        inspect(path, **limits)
    return caught.value.messages[0]


# Facts


def test_facts_of_an_mp4_with_sound(tmp_path):
    facts = inspect(make_clip(tmp_path / "clip.mp4", audio=True))
    assert (facts.container, facts.video_codec, facts.width, facts.height) == ("mp4", "h264", 320, 240)
    assert facts.duration_seconds == pytest.approx(2.0, abs=0.05)
    assert facts.frame_rate == pytest.approx(24)
    assert facts.has_audio is True
    assert facts.rotation == 0


def test_facts_of_a_webm(tmp_path):
    facts = inspect(make_clip(tmp_path / "clip.webm", container="webm", codec="libvpx-vp9", audio=True))
    assert (facts.container, facts.video_codec, facts.has_audio) == ("webm", "vp9", True)
    assert facts.duration_seconds == pytest.approx(2.0, abs=0.1)


def test_facts_of_a_phone_mov_report_the_upright_size(tmp_path):
    facts = inspect(make_clip(tmp_path / "clip.mov", container="mov", rotation=90))
    assert (facts.container, facts.has_audio, facts.rotation) == ("mov", False, 90)
    assert (facts.width, facts.height) == (240, 320)


def test_facts_come_from_content_not_the_file_name(tmp_path):
    clip = make_clip(tmp_path / "clip.mp4")
    renamed = tmp_path / "holiday.webm"
    renamed.write_bytes(clip.read_bytes())
    assert inspect(renamed).container == "mp4"


# Hostile or unsuitable files


def test_a_text_file_named_mp4_is_refused(tmp_path):
    path = tmp_path / "playlist.mp4"
    path.write_text("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n")
    assert refusal(path) == "This file is not a video we can read. Upload MP4, MOV or WebM."


def test_a_jpeg_is_refused_as_an_image(tmp_path):
    path = tmp_path / "photo.mp4"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    assert refusal(path) == "This is a JPEG image, not a video. Add it as an image instead."


def test_a_gif_is_refused_as_an_image(tmp_path):
    path = tmp_path / "loop.gif"
    frames = [Image.new("RGB", (32, 32), colour) for colour in ("red", "blue")]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert refusal(path) == "This is a GIF image, not a video. Add it as an image instead."


def test_an_mp3_is_refused(tmp_path):
    path = tmp_path / "song.mp4"
    with av.open(str(path), "w", format="mp3") as output:
        write_sine(output, output.add_stream("libmp3lame", rate=44100), 0.5)
    assert refusal(path) == "This file is not a video we can read. Upload MP4, MOV or WebM."


def test_sound_without_pictures_is_refused(tmp_path):
    path = tmp_path / "voice.m4a"
    with av.open(str(path), "w", format="mp4") as output:
        write_sine(output, output.add_stream("aac", rate=44100), 0.5)
    assert refusal(path) == "This file has no video we can play. Upload MP4, MOV or WebM."


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    assert refusal(path) == "This file is empty."


def test_a_file_over_the_byte_limit_is_refused(tmp_path):
    path = make_clip(tmp_path / "clip.mp4")
    assert refusal(path, max_bytes=1000).startswith("This video is ")
    assert refusal(path, max_bytes=1000).endswith("; the limit is 1000\xa0bytes.")


def test_an_mp4_cut_in_half_is_refused(tmp_path):
    whole = make_clip(tmp_path / "clip.mp4").read_bytes()  # index at the end, so it is lost
    path = tmp_path / "cut.mp4"
    path.write_bytes(whole[: len(whole) // 2])
    assert refusal(path) == "This video file is damaged or incomplete; try exporting it again."


def test_a_faststart_mp4_cut_in_half_is_refused(tmp_path):
    whole = make_clip(tmp_path / "clip.mp4", faststart=True).read_bytes()  # index first, samples missing
    path = tmp_path / "cut.mp4"
    path.write_bytes(whole[: len(whole) // 2])
    assert refusal(path) == "This video file is damaged or incomplete; try exporting it again."


def test_garbage_after_a_valid_header_is_refused(tmp_path):
    path = tmp_path / "noise.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomavc1" + bytes(range(256)) * 40)
    assert refusal(path) == "This video file is damaged or incomplete; try exporting it again."


@pytest.mark.parametrize("name,container,codec", [("clip.mp4", "mp4", "libx264"), ("clip.webm", "webm", "libvpx-vp9")])
def test_damaged_bytes_only_ever_raise_validation_error(tmp_path, name, container, codec):
    original = make_clip(tmp_path / name, container=container, codec=codec, seconds=0.5, audio=True).read_bytes()
    rng = np.random.default_rng(7)
    for attempt in range(25):
        damaged = bytearray(original)
        for position in rng.integers(0, len(damaged), size=20):
            damaged[position] = int(rng.integers(0, 256))
        path = tmp_path / f"damaged-{attempt}-{name}"
        path.write_bytes(bytes(damaged))
        with contextlib.suppress(ValidationError):  # refusing is fine; any other exception fails the test
            inspect(path)


def test_a_video_longer_than_the_limit_is_refused(tmp_path):
    path = make_clip(tmp_path / "clip.mp4")
    assert refusal(path, max_seconds=1) == "This video runs 0:02; videos can be up to 1 second long."
    assert inspect(path, max_seconds=2.5).duration_seconds == pytest.approx(2.0, abs=0.05)


def test_a_frame_larger_than_the_limit_is_refused(tmp_path):
    path = make_clip(tmp_path / "clip.mp4", seconds=0.25)
    assert refusal(path, max_pixels=320 * 200) == "This video is 320×240 pixels; the limit is 0.1 megapixels."


# Transcoding


def _moov_before_mdat(data: bytes) -> bool:
    return 0 <= data.find(b"moov") < data.find(b"mdat")


def test_transcode_makes_a_faststart_h264_aac_mp4(tmp_path):
    source = make_clip(tmp_path / "clip.mp4", audio=True)
    target = tmp_path / "out.mp4"
    progress = []
    result = transcode_video(source, target, on_progress=progress.append)
    with av.open(str(target)) as written:
        video, audio = written.streams.video[0], written.streams.audio[0]
        assert (video.codec_context.name, video.codec_context.pix_fmt) == ("h264", "yuv420p")
        assert (audio.codec_context.name, audio.codec_context.sample_rate, audio.codec_context.layout.name) == (
            "aac",
            48000,
            "stereo",
        )
        assert (video.width, video.height) == (320, 240)  # never upscaled to 1080
        assert float(video.duration * video.time_base) == pytest.approx(2.0, abs=0.2)
    assert _moov_before_mdat(target.read_bytes())
    assert (result.width, result.height, result.has_audio) == (320, 240, True)
    assert result.duration_seconds == pytest.approx(2.0, abs=0.2)
    assert progress and progress == sorted(progress) and progress[-1] == pytest.approx(1.0)
    assert len(progress) > 2
    assert result.poster.mode == "RGB" and result.poster.size == (320, 240)


def test_transcode_scales_down_to_even_dimensions(tmp_path):
    source = make_clip(tmp_path / "big.mp4", size=(1920, 1440), seconds=0.5)
    result = transcode_video(source, tmp_path / "out.mp4", max_height=480)
    assert (result.width, result.height) == (640, 480)
    odd = make_clip(tmp_path / "odd.mp4", size=(322, 242), seconds=0.5)
    result = transcode_video(odd, tmp_path / "odd-out.mp4", max_height=121)
    assert (result.width, result.height) == (160, 120)


def test_portrait_video_keeps_its_short_side_at_the_limit(tmp_path):
    """A phone held upright films 1080×1920: "at most 1080p" bounds the short side, as for landscape."""
    source = make_clip(tmp_path / "tall.mp4", size=(360, 640), seconds=0.5)
    result = transcode_video(source, tmp_path / "out.mp4", max_height=240)
    assert (result.width, result.height) == (240, 426)


def test_transcode_without_sound_has_no_audio_stream(tmp_path):
    result = transcode_video(
        make_clip(tmp_path / "clip.webm", container="webm", codec="libvpx-vp9"), tmp_path / "o.mp4"
    )
    with av.open(str(tmp_path / "o.mp4")) as written:
        assert not written.streams.audio
        assert written.streams.video[0].codec_context.name == "h264"
    assert result.has_audio is False


def test_transcode_turns_phone_video_upright_and_drops_its_metadata(tmp_path):
    source = make_clip(
        tmp_path / "phone.mov",
        container="mov",
        rotation=90,
        seconds=0.5,
        metadata={"location": "+48.8577+002.2950/", "title": "secret-title"},
    )
    target = tmp_path / "out.mp4"
    result = transcode_video(source, target)
    assert (result.width, result.height) == (240, 320)
    with av.open(str(target)) as written:
        frame = next(written.decode(video=0))
        assert frame.rotation == 0
        pixels = frame.to_ndarray(format="rgb24")
    # Turned a quarter counter-clockwise, the red top-left quadrant lands bottom-left.
    assert pixels[300, 20][0] > 200 and pixels[300, 20][2] < 60
    assert pixels[20, 20][0] < 60
    data = target.read_bytes()
    assert b"secret-title" not in data and b"+48.8577" not in data


def test_transcode_refuses_content_longer_than_allowed(tmp_path):
    with pytest.raises(ValidationError) as caught:
        transcode_video(make_clip(tmp_path / "clip.mp4"), tmp_path / "out.mp4", max_seconds=1)
    assert caught.value.messages[0] == "This video runs longer than 1 second."
    assert not (tmp_path / "out.mp4").exists()


def test_transcode_of_a_broken_file_is_a_validation_error(tmp_path):
    path = tmp_path / "noise.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomavc1" + bytes(range(256)) * 40)
    with pytest.raises(ValidationError) as caught:
        transcode_video(path, tmp_path / "out.mp4")
    assert caught.value.messages[0] == "This video could not be converted; try exporting it again as MP4."


# Frames for detection


def test_sample_frames_are_spread_evenly(tmp_path):
    frames = sample_frames(make_clip(tmp_path / "clip.mp4"), 4)
    assert len(frames) == 4 and all(frame.mode == "RGB" and frame.size == (320, 240) for frame in frames)
    # The white block's x position tells which frame this is: index = x / 6.
    indices = []
    for frame in frames:
        row = np.asarray(frame)[220, :, 1]
        indices.append(int(np.argmax(row > 200)) / 6)
    expected = [(i + 0.5) / 4 * 2 * FPS for i in range(4)]
    assert indices == pytest.approx(expected, abs=1.5)


def test_sample_frames_can_shrink(tmp_path):
    frames = sample_frames(make_clip(tmp_path / "clip.mp4", seconds=0.5), 2, long_side=160)
    assert [frame.size for frame in frames] == [(160, 120), (160, 120)]
