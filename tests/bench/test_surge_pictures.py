"""The surge's artists upload pictures that are each a different work (bench/surge_pictures.py): drawn
in separate processes, as the surge's locust phases draw them, no two land within the art-theft
check's match distance of each other (the old generator's n-th picture was the same in every process)."""

import io
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from atelier.protection.theft import fingerprints
from atelier.protection.theft.index import MATCH_DISTANCE

pytestmark = pytest.mark.backend_free  # neither database nor cache: runs once (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[2]
DRAW = """
import io, json, sys
sys.path.insert(0, {root!r})
from bench.surge_pictures import distinct_picture
print(json.dumps([distinct_picture(w, 720).hex() for w in (960, 1024, 1088, 1152, 1152, 960)]))
"""


def _drawn_in_a_fresh_process() -> list[bytes]:
    output = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", DRAW.format(root=str(ROOT))], check=True, capture_output=True, text=True
    ).stdout
    return [bytes.fromhex(value) for value in json.loads(output)]


def test_pictures_from_different_processes_are_different_works():
    pictures = _drawn_in_a_fresh_process() + _drawn_in_a_fresh_process()
    stored, queried = [], []
    for data in pictures:
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG" and image.height == 720
        stored.append([one.value for one in fingerprints.stored_hashes(image) if one.window < fingerprints.KEYPOINT])
        queried.append([one.value for one in fingerprints.query_hashes(image) if one.window < fingerprints.KEYPOINT])
    assert all(stored) and all(queried)  # detailed enough to be hashed at all
    for a, b in itertools.permutations(range(len(pictures)), 2):
        nearest = min(fingerprints.distance(q, s) for q in queried[a] for s in stored[b])
        assert nearest > MATCH_DISTANCE, (a, b, nearest)


def test_the_same_seed_draws_the_same_picture_and_another_a_different_one():
    from bench.surge_pictures import distinct_picture

    assert distinct_picture(320, 200, seed=7) == distinct_picture(320, 200, seed=7)
    assert distinct_picture(320, 200, seed=7) != distinct_picture(320, 200, seed=8)


def test_the_pool_is_drawn_once_and_each_number_is_its_own_picture(tmp_path):
    """The surge draws its artists' pictures before the run (`fill_pool`) and each phase takes its own
    range of numbers: every number a different picture, a second fill draws only what is missing, no
    half-written file is left as a picture, and past the pool's end there is nothing to read (the
    locust process then draws one itself)."""
    from bench.surge_pictures import HEIGHT, WIDTHS, fill_pool, pool_file, pooled_picture

    pool = tmp_path / "pictures"
    assert fill_pool(pool, 5, processes=1) == 5
    pictures = [pooled_picture(pool, n) for n in range(5)]
    assert len(set(pictures)) == 5
    assert [Image.open(io.BytesIO(data)).size for data in pictures[:2]] == [(WIDTHS[0], HEIGHT), (WIDTHS[1], HEIGHT)]
    pool_file(pool, 3).unlink()  # a run stopped before drawing it
    pool_file(pool, 3).with_suffix(".part").write_bytes(b"half a JPEG")
    assert fill_pool(pool, 5, processes=1) == 1
    assert pooled_picture(pool, 3) not in pictures and pooled_picture(pool, 0) == pictures[0]
    assert sorted(path.name for path in pool.iterdir()) == [f"{n:06d}.jpg" for n in range(5)]
    assert pooled_picture(pool, 5) is None


def test_a_phase_whose_count_is_lost_is_taken_to_have_used_one_more_per_artist(tmp_path):
    from bench.surge_pictures import phase_took

    written = tmp_path / "step-10.log.pictures"
    assert phase_took(written, uploads=7, artists=3) == {"pooled": 10, "drawn": 0, "estimated": True}
    written.write_text('{"pooled": 8, "drawn": 1}')
    assert phase_took(written, uploads=7, artists=3) == {"pooled": 8, "drawn": 1}
