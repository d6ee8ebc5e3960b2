"""The one entry point the detection service calls: every local signal over an original upload, one
decode, and never an exception, whatever the file."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from atelier.protection.detection.signals import run_local_signals
from bench import detection_fixtures as fx

pytestmark = pytest.mark.django_db  # the session fixture in tests/conftest.py reads a table
SIGNALS = ["png_text", "exif", "xmp", "c2pa", "stealth", "watermark", "classifier"]


def write(tmp_path, data: bytes, name="upload"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_an_a1111_png_with_an_sdxl_mark_is_caught_twice_and_keeps_its_embedding(tmp_path):
    marked = fx.watermark(fx.native_square(fx.sample("astronaut.png"), 1024), "sdxl", order="rgb")
    path = write(tmp_path, fx.png_bytes(marked, parameters=fx.A1111))
    findings, embedding = run_local_signals(path, "png")
    by_signal = {finding.signal: finding for finding in findings}
    assert list(by_signal) == SIGNALS
    assert by_signal["png_text"].hit and by_signal["watermark"].detail["generator"] == "SDXL"
    assert by_signal["classifier"].outcome in {"hit", "clear"} and embedding.shape == (512,)


def test_a_human_photo_has_no_provenance_or_watermark_hit(tmp_path):
    path = write(tmp_path, (fx.samples_folder() / "rocket.jpg").read_bytes())
    findings, embedding = run_local_signals(path, "jpeg")
    assert [finding.signal for finding in findings] == SIGNALS
    assert not any(finding.hit for finding in findings if finding.signal != "classifier")
    assert all(finding.outcome != "error" for finding in findings) and embedding is not None


def test_pixels_the_caller_already_decoded_are_used_as_they_are(tmp_path):
    data = fx.png_bytes(fx.watermark(fx.native_square(fx.sample("coffee.png"), 512), "sd1"))
    path = write(tmp_path, data)
    decoded = Image.open(io.BytesIO(data))
    decoded.load()
    findings, embedding = run_local_signals(path, "png", image=decoded)
    assert findings[5].signal == "watermark" and findings[5].detail["generator"] == "Stable Diffusion 1.x"
    assert np.allclose(embedding, run_local_signals(path, "png")[1], atol=1e-5)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width × height pixels: a decompression bomb's shape."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_before_decoding(tmp_path):
    findings, embedding = run_local_signals(write(tmp_path, png_claiming(60_000, 60_000)), "png")
    by_signal = {finding.signal: finding for finding in findings}
    assert list(by_signal) == SIGNALS and embedding is None
    for signal in ("watermark", "classifier"):
        assert by_signal[signal].outcome == "error" and "decompression bomb" in by_signal[signal].detail["error"]


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_the_pixel_limit_is_the_sites_own(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100)
    path = write(tmp_path, fx.png_bytes(Image.new("RGB", (101, 100))))
    findings, _ = run_local_signals(path, "png")
    assert "over 10000 px" in findings[-1].detail["error"]


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (b"", "png"),
        (b"\x00" * 100, "jpeg"),
        (b"GIF89a" + b"\xff" * 30, "gif"),
        (fx.png_bytes(fx.sample("astronaut.png"), parameters=fx.A1111)[:20_000], "png"),
        (png_claiming(300, 300), "png"),
    ],
)
def test_broken_files_give_errors_for_every_pixel_signal_and_never_raise(tmp_path, data, fmt):
    findings, embedding = run_local_signals(write(tmp_path, data), fmt)
    by_signal = {finding.signal: finding for finding in findings}
    assert list(by_signal) == SIGNALS and embedding is None
    assert by_signal["watermark"].outcome == by_signal["classifier"].outcome == "error"


def test_a_large_420_jpeg_is_decoded_at_the_classifiers_size_and_a_444_one_in_full(tmp_path):
    from atelier.protection.detection import classifier
    from atelier.protection.detection.signals import open_for_signals

    photo = fx.sample("astronaut.png").convert("RGB").resize((2000, 2000), Image.Resampling.BICUBIC)
    for subsampling, reduced in ((2, True), (0, False)):
        buffer = io.BytesIO()
        photo.save(buffer, "JPEG", quality=90, subsampling=subsampling)
        path = write(tmp_path, buffer.getvalue(), f"photo-{subsampling}.jpg")
        image, problem, was_reduced = open_for_signals(path)
        assert was_reduced is reduced and not problem
        assert min(image.size) >= 2 * classifier.SIZE and (min(image.size) < 2000) is reduced
        findings, embedding = run_local_signals(path, "jpeg")
        by_signal = {finding.signal: finding for finding in findings}
        assert list(by_signal) == SIGNALS and embedding is not None
        assert ("skipped" in by_signal["watermark"].detail) is reduced
        assert ("skipped" in by_signal["stealth"].detail) is reduced
        full = classifier.classify(Image.open(path).convert("RGB"))[0].detail["score"]
        assert abs(by_signal["classifier"].detail["score"] - full) < 0.05
