""" "Stealth" metadata: generation settings hidden in the least significant bits of the pixels.

NovelAI writes its metadata this way (besides its text chunks, which sites strip), and so does the
stealth-pnginfo extension of the Stable Diffusion web UIs (A1111, Forge, reForge, SwarmUI reads it).
The layout, from the extension's `prepare_data` / `add_data`:

- the bits are taken column by column (x outer, y inner), each byte most significant bit first;
- "alpha" mode: one bit per pixel, the alpha channel's LSB; "rgb" mode: three per pixel (R, G, B);
- 15 bytes of signature: `stealth_pnginfo` / `stealth_pngcomp` (alpha, plain / gzip) or
  `stealth_rgbinfo` / `stealth_rgbcomp` (RGB);
- a 32-bit big-endian length of the payload IN BITS, then the payload: UTF-8 text (A1111 infotext),
  or gzip of it; NovelAI's is gzip of a JSON object of its text fields (Software, Source, Comment…).

Only a lossless file keeps these bits, so a hit is as certain as a text chunk. Reading costs the
first pixel columns of the decoded image; the payload is capped and inflated with a bound.
"""

import zlib

import numpy as np
from PIL import Image

from atelier.protection.detection import generators
from atelier.protection.detection.provenance import EXCERPT, Finding

SIGNATURES = {
    b"stealth_pnginfo": ("alpha", False),
    b"stealth_pngcomp": ("alpha", True),
    b"stealth_rgbinfo": ("rgb", False),
    b"stealth_rgbcomp": ("rgb", True),
}
SIGNATURE_BITS = 15 * 8
MAX_PAYLOAD_BITS = 8 * 512 * 1024
MAX_TEXT = 256 * 1024


def _bits(image: Image.Image, mode: str, start: int, count: int) -> np.ndarray:
    """Bits start … start+count in the encoder's order (fewer at the end of the image)."""
    width, height = image.size
    per_pixel = 1 if mode == "alpha" else 3
    end_pixel = -(-(start + count) // per_pixel)
    columns = min(width, -(-end_pixel // height))
    strip = np.asarray(image.crop((0, 0, columns, height)))
    values = strip[:, :, 3].T.reshape(-1) if mode == "alpha" else strip[:, :, :3].transpose(1, 0, 2).reshape(-1)
    return (values[start : start + count] & 1).astype(np.uint8)


def _payload_text(data: bytes, compressed: bool) -> str:
    if compressed:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip
        data = inflater.decompress(data, MAX_TEXT)
    return data.decode("utf-8", "replace")


def _recognise(text: str) -> tuple[generators.Recognised, str]:
    """NovelAI's JSON of text fields, or A1111 infotext; the signature alone still names the family."""
    fields = generators.json_object(text)
    if fields and generators.self_named(str(fields.get("Software", ""))):
        found = generators.settings_json(str(fields.get("Comment", ""))) or generators.Recognised("")
        settings = {k: v for k, v in found.settings.items() if k not in ("prompt", "negative prompt")}
        if fields.get("Source"):
            settings["Model"] = generators.short(fields["Source"])
        return generators.Recognised(generators.self_named(str(fields["Software"])), settings), text
    if found := generators.free_text(text):
        return found, text
    return generators.Recognised("NovelAI or a Stable Diffusion web UI"), text


def read_stealth(image: Image.Image) -> Finding:
    """The stealth signature and payload in an RGBA (alpha mode) or RGB image; clear otherwise."""
    try:
        width, height = image.size
        modes = ("alpha", "rgb") if image.mode == "RGBA" else ("rgb",) if image.mode == "RGB" else ()
        for mode in modes:
            if width * height * (1 if mode == "alpha" else 3) < SIGNATURE_BITS + 32:
                continue
            signature = np.packbits(_bits(image, mode, 0, SIGNATURE_BITS)).tobytes()
            if signature not in SIGNATURES or SIGNATURES[signature][0] != mode:
                continue
            length = int.from_bytes(np.packbits(_bits(image, mode, SIGNATURE_BITS, 32)).tobytes(), "big")
            if not 0 < length <= MAX_PAYLOAD_BITS or length % 8:
                return Finding("stealth", "clear", {"signature": signature.decode(), "note": "implausible length"})
            payload = np.packbits(_bits(image, mode, SIGNATURE_BITS + 32, length)).tobytes()
            text = _payload_text(payload, SIGNATURES[signature][1])
            found, raw = _recognise(text)
            where = f"hidden in the {'alpha channel' if mode == 'alpha' else 'colour'} bits (`{signature.decode()}`)"
            detail = {"generator": found.generator, "where": where, "settings": found.settings}
            return Finding("stealth", "hit", {**detail, "excerpt": raw[:EXCERPT]})
    except Exception as error:
        return Finding("stealth", "error", {"error": f"{type(error).__name__}: {str(error)[:300]}"})
    return Finding("stealth", "clear")
