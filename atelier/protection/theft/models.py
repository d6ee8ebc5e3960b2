"""The fingerprint index and the possible reposts it found.

`Fingerprint` keeps one PDQ hash of one window of one media item (fingerprints.py), split into 16
chunks of 16 bits stored in their own columns, each with a partial index over the rows that may be
matched. Multi-index hashing: two hashes within 15 bits of each other share at least one whole chunk
(pigeonhole), and near copies at 20–40 bits almost always do; so a lookup is 16 exact index probes
(`chunk_N IN (…)`) for the candidates, then the exact Hamming distance of those few in Python.
bench/theft.py measures it at 1M hashes. `matchable` is true only while the item's post is public
(set by the posts events, checked again against the post at lookup): the hashes of drafts, held,
private and taken-down work are never matched against anyone's upload.

Keypoint rows (keypoints.py) keep an ORB descriptor in `value` and the corner's geometry in the
`kp_*` columns (null on PDQ rows). They have their own indexes, on pairs of chunks (32 bits):
ORB's chunks are far from uniform (one 16-bit value is in 3 % of the rows), so a 16-bit probe with
a keypoint's chunk drew thousands of rows at 100k (bench/theft.py, lookup 203 ms p50); a 32-bit
probe draws the rows that really share a quarter of the corner's tests, and the PDQ indexes keep
to PDQ rows. `Thumbnail` keeps the small grey picture the lookup compares a keypoint match through
and the work's verification corners, packed in one value (keypoints.packed, verify.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

CHUNKS = 16


def pair_key(k: int):
    """Chunks 2k and 2k+1 as one 32-bit integer (`chunk_2k * 65536 + chunk_2k+1 + 32768`, which
    fits a signed 32-bit column without overflow): an index on this expression is probed with one
    `= ANY(array)` per pair, which PostgreSQL plans in a fraction of a millisecond, where the
    row-value `(chunk_a, chunk_b) IN ((…), …)` lists cost it ~10 ms of planning per lookup at 40
    keypoints (bench/theft.py, lookup p95). index.py writes the same expression in its SQL."""
    return F(f"chunk_{2 * k}") * 65536 + (F(f"chunk_{2 * k + 1}") + 32768)


class Fingerprint(models.Model):
    item = models.ForeignKey("media.MediaItem", on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    window = models.PositiveSmallIntegerField()
    value = models.BinaryField(max_length=32)
    quality = models.PositiveSmallIntegerField()
    matchable = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # chunk_N: bits 16N..16N+15 of the hash, as a signed 16-bit number (value - 32768).
    chunk_0 = models.SmallIntegerField()
    chunk_1 = models.SmallIntegerField()
    chunk_2 = models.SmallIntegerField()
    chunk_3 = models.SmallIntegerField()
    chunk_4 = models.SmallIntegerField()
    chunk_5 = models.SmallIntegerField()
    chunk_6 = models.SmallIntegerField()
    chunk_7 = models.SmallIntegerField()
    chunk_8 = models.SmallIntegerField()
    chunk_9 = models.SmallIntegerField()
    chunk_10 = models.SmallIntegerField()
    chunk_11 = models.SmallIntegerField()
    chunk_12 = models.SmallIntegerField()
    chunk_13 = models.SmallIntegerField()
    chunk_14 = models.SmallIntegerField()
    chunk_15 = models.SmallIntegerField()
    # A keypoint row's corner in the prepared picture, x, y and size in eighths of a pixel, angle in degrees.
    kp_x = models.SmallIntegerField(null=True)
    kp_y = models.SmallIntegerField(null=True)
    kp_size = models.SmallIntegerField(null=True)
    kp_angle = models.SmallIntegerField(null=True)

    class Meta:
        indexes = (
            [models.Index(fields=["item"], name="theft_fp_item")]
            + [
                models.Index(
                    fields=[f"chunk_{n}"], name=f"theft_fp_chunk_{n}", condition=Q(matchable=True, kp_x__isnull=True)
                )
                for n in range(CHUNKS)
            ]
            + [
                models.Index(
                    pair_key(k),
                    name=f"theft_fp_pairkey_{k}",
                    condition=Q(matchable=True, kp_x__isnull=False),
                )
                for k in range(CHUNKS // 2)
            ]
        )

    def __str__(self):
        return f"fingerprint {self.window} of item {self.item_id}"


class Thumbnail(models.Model):
    """The prepared picture of an item as 32 × 32 grey levels, with its size in pixels."""

    item = models.OneToOneField("media.MediaItem", on_delete=models.CASCADE, related_name="+", primary_key=True)
    width = models.PositiveSmallIntegerField()
    height = models.PositiveSmallIntegerField()
    pixels = models.BinaryField(max_length=1024)
    # keypoints.packed: the corners a keypoint match is verified with (empty: hashed before they were
    # kept; `theft_backfill` fills them in).
    corners = models.BinaryField(default=b"", blank=True)
    # keypoints.packed: the corners left out as repeated, for verify.matched_repeated (charts, pages);
    # empty: none were; NULL: hashed before they were kept (`theft_backfill` fills them in).
    repeated = models.BinaryField(null=True, blank=True, default=None)
    # The window of the item's TRIMMED_WHOLE hash in the prepared picture (fingerprints.trimmed_to_the_end),
    # through which a PDQ match with it is verified; NULL with no such hash, or hashed before it was
    # kept (`theft_backfill` fills it in).
    trimmed_left = models.PositiveSmallIntegerField(null=True, blank=True)
    trimmed_top = models.PositiveSmallIntegerField(null=True, blank=True)
    trimmed_right = models.PositiveSmallIntegerField(null=True, blank=True)
    trimmed_bottom = models.PositiveSmallIntegerField(null=True, blank=True)

    def __str__(self):
        return f"thumbnail of item {self.item_id}"


class MatchStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the original artist"
    CONFIRMED = "confirmed", "The original artist confirmed it is their work"
    DISMISSED = "dismissed", "The original artist said it is not their work"


class RepostMatch(models.Model):
    """An upload (`item` of `post`) found near an older public work by someone else."""

    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey("media.MediaItem", on_delete=models.CASCADE, related_name="+")
    original_post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="+")
    original_item = models.ForeignKey("media.MediaItem", on_delete=models.CASCADE, related_name="+")
    distance = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=MatchStatus.choices, default=MatchStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "original_item"], name="theft_match_once")]
        indexes = [models.Index(fields=["original_post", "status"], name="theft_match_original")]

    def __str__(self):
        return f"item {self.item_id} near item {self.original_item_id} ({self.distance} bits)"
