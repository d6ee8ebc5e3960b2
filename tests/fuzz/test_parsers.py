"""Property tests (hypothesis) for the code that reads bytes and text an outsider controls: the PNG
chunk walker and the EXIF/XMP readers of uploaded originals, tus headers, crop parameters and feed
cursors. Whatever comes in, each answers with a value or its own refusal — never another exception.

Derandomized with fixed example counts, so CI runs the same inputs every time.
"""

import base64
import io
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from atelier.core.cursors import InvalidCursor, decode_cursor, encode_cursor
from atelier.media.crops import CropBox
from atelier.moderation.proofs import check_proof_file
from atelier.protection.detection import metadata, provenance
from atelier.uploads import tus
from atelier.uploads.errors import UploadError

# Pillow warns about the corrupt EXIF these tests feed it, then carries on: that is the behaviour wanted.
pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning:PIL.TiffImagePlugin"),
    pytest.mark.backend_free,  # neither database nor cache: runs once (tests/conftest.py)
]

PROPERTY = settings(
    max_examples=300, derandomize=True, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
CHUNK_KINDS = [b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"IHDR", b"IDAT", b"IEND", b"iCCP"]


def _chunk(kind: bytes, data: bytes, *, good_crc: bool = True) -> bytes:
    crc = zlib.crc32(kind + data) if good_crc else (zlib.crc32(kind + data) ^ 1)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


@st.composite
def chunk_data(draw, kind: bytes) -> bytes:
    """Chunk bodies shaped like the real thing often enough to reach the inner branches."""
    keyword = draw(st.binary(max_size=12))
    text = draw(st.binary(max_size=200))
    if kind == b"zTXt":
        body = draw(st.sampled_from([zlib.compress(text), text, zlib.compress(text)[:-3]]))
        return keyword + b"\0" + draw(st.binary(max_size=1)) + body
    if kind == b"iTXt":
        flag = draw(st.sampled_from([b"\0", b"\1", b"\7"]))
        body = draw(st.sampled_from([zlib.compress(text), text]))
        return keyword + b"\0" + flag + b"\0" + draw(st.binary(max_size=4)) + b"\0\0" + body
    if kind == b"eXIf":
        return draw(tiff_exif())
    return keyword + b"\0" + text


@st.composite
def tiff_exif(draw) -> bytes:
    """A TIFF header and IFDs with arbitrary entries: counts, types and offsets an attacker picks."""
    order = draw(st.sampled_from([b"II*\0", b"MM\0*", b"II+\0", b"XX\0\0"]))
    fmt = "<" if order.startswith(b"II") else ">"
    entries = draw(st.lists(st.tuples(
        st.sampled_from([0x0131, 0x8769, 0x9286, 0x0110, draw(st.integers(0, 0xFFFF))]),
        st.integers(0, 13), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1),
    ), max_size=8))  # fmt: skip
    ifd = struct.pack(fmt + "H", len(entries)) + b"".join(struct.pack(fmt + "HHII", *entry) for entry in entries)
    return order + struct.pack(fmt + "I", draw(st.sampled_from([8, 0, 2**31, 7]))) + ifd + draw(st.binary(max_size=64))


@st.composite
def png_files(draw) -> bytes:
    signature = draw(st.sampled_from([metadata.PNG_SIGNATURE] * 5 + [b"\x89PNG\r\n\x1a", b""]))
    chunks = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from([*CHUNK_KINDS, draw(st.binary(min_size=4, max_size=4))]))
        chunks.append(_chunk(kind, draw(chunk_data(kind)), good_crc=draw(st.booleans()) or draw(st.booleans())))
    if draw(st.booleans()):  # a length field pointing far past the end of the file
        chunks.append(struct.pack(">I", draw(st.integers(0, 2**32 - 1))) + b"tEXt" + draw(st.binary(max_size=20)))
    data = signature + b"".join(chunks)
    cut = draw(st.integers(0, len(data)))
    return data[:cut] if draw(st.booleans()) else data


def _readers_hold(data: bytes, suffix: str = ".png") -> None:
    with tempfile.NamedTemporaryFile(suffix=suffix) as file:
        file.write(data)
        file.flush()
        path = Path(file.name)
        try:
            texts, exif = metadata.png_metadata(path)
        except ValueError:
            pass  # the walker's own refusal: not a PNG, or a damaged chunk
        else:
            assert isinstance(texts, dict) and all(len(v) <= metadata.MAX_TEXT for v in texts.values())
            assert exif is None or isinstance(exif, bytes)
        fmt = {".png": "png", ".jpg": "jpeg", ".gif": "gif"}.get(suffix, "")
        for finding in provenance.read_all(path, fmt):
            assert finding.outcome in {"hit", "clear", "error"}


@PROPERTY
@given(png_files())
def test_png_walker_and_readers_take_any_png_like_file(data):
    _readers_hold(data)


@PROPERTY
@given(st.binary(max_size=2048))
def test_readers_take_any_bytes(data):
    _readers_hold(data, suffix=".bin")


def _jpeg_with_app1(payload: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(buffer, "JPEG")
    jpeg = buffer.getvalue()
    segment = b"\xff\xe1" + struct.pack(">H", min(len(payload) + 2, 0xFFFF)) + payload[:0xFFFD]
    return jpeg[:2] + segment + jpeg[2:]


@PROPERTY
@given(tiff_exif(), st.sampled_from([b"Exif\0\0", b"Exif\0", b"http://ns.adobe.com/xap/1.0/\0"]))
def test_exif_reader_takes_any_app1_segment(exif, prefix):
    _readers_hold(_jpeg_with_app1(prefix + exif), suffix=".jpg")


@PROPERTY
@given(
    st.text(max_size=80),
    st.sampled_from(["trainedAlgorithmicMedia", "digitalCapture", "", '"<>', "x" * 300]),
    st.sampled_from(['DigitalSourceType="{v}"', "DigitalSourceType>{v}<", 'DigitalSourceType rdf:resource="{v}"']),
)
def test_xmp_reader_takes_any_packet(noise, value, shape):
    packet = f"<x:xmpmeta>{noise}<rdf:Description Iptc4xmpExt:{shape.format(v=value)}/>{noise}</x:xmpmeta>"
    data = b"GIF89a" + packet.encode("utf-8", "replace")
    _readers_hold(data, suffix=".gif")
    with tempfile.NamedTemporaryFile() as file:
        file.write(data)
        file.flush()
        finding = next(f for f in provenance.read_all(Path(file.name), "gif") if f.signal == "xmp")
    assert finding.hit == (value == "trainedAlgorithmicMedia")


def test_a_compressed_text_bomb_stays_small():
    bomb = zlib.compress(b"A" * 50_000_000, 9)
    data = metadata.PNG_SIGNATURE + _chunk(b"zTXt", b"parameters\0\0" + bomb) + _chunk(b"IEND", b"")
    with tempfile.NamedTemporaryFile(suffix=".png") as file:
        file.write(data)
        file.flush()
        texts, _ = metadata.png_metadata(Path(file.name))
    assert len(texts["parameters"]) == metadata.MAX_TEXT


def test_a_corrupt_compressed_chunk_is_the_walkers_refusal():
    """Found by the property test: a zTXt whose CRC is right but whose zlib stream is not escaped
    as zlib.error, which is not the walker's documented ValueError."""
    data = metadata.PNG_SIGNATURE + _chunk(b"zTXt", b"parameters\0\0not zlib at all")
    with tempfile.NamedTemporaryFile(suffix=".png") as file:
        file.write(data)
        file.flush()
        with pytest.raises(ValueError):
            metadata.png_metadata(Path(file.name))


# --- tus headers


@PROPERTY
@given(st.one_of(st.none(), st.text(max_size=30), st.integers(0, 10**25).map(str)))
@example("１２３")  # fullwidth digits are digits to str.isdigit
@example("²")
def test_byte_counts_are_numbers_or_refused(value):
    try:
        count = tus.parse_byte_count(value, header="Upload-Length")
    except UploadError as error:
        assert error.status == 400 and error.message
    else:
        assert value.isascii() and value.isdigit() and count == int(value) >= 0


@PROPERTY
@given(st.text(max_size=600))
def test_metadata_headers_parse_or_are_refused(header):
    try:
        metadata = tus.parse_metadata(header)
    except UploadError as error:
        assert error.status == 400
    else:
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())


_KEYS = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=","), min_size=1)


@PROPERTY
@given(st.dictionaries(_KEYS, st.text(max_size=60), max_size=6))
def test_metadata_round_trips(values):
    header = tus.encode_metadata(values)
    if len(header) <= 4096:
        assert tus.parse_metadata(header) == values


@PROPERTY
@given(st.text(max_size=40), st.binary(max_size=40))
def test_metadata_values_that_are_not_utf8_are_refused(key, raw):
    name = key.replace(",", "").replace(" ", "").strip() or "k"
    header = f"{name} {base64.b64encode(raw).decode()}"
    try:
        expected = raw.decode("utf-8")
    except UnicodeDecodeError:
        with pytest.raises(UploadError):
            tus.parse_metadata(header)
    else:
        assert tus.parse_metadata(header)[name] == expected


# --- crop parameters

_ANY = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.text(max_size=20),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.sampled_from(["nan", "inf", "-0", "1e309", "0x10", "½", "0.5"]),
)


@PROPERTY
@given(_ANY, _ANY, _ANY, _ANY)
@example(10**400, 0, 1, 1)  # an integer too large for a float
def test_crop_values_make_a_box_inside_the_image_or_are_refused(x, y, width, height):
    try:
        box = CropBox.from_values(x, y, width, height)
    except ValidationError as error:
        assert error.code in {"crop_invalid", "crop_outside"}
    else:
        assert 0 <= box.x < 1 and 0 <= box.y < 1 and 0 < box.width <= 1 and 0 < box.height <= 1


_UNIT = st.floats(min_value=0, max_value=1, exclude_max=True)


@PROPERTY
@given(_UNIT, _UNIT, st.floats(0, 1), st.floats(0, 1), st.integers(1, 20_000), st.integers(1, 20_000))
def test_a_valid_crop_is_at_least_one_pixel_inside_any_image(x, y, width, height, image_width, image_height):
    try:
        box = CropBox.from_values(x, y, width, height)
    except ValidationError:
        return
    left, top, right, bottom = box.to_pixels(image_width, image_height)
    assert 0 <= left < right <= image_width and 0 <= top < bottom <= image_height


# --- feed cursors


@PROPERTY
@given(st.text(max_size=300))
@example(".eJyrVkrLz1eyUkpKLFKqBQApvgU4:1vJ6wq:bad")
def test_any_text_is_a_cursor_or_refused(token):
    try:
        position = decode_cursor("following", token)
    except InvalidCursor:
        pass
    else:
        assert position is None or isinstance(position, dict)


@PROPERTY
@given(
    st.dictionaries(st.text(max_size=8).filter(lambda k: k != "feed"), st.one_of(st.integers(), st.text(max_size=20))),
    st.integers(0, 200),
)
def test_cursors_round_trip_and_any_change_is_refused(position, where):
    token = encode_cursor("following", position)
    assert decode_cursor("following", token) == {"feed": "following", **position}
    with pytest.raises(InvalidCursor):
        decode_cursor("discover", token)  # another feed's cursor
    index = where % len(token)
    changed = token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]
    with pytest.raises(InvalidCursor):
        decode_cursor("following", changed)


# --- layered process files (appeal proof): the ZIP sniffer for Krita, OpenRaster and Procreate


@st.composite
def zip_archives(draw) -> bytes:
    """A ZIP whose `mimetype` entry is stored, deflated, bzip2'd or xz'd, then possibly altered where
    an attacker would: the compression method, the flags (encryption), the sizes, or its bytes."""
    buffer = io.BytesIO()
    method = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]))
    content = draw(st.sampled_from([b"application/x-krita", b"image/openraster", b""]) | st.binary(max_size=60))
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        archive.writestr("mimetype", content)
        if draw(st.booleans()):
            archive.writestr("Document.archive", draw(st.binary(max_size=40)))
    data = bytearray(buffer.getvalue())
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.sampled_from(["method", "flags", "size", "byte"]))
        if where == "method":  # local header offset 8, central directory entry offset 10
            data[8:10] = struct.pack("<H", draw(st.sampled_from([99, 1, 6, 14, 12, 8, 0])))
        elif where == "flags":
            data[6:8] = struct.pack("<H", draw(st.sampled_from([1, 0x41, 0x800])))
            central = data.find(b"PK\x01\x02")
            if central > 0:
                data[central + 8 : central + 10] = data[6:8]
        elif where == "size":
            data[22:26] = struct.pack("<I", draw(st.integers(0, 2**32 - 1)))
        else:
            index = draw(st.integers(0, len(data) - 1))
            data[index] = draw(st.integers(0, 255))
    return bytes(data)


@PROPERTY
@given(zip_archives())
def test_layered_proof_sniffer_takes_any_zip(data):
    with tempfile.NamedTemporaryFile(suffix=".kra") as file:
        file.write(data)
        file.flush()
        try:
            checked = check_proof_file(Path(file.name))
        except ValidationError as error:
            assert error.code in {"unsupported_file", "empty", "too_big", "unreadable", "corrupt"} or error.messages
        else:
            assert checked.format in {"KRA", "ORA", "PROCREATE"} or checked.kind
