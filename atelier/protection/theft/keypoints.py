"""Local features of a picture for the copies PDQ cannot follow: crops of 5–30 % and small rotations.

A keypoint is a corner found by ORB (OpenCV's FAST corners over an image pyramid, each with its scale
and its dominant orientation) and described by 256 binary intensity tests on a patch sized to its
scale and turned to its orientation. The descriptor is 256 bits, so it is stored as a `Fingerprint`
row like a PDQ hash and found by the same 16 chunk columns; its geometry (x, y, size, angle, in the
prepared picture's pixels) is stored with it. A crop or a turn keeps most corners and their patches,
so a copy shares many descriptors with its original, and those shared corners agree on one
similarity transform (scale, turn, shift). `verify.py` requires that agreement and then compares the
two pictures through that transform, because corners alone are generic: the corner of a chart's axes,
the letters of one font are in many works.

Stored side: the strongest `STORED_KEYPOINTS` of the picture and as many of its mirror (rows cost
storage; query-side hashes cost lookup time, every query hash drawing ~16 random chunk hits per
million rows). Asking side: the strongest `QUERY_KEYPOINTS` of the upload, upright only.
"""

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

STORED_KEYPOINTS = 48
QUERY_KEYPOINTS = 32
THUMBNAIL = 32  # the side of the grey thumbnail `verify.py` compares through the transform
GEOMETRY_SCALE = 8  # x, y and size are stored as eighths of a pixel in small integers

_ORB = {
    "scaleFactor": 1.3,  # 6 levels span 1 : 3.7, the resizes and crops of bench/theft.py
    "nlevels": 6,
    "edgeThreshold": 15,  # corners this close to the edge have no full patch
    "patchSize": 31,
    "fastThreshold": 10,
}


@dataclass(frozen=True)
class Keypoint:
    x: float
    y: float
    size: float
    angle: float  # degrees, as OpenCV gives them
    descriptor: bytes  # 32 bytes


def grey(picture: Image.Image) -> np.ndarray:
    return np.asarray(picture.convert("L"))


def detected(gray: np.ndarray, count: int) -> list[Keypoint]:
    """The `count` strongest ORB keypoints of a grey picture, strongest first (none on a flat one)."""
    if min(gray.shape) <= 2 * _ORB["edgeThreshold"]:
        return []
    orb = cv2.ORB_create(nfeatures=count, **_ORB)
    found, descriptors = orb.detectAndCompute(np.ascontiguousarray(gray), None)
    if descriptors is None:
        return []
    ranked = sorted(zip(found, descriptors, strict=True), key=lambda pair: -pair[0].response)
    return [
        Keypoint(x=p.pt[0], y=p.pt[1], size=p.size, angle=p.angle, descriptor=d.tobytes()) for p, d in ranked[:count]
    ]


def thumbnail(gray: np.ndarray) -> bytes:
    """The picture as THUMBNAIL × THUMBNAIL grey levels (its aspect is kept apart, in width and height)."""
    small = Image.fromarray(gray).resize((THUMBNAIL, THUMBNAIL), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.uint8).tobytes()
