"""The multi-index lookup: candidates sharing a whole 16-bit chunk with any query hash, then the
exact Hamming distance. One SQL statement for the candidates (16 partial indexes, a bitmap OR on
PostgreSQL, SQLite's multi-index OR), the distances in Python on the few rows it returns.

The statement goes through the DB-API cursor and returns plain tuples: at 1M hashes PostgreSQL
answers in well under a millisecond, and building querysets and model rows used to cost ten times
that (bench/theft.py, lookup p95).
"""

from dataclasses import dataclass

from django.db import connection

from atelier.protection.theft.fingerprints import Hash
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


def _candidates_sql(per_column: list[list[int]], exclude_author_id: int | None) -> tuple[str, list[int]]:
    """`SELECT … WHERE matchable AND (chunk_0 IN (…) OR chunk_1 IN (…) …)`, with its parameters.
    Only numbers are interpolated (as placeholders); the table and column names are our own."""
    table = Fingerprint._meta.db_table
    ors, params = [], []
    for n, values in enumerate(per_column):
        ors.append(f"chunk_{n} IN ({', '.join(['%s'] * len(values))})")
        params.extend(values)
    columns = 'id, item_id, post_id, author_id, value, "window"'  # "window" is a reserved word
    sql = f"SELECT {columns} FROM {table} WHERE matchable AND ({' OR '.join(ors)})"  # noqa: S608 (numbers are parameters)
    if exclude_author_id is not None:
        sql += " AND author_id <> %s"
        params.append(exclude_author_id)
    return sql + f" LIMIT {CANDIDATE_CAP}", params


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
    sql, params = _candidates_sql([sorted(values) for values in per_column], exclude_author_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    queries = [(int.from_bytes(query.value, "big"), query.window) for query in hashes]
    found: dict[int, Near] = {}
    for pk, item_id, post_id, author_id, value, window in rows:
        stored = int.from_bytes(value, "big")
        bits, query_window = min(((query ^ stored).bit_count(), code) for query, code in queries)
        if bits <= max_distance and (item_id not in found or bits < found[item_id].distance):
            found[item_id] = Near(pk, item_id, post_id, author_id, bits, query_window, window)
    return sorted(found.values(), key=lambda near: near.distance)
