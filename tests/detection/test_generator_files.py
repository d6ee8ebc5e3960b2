"""Files written the way each generator writes them (bench/generator_files.py) are caught by the
reader for where that tool puts its settings; human files that merely talk about AI stay clear."""

import gzip
import io

import numpy as np
import piexif
import piexif.helper
import pytest
from PIL import Image

from atelier.protection.detection import generators, metadata, provenance, stealth
from atelier.protection.detection.signals import open_bounded
from bench import generator_files as gf
from bench.detection_fixtures import sample

pytestmark = pytest.mark.backend_free  # neither database nor cache: runs once (tests/conftest.py)

FORMATS = {"png": "png", "jpg": "jpeg", "webp": "webp"}
EXPECTED = {
    "a1111.png": ("png_text", "Automatic1111 / Stable Diffusion web UI"),
    "a1111-unicode.jpg": ("exif", "Automatic1111 / Stable Diffusion web UI"),
    "a1111-ascii.jpg": ("exif", "Automatic1111 / Stable Diffusion web UI"),
    "a1111-jis.jpg": ("exif", "Automatic1111 / Stable Diffusion web UI"),
    "a1111-unicode.webp": ("exif", "Automatic1111 / Stable Diffusion web UI"),
    "forge-unicode.jpg": ("exif", "Forge (Stable Diffusion web UI)"),
    "a1111stealth.png": ("stealth", "Automatic1111 / Stable Diffusion web UI"),
    "comfyui.png": ("png_text", "ComfyUI"),
    "comfyui.webp": ("exif", "ComfyUI"),
    "invokeai.png": ("png_text", "InvokeAI"),
    "novelai.png": ("png_text", "NovelAI"),
    "novelaistealth.png": ("stealth", "NovelAI"),
    "fooocus.png": ("png_text", "Fooocus"),
    "fooocus.jpg": ("exif", "Fooocus"),
    "fooocusa1111.jpg": ("exif", "Fooocus"),
    "drawthings.png": ("xmp", "Draw Things"),
    "midjourney.png": ("png_text", "Midjourney"),
    "midjourneytext.png": ("png_text", "Midjourney"),
    "google.jpg": ("xmp", "Google AI"),
}


@pytest.fixture(scope="module")
def picture():
    return sample("chelsea.png").convert("RGB")


def findings_for(tmp_path, name: str, data: bytes) -> dict[str, provenance.Finding]:
    path = tmp_path / name
    path.write_bytes(data)
    found = {finding.signal: finding for finding in provenance.read_all(path, FORMATS[name.rsplit(".", 1)[1]])}
    image, problem = open_bounded(path)
    assert image is not None, problem
    with image:
        found["stealth"] = stealth.read_stealth(image)
    return found


def test_every_generator_file_is_caught_where_its_tool_writes(tmp_path, picture):
    files = gf.ai_files(picture)
    assert set(files) == set(EXPECTED)
    for name, data in files.items():
        signal, generator = EXPECTED[name]
        finding = findings_for(tmp_path, name, data)[signal]
        assert finding.hit, (name, finding)
        assert finding.detail["generator"] == generator, name
        assert finding.detail["where"] and finding.detail["excerpt"], name


def test_a1111_settings_are_read_from_the_utf16_usercomment_not_mojibake(tmp_path, picture):
    finding = findings_for(tmp_path, "a1111-unicode.jpg", gf.a1111_exif(picture))["exif"]
    assert finding.detail["settings"]["Sampler"] == "DPM++ 2M" and finding.detail["settings"]["Seed"] == "1234567890"
    assert finding.detail["where"] == "EXIF Exif UserComment"


def test_human_files_that_mention_ai_tools_are_clear(tmp_path, picture):
    for name, data in gf.human_files_mentioning_ai(picture).items():
        found = findings_for(tmp_path, name, data)
        assert not any(finding.hit for finding in found.values()), (name, found)
        assert not any(finding.outcome == "error" for finding in found.values()), (name, found)


@pytest.mark.parametrize(
    ("raw", "endian", "text"),
    [
        (b"UNICODE\0" + "Steps: 20 ünïcode".encode("utf-16-be"), ">", "Steps: 20 ünïcode"),
        (b"UNICODE\0" + "Steps: 20 ünïcode".encode("utf-16-le"), "<", "Steps: 20 ünïcode"),
        (b"UNICODE\0" + "Steps: 20".encode("utf-16"), ">", "Steps: 20"),  # with a byte-order mark
        (b"ASCII\0\0\0Steps: 20", ">", "Steps: 20"),
        (b"JIS\0\0\0\0\0" + "手描き".encode("shift_jis"), ">", "手描き"),
        (b"\0" * 8 + b"Steps: 20", ">", "Steps: 20"),
        (b'{"prompt": "x"}', ">", '{"prompt": "x"}'),  # Fooocus: no character code
        ("already text", ">", "already text"),
    ],
)
def test_usercomment_character_codes(raw, endian, text):
    assert metadata.user_comment(raw, endian) == text


def test_usercomment_in_ifd0_written_little_endian_is_read(tmp_path, picture):
    exif = Image.Exif()  # Pillow writes "II": the UNICODE text must then be UTF-16LE
    exif[0x9286] = b"UNICODE\0" + gf.A1111_TEXT.encode("utf-16-le")
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif)
    finding = findings_for(tmp_path, "ifd0.jpg", buffer.getvalue())["exif"]
    assert finding.hit and finding.detail["where"] == "EXIF IFD0 UserComment"


@pytest.mark.parametrize(
    "text",
    [
        "Steps: sketch, ink, colour. Sampler: my own brushes",  # the words without the grammar
        "I did not use Stable Diffusion; Steps: 3",
        '{"prompt": "draw a cat", "notes": "for class"}',  # JSON, but not generation settings
        "Job ID: 42, see Midjourney's terms",
    ],
)
def test_structure_not_names_decides(text):
    assert generators.free_text(text) is None


def test_a1111_grammar_without_the_generator_name_is_recognised():
    found = generators.free_text("portrait\nSteps: 28, Sampler: Euler a, CFG scale: 6.5, Seed: 9, Size: 512x768")
    assert found.generator.startswith("Automatic1111") and found.settings["CFG scale"] == "6.5"


def test_hostile_stealth_payloads_are_clear_or_error_never_raise(picture):
    # a signature with a length beyond the cap
    marked = np.array(gf.stealth_bits(picture, "x"))
    alpha = marked[:, :, 3].T.reshape(-1).copy()
    bits = np.unpackbits(np.frombuffer(b"stealth_pngcomp" + (2**31).to_bytes(4, "big"), dtype=np.uint8))
    alpha[: bits.size] = (alpha[: bits.size] & 0xFE) | bits
    marked[:, :, 3] = alpha.reshape(marked.shape[1], marked.shape[0]).T
    assert stealth.read_stealth(Image.fromarray(marked, "RGBA")).outcome == "clear"
    # a gzip bomb: 50 MB of zeros compressed, inflated no further than the cap
    bomb = gf.stealth_bits(Image.new("RGB", (900, 900)), "")
    body = gzip.compress(b"\0" * 50_000_000)
    pixels = np.array(bomb)
    alpha = pixels[:, :, 3].T.reshape(-1).copy()
    bits = np.unpackbits(np.frombuffer(b"stealth_pngcomp" + (len(body) * 8).to_bytes(4, "big") + body, dtype=np.uint8))
    alpha[: bits.size] = (alpha[: bits.size] & 0xFE) | bits
    pixels[:, :, 3] = alpha.reshape(pixels.shape[1], pixels.shape[0]).T
    finding = stealth.read_stealth(Image.fromarray(pixels, "RGBA"))
    assert finding.hit and len(finding.detail["excerpt"]) <= provenance.EXCERPT
    # tiny and odd-mode images
    for image in (Image.new("RGBA", (3, 3)), Image.new("L", (300, 300)), Image.new("P", (300, 300))):
        assert stealth.read_stealth(image).outcome == "clear"


def test_hostile_exif_and_xmp_never_raise(tmp_path, picture):
    broken_exif = gf.a1111_exif(picture)
    cut = broken_exif.find(b"UNICODE")
    truncated = broken_exif[: cut + 4] + broken_exif[cut + 4 :].replace(b"\0", b"\xff", 40)
    script_xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description xmp:CreatorTool="<script>alert(1)</script>" '
        b'Iptc4xmpExt:DigitalSourceType="' + b"A" * 5000 + b'"/></x:xmpmeta>'
    )
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", xmp=script_xmp)
    comment = piexif.helper.UserComment.dump("Steps: 1, Sampler: x, Seed: 1" * 1000, encoding="unicode")
    huge = io.BytesIO()
    piexif.insert(piexif.dump({"Exif": {piexif.ExifIFD.UserComment: comment}}), buffer.getvalue(), huge)
    for name, data in (("cut.jpg", truncated), ("script.jpg", buffer.getvalue()), ("huge.jpg", huge.getvalue())):
        found = findings_for(tmp_path, name, data)
        assert all(finding.outcome in {"hit", "clear", "error"} for finding in found.values())
        assert not found["xmp"].hit
