"""Pictures for the surge bench's artists: photographic JPEGs that are each a different work.

`bench.media_pipeline.photographic_jpeg` draws its noise with `Image.effect_noise`, which reads C's
`rand()`: never seeded, so every new process draws the same sequence. The surge starts a locust
process per phase (calibration, each step, the surge) and seeds in another, so the n-th upload of
one phase was pixel for pixel the n-th of another whenever the widths matched (1 in 4), and the
art-theft check rightly held those as reposts by a stranger (PDQ distance 0; the last run held 9).

Here each picture is drawn from its own generator, seeded from the operating system's entropy
(128 bits: no two processes or threads share a sequence), and everything that shapes it at the
scale PDQ sees (64×64) is random too: the gradients' direction and centre, the colours, a few
large soft shapes and the coarse noise. Two pictures then differ as two unrelated photos do (PDQ
distance near 128 of 256, far above the theft check's match distance of 40), not only in grain.
The file still compresses like a photo (noise at several scales, 4:4:4 chroma, quality 90) and
costs about the same to decode as before.

Drawing one costs ~65 ms of CPU, and the load generator shares the box with the stack: drawn inside
the measured phases it was a fifth of locust's samples (py-spy over a step at 100 pages/s). A real
artist's picture is drawn on their own computer, so the surge draws a pool of them first
(`fill_pool`, into var/surge-pictures, kept between runs: each run has a fresh database, so no run
sees another's uploads) and every phase takes its own range of it (`pooled_picture`).
"""

import io
import json
import secrets
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SHAPES = 6
WIDTHS = (960, 1024, 1088, 1152)  # the artists' pictures: one of these wide, HEIGHT high
HEIGHT = 720


def distinct_picture(width: int, height: int, *, seed: int | None = None) -> bytes:
    """A photographic JPEG unlike any other this function draws (`seed`: only for a reproducible
    file in a test; by default 128 fresh bits from the OS)."""
    rng = np.random.default_rng(secrets.randbits(128) if seed is None else seed)
    image = Image.blend(_noise_layers(rng, width, height), _gradients(rng, width, height), 0.5)
    image = Image.blend(image, _shapes(rng, width, height), 0.35)
    grain = rng.standard_normal((height, width), dtype=np.float32) * 18 + 128
    grain = Image.fromarray(grain.clip(0, 255).astype(np.uint8)).convert("RGB")
    image = Image.blend(image, grain, 0.12)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, subsampling=0)
    return buffer.getvalue()


def _noise_layers(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """One channel per scale (64, 16 and 4 px cells), smoothed up: detail at every scale."""
    layers = []
    for channel, scale in enumerate((64, 16, 4)):
        cells = (max(1, height // scale), max(1, width // scale))
        coarse = rng.normal(128, 50 + channel * 10, cells).clip(0, 255).astype(np.uint8)
        layers.append(Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC))
    return Image.merge("RGB", layers)


def _gradients(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """A linear gradient at a random angle, a radial one about a random centre and a random mix of
    the two per channel: the picture's light, which PDQ's low frequencies see first. Drawn at an
    eighth of the size and smoothed up (it has no detail to lose)."""
    full = (width, height)
    width, height = max(2, width // 8), max(2, height // 8)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    linear = xs * np.cos(angle) + ys * np.sin(angle)
    linear = (linear - linear.min()) / max(1e-6, float(np.ptp(linear)))
    cx, cy = rng.uniform(0, width), rng.uniform(0, height)
    radial = np.hypot(xs - cx, ys - cy)
    radial = radial / max(1e-6, float(radial.max()))
    mix = rng.uniform(-1, 1, (3, 2))
    channels = [(mix[c, 0] * linear + mix[c, 1] * radial) for c in range(3)]
    stacked = np.stack(channels, axis=-1)
    stacked = (stacked - stacked.min()) / max(1e-6, float(np.ptp(stacked)))
    return Image.fromarray((stacked * 255).astype(np.uint8), "RGB").resize(full, Image.Resampling.BILINEAR)


def _shapes(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """A few large soft ellipses and rectangles in random colours: a composition of its own."""
    image = Image.new("RGB", (width, height), tuple(int(v) for v in rng.integers(0, 256, 3)))
    draw = ImageDraw.Draw(image)
    for _ in range(SHAPES):
        x0, y0 = rng.uniform(-0.2, 0.9) * width, rng.uniform(-0.2, 0.9) * height
        x1, y1 = x0 + rng.uniform(0.15, 0.6) * width, y0 + rng.uniform(0.15, 0.6) * height
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x0, y0, x1, y1), fill=colour)
    return image.filter(ImageFilter.GaussianBlur(max(2, min(width, height) // 60)))


def pool_file(pool: Path, number: int) -> Path:
    return pool / f"{number:06d}.jpg"


def fill_pool(pool: Path, count: int, *, processes: int = 2) -> int:
    """Pictures 0 … count-1 in `pool`, drawing those missing (each as `distinct_picture` draws it, its
    width by its number); how many were drawn. Written under a temporary name first: a run stopped
    halfway leaves no half-written picture behind."""
    pool.mkdir(parents=True, exist_ok=True)
    missing = [n for n in range(count) if not pool_file(pool, n).exists()]
    if not missing:  # the usual case after the first run on a machine: no processes to start
        return 0
    with ProcessPoolExecutor(processes) as executor:
        for number, data in zip(missing, executor.map(_drawn, missing, chunksize=16), strict=True):
            part = pool_file(pool, number).with_suffix(".part")
            part.write_bytes(data)
            part.replace(pool_file(pool, number))
    return len(missing)


def pooled_picture(pool: Path, number: int) -> bytes | None:
    """Picture `number` of the pool, or None past its end (the caller draws one then)."""
    try:
        return pool_file(pool, number).read_bytes()
    except FileNotFoundError:
        return None


def phase_took(written: Path, *, uploads: int, artists: int) -> dict:
    """How many numbers of the pool a phase took: what its locust process wrote on quitting
    (bench/surge_locust.record_pictures_taken). Without that file (a process that died), every
    picture it uploaded and one more per artist, who may have taken one for an upload cut off at the
    end: the next phase must never take a number again (its upload would be held as a repost)."""
    if written.exists():
        return json.loads(written.read_text())
    return {"pooled": uploads + artists, "drawn": 0, "estimated": True}


def _drawn(number: int) -> bytes:
    return distinct_picture(WIDTHS[number % len(WIDTHS)], HEIGHT)
