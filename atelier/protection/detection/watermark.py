"""Invisible watermarks that Stable Diffusion's reference scripts put in every image they save.

All three are `invisible-watermark`'s dwtDct mark: one bit per 4×4 block of the Haar approximation of
the U channel (scale 36), the message repeated across the image in row-major block order.
  - SD 1.x (CompVis txt2img): the bytes `StableDiffusionV1`, 136 bits, written on BGR.
  - SD 2.x (Stability stablediffusion): `SDV2`, 32 bits, written on BGR.
  - SDXL (generative-models, diffusers): the 48 bits 0xB3EC907BB19E. generative-models writes on BGR,
    diffusers hands the encoder RGB as if it were BGR, so both channel orders are tried.

Scored by how many decoded bits agree with the message, at two levels chosen from measured
distributions (bench/results/detection_eval.json, "watermark_margin": 1,237 unmarked human images, 40
images per mark through the reference encoder):

  mark  bits  unmarked max   hit (hold)  chance*   likely (review)  chance*   marked ≥ hit
  sd1   136   81             100         1.9e-8    89               2.0e-4    36 of 40
  sd2    32   24              28         9.7e-6    26               2.7e-4    35 of 40
  sdxl   48   33              38         3.1e-5    35               1.0e-3    36 of 40

  * the chance that an unmarked image's coin-flip bits reach it (binomial tail); SDXL is decoded in
    both channel orders, so twice that per image. Unmarked images do not decode to coin flips: most
    give near-constant bits (SD 1.x 68 of 136, SD 2.x 13 or 19 of 32, SDXL 21 or 27 of 48), with the
    tail above.

A "hit" labels the work (held); "likely" only queues it for a moderator, visible (Stability's own
detector calls 34–35 of 48 "likely"). The marked files below both levels are flat, saturated colours
where the encoder's uint8 clipping erased the mark: no threshold can catch them without catching
unmarked work too.

The package decodes in a Python loop over every block (0.75 s per decode at 12 MP, four decodes
needed); this module computes the same per-block bits with numpy once per channel order and folds
them into each message length. `tests/detection/test_watermark.py` checks it agrees bit for bit with
`imwatermark.WatermarkDecoder`. Importing `imwatermark` would also import torch (its RivaGAN module).

The mark is tied to the pixel grid and the image width, so the image is never resized for decoding:
work is bounded by decoding a few full-width bands, each block keeping its bit index.
"""

from dataclasses import dataclass

import numpy as np
from PIL import Image

from atelier.protection.detection.pixels import rgb8
from atelier.protection.detection.provenance import Finding

SCALE = 36  # EmbedMaxDct's default scale for the U channel; Y is not marked
BLOCK = 4
MIN_PIXELS = 256 * 256  # the encoder refuses smaller images, so they cannot carry a mark
MAX_WHOLE_PIXELS = 1024 * 1024  # SDXL's native size and below: decoded whole, every vote counts
MAX_DECODED_PIXELS = 512 * 1024  # larger images: ≥ 8,000 blocks, 60+ votes per bit of the longest message


def _bits(message: bytes) -> np.ndarray:
    return np.unpackbits(np.frombuffer(message, dtype=np.uint8))


@dataclass(frozen=True)
class Mark:
    key: str
    generator: str
    bits: np.ndarray
    hit_bits: int  # matching bits from which it is a hit: held
    likely_bits: int  # from which it is likely: queued for review, visible
    orders: tuple[str, ...]


MARKS = (
    Mark("sd1", "Stable Diffusion 1.x", _bits(b"StableDiffusionV1"), 100, 89, ("bgr",)),
    Mark("sd2", "Stable Diffusion 2.x", _bits(b"SDV2"), 28, 26, ("bgr",)),
    Mark("sdxl", "SDXL", _bits(bytes.fromhex("B3EC907BB19E")), 38, 35, ("bgr", "rgb")),
)


def block_bits(bgr: np.ndarray) -> np.ndarray:
    """The bit each 4×4 block of the U channel's Haar approximation carries, in the encoder's order
    (EmbedMaxDct.infer_dct_matrix: the largest-magnitude coefficient after the first, modulo 36)."""
    import cv2
    import pywt

    rows, cols = bgr.shape[:2]
    yuv = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV)
    u = np.ascontiguousarray(yuv[: rows // 4 * 4, : cols // 4 * 4, 1], dtype=np.float64)
    # dwt2's approximation band alone (the same two passes, rows then columns): half the work.
    approx = pywt.dwt(pywt.dwt(u, "haar", axis=0)[0], "haar", axis=1)[0]
    brows, bcols = approx.shape[0] // BLOCK, approx.shape[1] // BLOCK
    blocks = approx[: brows * BLOCK, : bcols * BLOCK].reshape(brows, BLOCK, bcols, BLOCK).swapaxes(1, 2)
    rest = np.abs(blocks.reshape(brows * bcols, BLOCK * BLOCK)[:, 1:])
    values = rest[np.arange(rest.shape[0]), rest.argmax(axis=1)]
    return (values % SCALE) > 0.5 * SCALE


def decode(bits_per_block: np.ndarray, length: int, index: np.ndarray | None = None) -> np.ndarray:
    """The message of `length` bits: block n (its number in the whole image, `index`) votes for bit
    n mod length, and each bit is the rounded average of its votes, as the package's decoder does."""
    index = (np.arange(bits_per_block.size) if index is None else index) % length
    ones = np.bincount(index, weights=bits_per_block, minlength=length)
    votes = np.bincount(index, minlength=length)
    with np.errstate(invalid="ignore", divide="ignore"):
        return ones / votes * 255 > 127


def bands(width: int, height: int) -> list[tuple[int, int]]:
    """(top, rows) of the full-width bands decoded: the whole image up to SDXL's 1024×1024, else
    four bands spread down it (a top band alone is often sky or a black border, where the encoder's
    clipping leaves no mark). Tops and heights are multiples of 8 px, one block row, so every block
    keeps its place in the grid."""
    if width * height <= MAX_WHOLE_PIXELS:
        return [(0, height)]
    rows = max(8, MAX_DECODED_PIXELS // width // 4 // 8 * 8)
    last = max(0, (height - rows) // 8 * 8)
    return sorted({(round(last * step / 3) // 8 * 8, rows) for step in range(4)})


def read_watermarks(image: Image.Image) -> Finding:
    """Stable Diffusion 1.x / 2.x / SDXL dwtDct marks; any decoder failure is this signal's error."""
    try:
        width, height = image.size
        if width * height < MIN_PIXELS:
            return Finding("watermark", "clear", {"skipped": "smaller than 256×256 px: cannot carry the mark"})
        blocks_per_row = (width // 4 * 4) // 2 // BLOCK  # blocks across the whole image, as the encoder numbers them
        per_order = {"bgr": [], "rgb": []}
        indexes = []
        for top, rows in bands(width, height):
            band = rgb8(image.crop((0, top, width, top + rows)) if rows < height else image)
            rgb = np.asarray(band, dtype=np.uint8)
            bits = block_bits(np.ascontiguousarray(rgb[:, :, ::-1]))
            per_order["bgr"].append(bits)
            per_order["rgb"].append(block_bits(np.ascontiguousarray(rgb)))
            indexes.append(top // 8 * blocks_per_row + np.arange(bits.size))
        index = np.concatenate(indexes)
        scores = []
        for mark in MARKS:
            for order in mark.orders:
                decoded = decode(np.concatenate(per_order[order]), mark.bits.size, index)
                matched = int(np.sum(decoded == mark.bits))
                scores.append({"mark": mark.key, "generator": mark.generator, "order": order, "matched": matched,
                               "bits": int(mark.bits.size), "hit_bits": mark.hit_bits,
                               "likely_bits": mark.likely_bits})  # fmt: skip
    except Exception as error:
        return Finding("watermark", "error", {"error": f"{type(error).__name__}: {str(error)[:300]}"})
    # Ranked by standard deviations above chance, so a 32-bit SD 2.x mark is not named as SD 1.x when its
    # repeats also half-agree with the 136-bit message (the two periods share a factor of 8).
    best = max(scores, key=lambda score: (score["matched"] - score["bits"] / 2) / (score["bits"] / 4) ** 0.5)
    detail = {"best": best, "scores": scores, "decoded_rows": int(index.size // max(blocks_per_row, 1) * 8)}
    if best["matched"] >= best["hit_bits"]:
        return Finding("watermark", "hit", {**detail, "generator": best["generator"]})
    likely = [score for score in scores if score["matched"] >= score["likely_bits"]]
    if likely:
        return Finding("watermark", "clear", {**detail, "likely": True, "generator": likely[0]["generator"]})
    return Finding("watermark", "clear", detail)
