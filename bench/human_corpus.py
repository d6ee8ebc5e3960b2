"""A corpus of 1,000+ human images for the classifier's hold rate (bench/detection_eval.py).

Made here, deterministically, from what packages ship and from code:
- photographs, scans and microscopy: scikit-image's sample images, as crops at several sizes and
  positions, some re-saved as JPEG (people re-save their work too);
- flat illustration: the country flags django-countries ships, enlarged, and shapes drawn in code;
- pixel art: symmetric sprites on a grid, enlarged without smoothing;
- screenshots: windows, buttons and text set in Pillow's built-in font;
- renders: ray-cast shaded spheres over a patterned floor, each with its own camera, floor, sky and
  light (numpy);
- scans of text pages: set text with paper grain and a slight skew;
- charts: bar and line charts drawn in code.

Crops of one photograph are not independent of each other: the report says how many sources there are.
"""

import importlib.util
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from bench.detection_fixtures import samples_folder

PHOTOS = (
    "astronaut.png", "brick.png", "camera.png", "cell.png", "chelsea.png", "clock_motion.png", "coffee.png",
    "coins.png", "color.png", "grass.png", "gravel.png", "hubble_deep_field.jpg", "ihc.png", "moon.png",
    "motorcycle_left.png", "motorcycle_right.png", "page.png", "phantom.png", "retina.jpg", "rocket.jpg", "text.png",
    "microaneurysms.png", "horse.png",
)  # fmt: skip
CROPS_PER_PHOTO = 12
RENDER_SCENES = 0x52454E44  # a render's own generator: seeded by (corpus seed, this, its index)
KINDS = ("photo", "flag", "flat", "pixel", "screenshot", "render", "scan", "chart")


def _photo_crops(rng) -> Iterator[tuple[str, Image.Image]]:
    for name in PHOTOS:
        with Image.open(samples_folder() / name) as source:
            source = source.convert("RGB")
        for index in range(CROPS_PER_PHOTO):
            scale = rng.uniform(0.35, 1.0)
            width, height = max(32, int(source.width * scale)), max(32, int(source.height * scale))
            left = int(rng.integers(0, source.width - width + 1))
            top = int(rng.integers(0, source.height - height + 1))
            crop = source.crop((left, top, left + width, top + height))
            long_side = int(rng.integers(384, 1400))
            factor = long_side / max(crop.size)
            crop = crop.resize((max(1, round(crop.width * factor)), max(1, round(crop.height * factor))), Image.LANCZOS)
            if index % 3 == 0:
                buffer = io.BytesIO()
                crop.save(buffer, "JPEG", quality=int(rng.integers(70, 95)))
                crop = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
            yield f"photo-{Path(name).stem}-{index}", crop


def _flags() -> Iterator[tuple[str, Image.Image]]:
    spec = importlib.util.find_spec("django_countries")
    folder = Path(next(iter(spec.submodule_search_locations))) / "static" / "flags"
    for path in sorted(folder.glob("*.gif")):
        if path.stem.startswith("_"):
            continue
        with Image.open(path) as flag:
            flag = flag.convert("RGB")
        yield f"flag-{path.stem}", flag.resize((flag.width * 24, flag.height * 24), Image.BICUBIC)


def _palette(rng, count: int) -> list[tuple[int, int, int]]:
    return [tuple(int(v) for v in rng.integers(0, 256, 3)) for _ in range(count)]


def _flat(rng, index: int) -> Image.Image:
    size = (int(rng.integers(480, 1100)), int(rng.integers(480, 1100)))
    colours = _palette(rng, 6)
    image = Image.new("RGB", size, colours[0])
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(5, 30))):
        box = sorted(rng.integers(0, size[0], 2).tolist()) + sorted(rng.integers(0, size[1], 2).tolist())
        x0, x1, y0, y1 = box
        colour = colours[int(rng.integers(1, len(colours)))]
        shape = index % 3 if rng.random() < 0.5 else int(rng.integers(0, 3))
        if shape == 0:
            draw.ellipse((x0, y0, x1 + 1, y1 + 1), fill=colour, outline=(20, 20, 20), width=int(rng.integers(0, 6)))
        elif shape == 1:
            points = [tuple(int(v) for v in (rng.integers(0, size[0]), rng.integers(0, size[1]))) for _ in range(5)]
            draw.polygon(points, fill=colour)
        else:
            draw.rounded_rectangle((x0, y0, x1 + 1, y1 + 1), radius=int(rng.integers(0, 40)), fill=colour)
    return image


def _pixel(rng) -> Image.Image:
    cells = int(rng.integers(12, 40))
    colours = np.array(_palette(rng, 5), dtype=np.uint8)
    half = rng.integers(0, len(colours), (cells, (cells + 1) // 2))
    grid = np.concatenate([half, half[:, ::-1][:, cells % 2 :]], axis=1)
    sprite = Image.fromarray(colours[grid])
    scale = max(1, 640 // cells)
    return sprite.resize((cells * scale, cells * scale), Image.NEAREST)


def _screenshot(rng) -> Image.Image:
    size = (int(rng.integers(800, 1600)), int(rng.integers(500, 1000)))
    background, bar, accent = _palette(rng, 3)
    light = rng.random() < 0.6
    image = Image.new("RGB", size, (246, 246, 248) if light else (32, 33, 36))
    draw = ImageDraw.Draw(image)
    text = (30, 30, 30) if light else (230, 230, 230)
    draw.rectangle((0, 0, size[0], 36), fill=bar)
    font = ImageFont.load_default(size=int(rng.integers(12, 22)))
    y = 60
    words = ("Settings", "Profile", "Upload", "Gallery", "Followers", "Save changes", "Notifications", "Privacy")
    while y < size[1] - 40:
        line = " ".join(words[int(i)] for i in rng.integers(0, len(words), int(rng.integers(2, 8))))
        draw.text((int(rng.integers(20, 80)), y), line, fill=text, font=font)
        if rng.random() < 0.2:
            draw.rounded_rectangle((size[0] - 220, y - 4, size[0] - 40, y + 28), radius=8, fill=accent)
        y += int(rng.integers(26, 48))
    draw.rectangle((0, 36, 180, size[1]), outline=background, width=2)
    return image


def _render(rng, scene) -> Image.Image:
    """Spheres on a patterned floor under a sky, ray-cast. `rng` draws the size and the spheres (the
    same draws, in the same order, as every corpus so far: the kinds after renders stay the same);
    `scene`, the render's own generator, sets the camera, the floor, the sky and the light, so no two
    renders share one backdrop, as two artists' renders would not."""
    width, height = int(rng.integers(512, 1000)), int(rng.integers(384, 800))
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    rays = np.stack([(xs - width / 2) / height, (ys - height / 2) / height, np.ones_like(xs)], axis=-1)
    rays /= np.linalg.norm(rays, axis=-1, keepdims=True)
    yaw = scene.uniform(-np.pi, np.pi)
    turn = _camera_turn(scene.uniform(-0.15, 0.35), yaw)
    direction = rays @ turn.T
    camera_height, tile = scene.uniform(0.8, 3.0), scene.uniform(0.4, 2.5)
    image = np.zeros((height, width, 3), dtype=np.float32)
    depth = np.full((height, width), np.inf, dtype=np.float32)
    down = direction[..., 1]
    floor_t = np.where(down > 1e-3, camera_height / np.maximum(down, 1e-3), np.inf)
    hit = floor_t < np.inf
    with np.errstate(invalid="ignore"):
        pattern = _floor_pattern(scene, direction[..., 0] * floor_t / tile, direction[..., 2] * floor_t / tile)
    dark, bright = scene.uniform(0.05, 0.5, 3), scene.uniform(0.5, 1.0, 3)
    image[hit] = dark + pattern[hit][:, None] * (bright - dark)
    depth[hit] = floor_t[hit]
    light = np.array([scene.uniform(-1, 1), -scene.uniform(0.3, 1.0), scene.uniform(-1, 1)], dtype=np.float32)
    light /= np.linalg.norm(light)
    for _ in range(int(rng.integers(1, 5))):
        centre = np.array([rng.uniform(-1.5, 1.5), rng.uniform(-0.2, 1.0), rng.uniform(4, 8)], dtype=np.float32)
        radius, colour = rng.uniform(0.4, 1.2), np.array(rng.uniform(0.2, 1.0, 3), dtype=np.float32)
        # Where the level camera saw it before (floor 1.5 below), turned and scaled with this camera.
        centre, radius = _camera_turn(0.0, yaw) @ centre * (camera_height / 1.5), radius * camera_height / 1.5
        b = direction @ centre
        disc = b * b - (centre @ centre - radius * radius)
        t = b - np.sqrt(np.maximum(disc, 0))
        mask = (disc > 0) & (t < depth)
        normal = direction[mask] * t[mask, None] - centre
        normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
        lambert = np.clip(-(normal @ light), 0, 1)[:, None]
        image[mask] = colour * (0.25 + 0.75 * lambert) + 0.4 * lambert**20
        depth[mask] = t[mask]
    sky = ~np.isfinite(depth)
    horizon, zenith = scene.uniform(0.4, 1.0, 3), scene.uniform(0.0, 0.8, 3)
    up = np.clip(-direction[sky, 1], 0, 1)[:, None] ** scene.uniform(0.4, 1.2)
    image[sky] = horizon + up * (zenith - horizon)
    return Image.fromarray((np.clip(image, 0, 1) * 255).astype(np.uint8))


def _camera_turn(pitch: float, yaw: float) -> np.ndarray:
    """Camera to world: tilted down by `pitch`, then turned by `yaw` about the vertical."""
    cp, sp, cy, sy = np.cos(pitch), np.sin(pitch), np.cos(yaw), np.sin(yaw)
    tilt = np.array([[1, 0, 0], [0, cp, sp], [0, -sp, cp]], dtype=np.float32)
    turn = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]], dtype=np.float32)
    return turn @ tilt


def _floor_pattern(scene, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """0..1 over the floor: checks, stripes, rings or a grid of lines, one chosen per render."""
    kind = int(scene.integers(0, 4))
    if kind == 0:
        return ((np.floor(u) + np.floor(v)) % 2).astype(np.float32)
    if kind == 1:
        return (np.floor(u + 0.5 * v) % 2).astype(np.float32)
    if kind == 2:
        return (np.floor(np.hypot(u - scene.uniform(-5, 5), v - scene.uniform(2, 12))) % 2).astype(np.float32)
    width = scene.uniform(0.05, 0.2)
    return ((np.abs(u - np.round(u)) < width) | (np.abs(v - np.round(v)) < width)).astype(np.float32)


def _scan(rng) -> Image.Image:
    size = (int(rng.integers(700, 1100)), int(rng.integers(900, 1400)))
    paper = Image.new("L", size, int(rng.integers(225, 250)))
    draw = ImageDraw.Draw(paper)
    font = ImageFont.load_default(size=int(rng.integers(14, 24)))
    words = ("the", "of", "and", "to", "in", "is", "that", "it", "was", "for", "on", "are", "as", "with", "his")
    y = 60
    while y < size[1] - 60:
        draw.text((60, y), " ".join(words[int(i)] for i in rng.integers(0, len(words), 12)), fill=30, font=font)
        y += int(font.size * 1.6)
    grain = rng.normal(0, 6, (size[1], size[0]))
    page = Image.fromarray(np.clip(np.asarray(paper, dtype=np.float32) + grain, 0, 255).astype(np.uint8))
    return page.rotate(float(rng.uniform(-2, 2)), fillcolor=235).filter(ImageFilter.GaussianBlur(0.6)).convert("RGB")


def sparse_chart(rng) -> Image.Image:
    """Four to thirteen bars or dots of one colour on one pair of axes (tests/theft draws its look-alike charts so)."""
    size = (int(rng.integers(600, 1000)), int(rng.integers(400, 700)))
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.line((60, size[1] - 50, size[0] - 30, size[1] - 50), fill=(0, 0, 0), width=2)
    draw.line((60, 30, 60, size[1] - 50), fill=(0, 0, 0), width=2)
    values = rng.uniform(0.1, 1.0, int(rng.integers(4, 14)))
    step = (size[0] - 120) / len(values)
    colour = _palette(rng, 1)[0]
    for index, value in enumerate(values):
        x = 70 + index * step
        top = size[1] - 50 - value * (size[1] - 100)
        if rng.random() < 0.5:
            draw.rectangle((x, top, x + step * 0.7, size[1] - 51), fill=colour)
        else:
            draw.ellipse((x - 4, top - 4, x + 4, top + 4), fill=colour)
    return image


def human_images(seed: int = 0) -> Iterator[tuple[str, str, Image.Image]]:
    """(kind, name, image) for every image of the corpus, always the same for one seed."""
    rng = np.random.default_rng(seed)
    for name, image in _photo_crops(rng):
        yield "photo", name, image
    for name, image in _flags():
        yield "flag", name, image
    for index in range(200):
        yield "flat", f"flat-{index}", _flat(rng, index)
    for index in range(150):
        yield "pixel", f"pixel-{index}", _pixel(rng)
    for index in range(120):
        yield "screenshot", f"screenshot-{index}", _screenshot(rng)
    for index in range(120):
        yield "render", f"render-{index}", _render(rng, np.random.default_rng((seed, RENDER_SCENES, index)))
    for index in range(60):
        yield "scan", f"scan-{index}", _scan(rng)
    for index in range(60):
        yield "chart", f"chart-{index}", sparse_chart(rng)
