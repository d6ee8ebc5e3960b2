"""Demo posts for the demo artists: generated artworks, a pixel-art GIF loop and a Sketchfab embed.

Every picture is drawn in code from a seed (see demo.art), so runs are repeatable and the
repository holds no image files. The posts go through the same services as the composer, and the
files through the real pipeline.
"""

import io
import math
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw

from atelier.demo import art as demo_art
from atelier.posts.models import Category, Medium


@dataclass(frozen=True)
class DemoPost:
    handle: str
    title: str
    medium: str
    category: str
    tags: list[str]
    # Sizes of the generated pictures, one item each.
    sizes: list[tuple[int, int]]
    # "gif" adds an animated GIF item first (so it becomes the cover); "sketchfab" adds a 3D embed.
    extras: tuple[str, ...] = ()


DEMO_POSTS = [
    DemoPost(
        handle="ines_ortega",
        title="The lighthouse cats",
        medium=Medium.DIGITAL_2D,
        category=Category.ILLUSTRATION,
        tags=["picturebook", "cats"],
        sizes=[(2400, 1800), (1800, 2400)],
    ),
    DemoPost(
        handle="ines_ortega",
        title="Market morning, cover study",
        medium=Medium.TRADITIONAL,
        category=Category.ILLUSTRATION,
        tags=["gouache", "editorial"],
        sizes=[(1800, 2400)],
    ),
    DemoPost(
        handle="kofi_mensah",
        title="Rain over Makola",
        medium=Medium.DIGITAL_2D,
        category=Category.ENVIRONMENT,
        tags=["environment", "city", "rain"],
        sizes=[(3200, 1800), (3200, 1800), (2400, 1350)],
    ),
    DemoPost(
        handle="kofi_mensah",
        title="Harbour keyframe",
        medium=Medium.DIGITAL_2D,
        category=Category.CONCEPT_ART,
        tags=["keyframe", "harbour"],
        sizes=[(3200, 1800)],
    ),
    DemoPost(
        handle="yuki_tanabe",
        title="Smoke and sparks, timing study",
        medium=Medium.ANIMATION,
        category=Category.VFX,
        tags=["animation", "effects"],
        sizes=[(1920, 1080)],
        extras=("gif",),
    ),
    DemoPost(
        handle="yuki_tanabe",
        title="Layout sketches",
        medium=Medium.DIGITAL_2D,
        category=Category.STORYBOARD,
        tags=["layout"],
        sizes=[(1920, 1080), (1920, 1080)],
    ),
    DemoPost(
        handle="lars_eriksen",
        title="Old ferryman, realtime character",
        medium=Medium.THREE_D,
        category=Category.CHARACTER_DESIGN,
        tags=["character", "realtime"],
        sizes=[(2000, 2000)],
        extras=("sketchfab",),
    ),
    DemoPost(
        handle="lars_eriksen",
        title="Leather and brass material tests",
        medium=Medium.THREE_D,
        category=Category.GAME_ART,
        tags=["materials", "texturing"],
        sizes=[(2400, 1600), (2400, 1600)],
    ),
    DemoPost(
        handle="priya_raman",
        title="Kitchen at noon",
        medium=Medium.TRADITIONAL,
        category=Category.FINE_ART,
        tags=["oil", "interior"],
        sizes=[(2000, 2600)],
    ),
    DemoPost(
        handle="priya_raman",
        title="Courtyard, evening",
        medium=Medium.TRADITIONAL,
        category=Category.FINE_ART,
        tags=["oil", "portrait"],
        sizes=[(2600, 2000)],
    ),
    DemoPost(
        handle="mateo_silva",
        title="La ciudad debajo, page 12",
        medium=Medium.DIGITAL_2D,
        category=Category.COMICS,
        tags=["comics", "noir"],
        sizes=[(1800, 2700), (1800, 2700)],
    ),
    DemoPost(
        handle="mateo_silva",
        title="Inks for a cover",
        medium=Medium.TRADITIONAL,
        category=Category.COMICS,
        tags=["inking"],
        sizes=[(1800, 2700)],
    ),
    DemoPost(
        handle="amara_okafor",
        title="Market guard, turnaround",
        medium=Medium.DIGITAL_2D,
        category=Category.CHARACTER_DESIGN,
        tags=["characterdesign", "turnaround"],
        sizes=[(3000, 1500), (1500, 1500)],
    ),
    DemoPost(
        handle="amara_okafor",
        title="Colour keys for a short",
        medium=Medium.DIGITAL_2D,
        category=Category.CONCEPT_ART,
        tags=["colourkeys", "visdev"],
        sizes=[(2400, 1350)],
    ),
    DemoPost(
        handle="chloe_martin",
        title="Looping cloth vignette",
        medium=Medium.ANIMATION,
        category=Category.VFX,
        tags=["motion", "loop"],
        sizes=[(1920, 1080)],
        extras=("gif",),
    ),
    DemoPost(
        handle="chloe_martin",
        title="Title card frames",
        medium=Medium.THREE_D,
        category=Category.UI,
        tags=["titles", "motion"],
        sizes=[(1920, 1080), (1920, 1080)],
    ),
    DemoPost(
        handle="jonas_weber",
        title="Harbour warehouse modular kit",
        medium=Medium.THREE_D,
        category=Category.ENVIRONMENT,
        tags=["unreal", "modular"],
        sizes=[(2560, 1440), (2560, 1440)],
        extras=("sketchfab",),
    ),
    DemoPost(
        handle="sofia_rossi",
        title="Po delta at dawn",
        medium=Medium.TRADITIONAL,
        category=Category.FINE_ART,
        tags=["watercolour", "pleinair"],
        sizes=[(2800, 2000)],
    ),
    DemoPost(
        handle="sofia_rossi",
        title="Apennine ridge studies",
        medium=Medium.TRADITIONAL,
        category=Category.FINE_ART,
        tags=["watercolour", "landscape"],
        sizes=[(2800, 2000), (2800, 2000)],
    ),
    DemoPost(
        handle="hana_kim",
        title="Night market, animated tile",
        medium=Medium.PIXEL,
        category=Category.GAME_ART,
        tags=["pixelart", "animation"],
        sizes=[(1280, 720)],
        extras=("gif",),
    ),
    DemoPost(
        handle="hana_kim",
        title="Forest tileset",
        medium=Medium.PIXEL,
        category=Category.GAME_ART,
        tags=["pixelart", "tileset"],
        sizes=[(1280, 720)],
    ),
    DemoPost(
        handle="diego_ramirez",
        title="Chase sequence boards",
        medium=Medium.DIGITAL_2D,
        category=Category.STORYBOARD,
        tags=["storyboard", "action"],
        sizes=[(1920, 1080), (1920, 1080), (1920, 1080)],
    ),
    DemoPost(
        handle="lanternfish_games",
        title="Tidewake: the keeper's island",
        medium=Medium.DIGITAL_2D,
        category=Category.GAME_ART,
        tags=["tidewake", "gamedev"],
        sizes=[(3200, 1800), (3200, 1800)],
    ),
]

# A real, public Sketchfab model id shape (32 hex); the embed loads only when a visitor clicks.
DEMO_SKETCHFAB_URL = "https://sketchfab.com/3d-models/demo-model-{}"


def artwork_jpeg(seed: str, size: tuple[int, int]) -> bytes:
    """A painterly picture as a camera-quality JPEG (what artists upload most)."""
    buffer = io.BytesIO()
    demo_art.artwork(seed, size).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def animated_gif(seed: str, size=(480, 270), frames: int = 24) -> bytes:
    """A small looping animation: lanterns drifting over a painted ground, in the seed's palette."""
    rng = random.Random(seed)
    colours = demo_art.palette(rng)
    ground = demo_art.artwork(seed, size).convert("RGB")
    lanterns = [(rng.uniform(0, size[0]), rng.uniform(0, size[1]), rng.uniform(6, 16)) for _ in range(9)]
    pictures = []
    for frame in range(frames):
        picture = ground.copy()
        draw = ImageDraw.Draw(picture)
        phase = 2 * math.pi * frame / frames
        for index, (x, y, radius) in enumerate(lanterns):
            dy = (y - frame * size[1] / frames) % size[1]
            dx = x + math.sin(phase + index) * 8
            colour = colours[2 + index % 4]
            draw.ellipse((dx - radius, dy - radius, dx + radius, dy + radius), fill=colour)
        pictures.append(picture.quantize(colors=64, method=Image.Quantize.MEDIANCUT))
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:], duration=70, loop=0)
    return buffer.getvalue()
