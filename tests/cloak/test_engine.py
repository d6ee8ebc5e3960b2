"""The style cloak on real images and the real shipped encoders, with fewer steps than production.

A reduced bench/cloak_eval.py: visibility limits, progress towards the style target clearly above a
random-noise control with the same L∞ budget, determinism, transparency, refusals and tiling.
"""

import dataclasses
import io

import numpy as np
import pytest
from PIL import Image
from skimage import data

# The cloak is optional (requirements/cloak.lock): on an instance without torch these tests have nothing to run.
pytest.importorskip("torch")

from atelier.protection.cloak import evaluation
from atelier.protection.cloak.attack import STRENGTHS
from atelier.protection.cloak.engine import CloakRefused, cloak_image
from atelier.protection.cloak.style_targets import choose_style, render_style
from atelier.protection.cloak.tiling import TILE, layout

# The engine needs no database, but tests/conftest.py reads one table at session start, and pytest-django
# migrates the test database only when some collected test asks for it (as when this file runs alone).
pytestmark = pytest.mark.django_db

# Default budgets, half the steps: enough to show the effect at a fraction of the cost.
QUICK = dataclasses.replace(STRENGTHS["default"], name="quick", steps=80)
ONE_STEP = dataclasses.replace(STRENGTHS["default"], name="one-step", steps=1)
STYLE = 17  # a fixed target keeps the tests independent of the style chooser's ranking


def _sample(name: str, size: tuple[int, int]) -> Image.Image:
    image = Image.fromarray(getattr(data, name)()).convert("RGB")
    return image.resize(size, Image.Resampling.LANCZOS)


@pytest.fixture(scope="module")
def cloaked_samples():
    samples = [_sample("astronaut", (176, 176)), _sample("coffee", (192, 128))]
    return [(image, cloak_image(image, strength=QUICK, seed=3, style=STYLE)) for image in samples]


def test_cloak_stays_within_the_visibility_budget(cloaked_samples):
    for image, result in cloaked_samples:
        changes = np.abs(np.asarray(result.image, dtype=np.int16) - np.asarray(image, dtype=np.int16))
        assert result.image.size == image.size
        assert int(changes.max()) == result.max_change <= 8
        assert result.psnr >= 34.0
        assert result.ssim >= 0.95


def test_cloak_moves_mobilenet_towards_the_style_target_far_more_than_noise(cloaked_samples):
    embed = evaluation.mobilenet_embedding
    for image, result in cloaked_samples:
        original, target = embed(image), embed(render_style(image, STYLE))
        cloak_progress = evaluation.mobilenet_progress(original, embed(result.image), target)
        noise_progress = evaluation.mobilenet_progress(original, embed(evaluation.noise_control(image, 8)), target)
        assert cloak_progress >= 0.15
        assert cloak_progress >= 3 * max(noise_progress, 0.02)


def test_same_seed_gives_the_same_cloak_and_another_seed_does_not():
    image = _sample("chelsea", (96, 72))
    short = dataclasses.replace(QUICK, steps=6)
    first = cloak_image(image, strength=short, seed=7, style=STYLE)
    again = cloak_image(image, strength=short, seed=7, style=STYLE)
    other = cloak_image(image, strength=short, seed=8, style=STYLE)
    assert first.image.tobytes() == again.image.tobytes()
    assert first.image.tobytes() != other.image.tobytes()


def test_alpha_channel_is_carried_over_unchanged():
    rgb = _sample("rocket", (96, 80))
    alpha = Image.linear_gradient("L").resize(rgb.size)
    image = rgb.copy()
    image.putalpha(alpha)
    result = cloak_image(image, strength=dataclasses.replace(QUICK, steps=4), style=STYLE)
    assert result.image.mode == "RGBA"
    assert result.image.getchannel("A").tobytes() == alpha.tobytes()


def test_lower_caps_are_respected_exactly():
    image = _sample("coffee", (96, 64))
    tight = dataclasses.replace(QUICK, linf=3 / 255, psnr_floor=0.0, ssim_floor=0.0, steps=8)
    result = cloak_image(image, strength=tight, style=STYLE)
    assert result.max_change == 3


def test_tiny_image_is_refused_in_plain_words():
    with pytest.raises(CloakRefused, match="too small"):
        cloak_image(Image.new("RGB", (63, 400), "white"))


def test_animated_gif_is_refused():
    frames = [Image.new("RGB", (120, 120), colour) for colour in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    buffer.seek(0)
    with pytest.raises(CloakRefused, match="Animated"):
        cloak_image(Image.open(buffer))


def test_unknown_strength_is_an_error():
    with pytest.raises(ValueError, match="unknown strength"):
        cloak_image(_sample("coffee", (96, 64)), strength="extreme")


def test_large_image_is_cloaked_tile_by_tile_with_progress():
    image = _sample("coffee", (1100, 600))
    reported = []
    result = cloak_image(image, strength=ONE_STEP, style=STYLE, progress=reported.append)
    assert result.tiles == len(layout(1100, 600)) == 6
    assert result.image.size == image.size
    assert result.max_change <= 8
    assert reported == sorted(reported) and reported[-1] == pytest.approx(1.0)
    assert len(reported) == result.tiles * ONE_STEP.steps


def test_tiles_cover_the_image_within_the_tile_size():
    for width, height in ((64, 64), (512, 512), (513, 700), (4000, 3000)):
        covered = np.zeros((height, width), dtype=bool)
        tiles = layout(width, height)
        for tile in tiles:
            assert tile.width <= TILE and tile.height <= TILE
            covered[tile.top : tile.top + tile.height, tile.left : tile.left + tile.width] = True
        assert covered.all()
        assert len(tiles) <= (width // (TILE - 64) + 1) * (height // (TILE - 64) + 1)


def test_the_chosen_style_is_far_from_the_image():
    from atelier.protection.cloak.style_targets import style_distances

    image = _sample("astronaut", (128, 128))
    distances = style_distances(image)
    assert distances[choose_style(image)] == max(distances)
