"""The multi-index lookup: candidates sharing a whole 16-bit chunk with any query hash, then the
exact Hamming distance. One SQL statement for the candidates (16 partial indexes, a bitmap OR on
PostgreSQL, SQLite's multi-index OR), the distances in Python on the few rows it returns.
"""

from dataclasses import dataclass

from django.db.models import Q

from atelier.protection.theft.fingerprints import Hash, distance
from atelier.protection.theft.models import CHUNKS, Fingerprint

MATCH_DISTANCE = 40  # of 256 bits: bench/theft.py sets it (recall per kind against false matches)
CANDIDATE_CAP = 5000  # a query that shares chunks with more rows than this is itself too plain to trust


def chunks_of(value: bytes) -> list[int]:
    """The 16 chunks of a hash as the signed numbers the columns hold."""
    return [int.from_bytes(value[2 * n : 2 * n + 2], "big") - 32768 for n in range(CHUNKS)]


def chunk_columns(value: bytes) -> dict[str, int]:
    return {f"chunk_{n}": chunk for n, chunk in enumerate(chunks_of(value))}


@dataclass(frozen=True)
class Near:
    fingerprint_id: int
    item_id: int
    post_id: int
    author_id: int
    distance: int
    query_window: int
    stored_window: int


def nearest(
    *, hashes: list[Hash], max_distance: int = MATCH_DISTANCE, exclude_author_id: int | None = None
) -> list[Near]:
    """Matchable fingerprints within `max_distance` of any of `hashes`, closest first, one per item."""
    if not hashes:
        return []
    per_column: list[set[int]] = [set() for _ in range(CHUNKS)]
    for query in hashes:
        for n, chunk in enumerate(chunks_of(query.value)):
            per_column[n].add(chunk)
    condition = Q()
    for n, values in enumerate(per_column):
        condition |= Q(**{f"chunk_{n}__in": sorted(values)})
    rows = Fingerprint.objects.filter(condition, matchable=True)
    if exclude_author_id is not None:
        rows = rows.exclude(author_id=exclude_author_id)
    found: dict[int, Near] = {}
    for row in rows.values_list("pk", "item_id", "post_id", "author_id", "value", "window")[:CANDIDATE_CAP]:
        pk, item_id, post_id, author_id, value, window = row
        best = min(hashes, key=lambda query: distance(query.value, bytes(value)))
        bits = distance(best.value, bytes(value))
        if bits <= max_distance and (item_id not in found or bits < found[item_id].distance):
            found[item_id] = Near(pk, item_id, post_id, author_id, bits, best.window, window)
    return sorted(found.values(), key=lambda near: near.distance)
