"""Abstract, painterly pictures for the demo accounts, drawn in code with Pillow.

`seed_demo` needs avatars and banners that look chosen by an artist, with no network and no image
files in the repository. Everything random comes from a `random.Random` seeded with the handle, so
every run draws the same files; soft layers are drawn small and scaled up, which keeps it fast.
"""

import colorsys
import io
import math
import random

from PIL import Image, ImageChops, ImageDraw, ImageFilter

AVATAR_SIZE = (800, 800)
BANNER_SIZE = (2400, 800)

Colour = tuple[int, int, int]
# Hue offsets of a few classic harmonies: analogous, complementary, triadic, split-complementary.
_HARMONIES = ((0.0, 0.06, -0.06, 0.12), (0.0, 0.04, 0.5, 0.46), (0.0, 0.33, 0.67, 0.05), (0.0, 0.42, 0.58, -0.05))
_STEPS = 90  # points along a stroke; fewer leaves scalloped edges on wide strokes


def avatar_png(seed: str) -> bytes:
    """A square picture for `seed` (the handle)."""
    return _png(artwork(seed, AVATAR_SIZE))


def banner_png(seed: str) -> bytes:
    """A 3:1 picture for `seed`, in the same colours as its avatar so a profile looks of a piece."""
    return _png(artwork(seed, BANNER_SIZE))


def artwork(seed: str, size: tuple[int, int]) -> Image.Image:
    """Gradient ground, soft light, one main motif, brush strokes on top, then a little grain."""
    colours = palette(random.Random(seed))
    rng = random.Random(f"{seed}/{size[0]}x{size[1]}")
    image = _gradient(size, colours, rng)
    image = _glows(image, colours, rng)
    image = rng.choice((_ridges, _shards, _orbs))(image, colours, rng)
    image = _strokes(image, colours, rng, count=rng.randint(3, 7))
    return _grain(image, rng)


def palette(rng: random.Random) -> list[Colour]:
    """Two ground colours and four paint colours from one harmony, so a picture looks composed, not noisy."""
    hue, dark = rng.random(), rng.random() < 0.55
    offsets = rng.choice(_HARMONIES)
    ground_light = (0.14, 0.24) if dark else (0.82, 0.68)
    ground = [_hls(hue + offsets[i], ground_light[i], rng.uniform(0.3, 0.6)) for i in range(2)]
    paints = [_hls(hue + offset, rng.uniform(0.45, 0.72), rng.uniform(0.5, 0.9)) for offset in offsets]
    return ground + paints


def _hls(hue: float, lightness: float, saturation: float) -> Colour:
    red, green, blue = colorsys.hls_to_rgb(hue % 1.0, lightness, saturation)
    return round(red * 255), round(green * 255), round(blue * 255)


def _paint(colours: list[Colour], rng: random.Random) -> Colour:
    return rng.choice(colours[2:])


def _gradient(size: tuple[int, int], colours: list[Colour], rng: random.Random) -> Image.Image:
    """A 3×3 grid of ground colours scaled up bicubically: a smooth, uneven wash in one resize."""
    grid = Image.new("RGB", (3, 3))
    grid.putdata([_mix(colours[0], colours[1], rng.random()) for _ in range(9)])
    return grid.resize(size, Image.Resampling.BICUBIC)


def _mix(first: Colour, second: Colour, amount: float) -> Colour:
    return tuple(round(a + (b - a) * amount) for a, b in zip(first, second, strict=True))


def _glows(image: Image.Image, colours: list[Colour], rng: random.Random) -> Image.Image:
    """Large blurred discs drawn at 1/8 scale: a blur at full size would cost a hundred times more."""
    small = Image.new("RGBA", (image.width // 8, image.height // 8), (0, 0, 0, 0))
    draw = ImageDraw.Draw(small)
    for _ in range(rng.randint(2, 4)):
        x, y = rng.uniform(0, small.width), rng.uniform(0, small.height)
        radius = rng.uniform(0.15, 0.45) * small.height
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(*_paint(colours, rng), 110))
    small = small.filter(ImageFilter.GaussianBlur(small.height / 12))
    return Image.alpha_composite(image.convert("RGBA"), small.resize(image.size, Image.Resampling.BICUBIC))


def _ridges(image: Image.Image, colours: list[Colour], rng: random.Random) -> Image.Image:
    """Layered hills of summed sines, nearer ones sinking into the ground colour: reads as a landscape."""
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    width, height = image.size
    bands = rng.randint(3, 5)
    for band in range(bands):
        base = height * (0.45 + 0.45 * band / bands)
        waves = [(rng.uniform(0.5, 3.0), rng.uniform(0, math.tau), rng.uniform(0.03, 0.09)) for _ in range(3)]
        points = [
            (x, base - height * sum(amp * math.sin(freq * math.tau * x / width + phase) for freq, phase, amp in waves))
            for x in range(0, width + 40, 40)
        ]
        colour = _mix(_paint(colours, rng), colours[0], 0.25 + 0.5 * band / bands)
        draw.polygon([*points, (width, height), (0, height)], fill=(*colour, 235))
    return Image.alpha_composite(image, layer)


def _shards(image: Image.Image, colours: list[Colour], rng: random.Random) -> Image.Image:
    """Translucent overlapping triangles and quads, like torn coloured paper."""
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for _ in range(rng.randint(6, 12)):
        cx, cy = rng.uniform(0, image.width), rng.uniform(0, image.height)
        radius = rng.uniform(0.2, 0.6) * image.height
        start = rng.uniform(0, math.tau)
        corners = sorted(start + rng.uniform(0, math.tau) for _ in range(rng.choice((3, 4))))
        polygon = [(cx + radius * math.cos(a), cy + radius * math.sin(a)) for a in corners]
        draw.polygon(polygon, fill=(*_paint(colours, rng), rng.randint(70, 150)))
    return Image.alpha_composite(image, layer)


def _orbs(image: Image.Image, colours: list[Colour], rng: random.Random) -> Image.Image:
    """Concentric rings and solid circles: the planets-and-moons look of a lot of poster art."""
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for _ in range(rng.randint(3, 6)):
        cx, cy = rng.uniform(0, image.width), rng.uniform(0.1, 0.9) * image.height
        radius = rng.uniform(0.08, 0.35) * image.height
        colour = _paint(colours, rng)
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=(*colour, rng.randint(140, 220)))
        for ring in range(1, rng.randint(2, 4)):
            r = radius * (1 + 0.25 * ring)
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(*colour, 90), width=max(2, image.height // 200))
    return Image.alpha_composite(image, layer)


def _strokes(image: Image.Image, colours: list[Colour], rng: random.Random, *, count: int) -> Image.Image:
    """Tapered Bézier strokes with bristle lines along them, so they read as paint rather than vectors."""
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    scale = image.height
    for _ in range(count):
        controls = [(rng.uniform(-0.1, 1.1) * image.width, rng.uniform(0, 1) * image.height)]
        heading, step = rng.uniform(0, math.tau), rng.uniform(0.4, 1.0) * scale / 3
        for _ in range(3):  # a wandering heading bends the stroke like a wrist would
            heading += rng.uniform(-0.9, 0.9)
            controls.append((controls[-1][0] + math.cos(heading) * step, controls[-1][1] + math.sin(heading) * step))
        path = [_bezier(controls, i / _STEPS) for i in range(_STEPS + 1)]
        width, colour = rng.uniform(0.03, 0.1) * scale, _paint(colours, rng)
        for i, (x, y) in enumerate(path):
            r = width / 2 * math.sin(math.pi * i / _STEPS) ** 0.5
            draw.ellipse((x - r, y - r, x + r, y + r), fill=(*colour, 200))
        for _bristle in range(12):
            offset, shade = rng.uniform(-0.45, 0.45), rng.uniform(-0.35, 0.35)
            tone = _mix(colour, (255, 255, 255) if shade > 0 else (0, 0, 0), abs(shade))
            draw.line(_offset(path, offset * width), fill=(*tone, 150), width=max(1, round(width / 14)))
    return Image.alpha_composite(image, layer)


def _bezier(points: list[tuple[float, float]], t: float) -> tuple[float, float]:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    a, b, c, d = (1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t**3
    return a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3


def _offset(path: list[tuple[float, float]], distance: float) -> list[tuple[float, float]]:
    """The path moved sideways (along its normal), tapering to the stroke's ends like the stroke itself."""
    moved = []
    for i, (x, y) in enumerate(path):
        (ax, ay), (bx, by) = path[max(i - 1, 0)], path[min(i + 1, len(path) - 1)]
        length = math.hypot(bx - ax, by - ay) or 1.0
        taper = math.sin(math.pi * i / (len(path) - 1)) ** 0.5
        moved.append((x - (by - ay) / length * distance * taper, y + (bx - ax) / length * distance * taper))
    return moved


def _grain(image: Image.Image, rng: random.Random) -> Image.Image:
    """A faint paper grain, so flat areas do not look digital and gradients do not band.

    Drawn from `rng`: `Image.effect_noise` is not seeded and would change the file on every run.
    """
    size = (image.width // 2, image.height // 2)
    noise = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
    noise = noise.resize(image.size, Image.Resampling.BILINEAR).convert("RGB")
    rgb = image.convert("RGB")
    return Image.blend(rgb, ImageChops.overlay(rgb, noise), rng.uniform(0.05, 0.08))


def _png(image: Image.Image) -> bytes:
    """PNG at a low compression level: these files are read once, so speed beats size."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
