"""An upload is both kept and looked up; `fingerprints.stored_and_query` prepares it once for both
sides, and must give exactly what `stored` and `query` give one by one, whatever the picture."""

import numpy as np
import pytest
from PIL import Image, ImageOps
from skimage import data

from atelier.protection.theft import fingerprints


def framed(image: Image.Image) -> Image.Image:
    """A screenshot-like copy: a grey margin and a white page around the work (two trims)."""
    page = ImageOps.expand(image, border=60, fill=(255, 255, 255))
    return ImageOps.expand(page, border=40, fill=(90, 90, 90))


PICTURES = {
    "photo": Image.fromarray(data.astronaut()),
    "framed": framed(Image.fromarray(data.coffee())),
    "grey": Image.fromarray(data.camera()),
    "transparent": Image.fromarray(data.astronaut()).convert("RGBA").resize((300, 300)),
    "flat": Image.new("RGB", (400, 300), (120, 40, 200)),  # too flat: no hashes on either side
    "tiny": Image.new("RGB", (16, 16), (0, 0, 0)),  # too small: nothing at all
    "noise": Image.fromarray(np.random.default_rng(3).integers(0, 256, (240, 320, 3), dtype=np.uint8)),
}


@pytest.mark.parametrize("name", PICTURES)
def test_one_preparation_gives_what_each_side_gives_alone(name):
    picture = PICTURES[name]
    kept, asked = fingerprints.stored_and_query(picture)
    alone_kept, alone_asked = fingerprints.stored(picture), fingerprints.query(picture)
    assert kept == alone_kept
    assert asked.hashes == alone_asked.hashes
    assert (asked.corners, asked.repeated) == (alone_asked.corners, alone_asked.repeated)
    assert (asked.gray is None) == (alone_asked.gray is None)
    if asked.gray is not None:
        assert np.array_equal(asked.gray, alone_asked.gray)
    if name in ("flat", "tiny"):
        assert kept.hashes == [] and asked.hashes == []
    else:
        assert kept.hashes and asked.hashes
