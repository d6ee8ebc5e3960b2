"""The multi-index lookup: candidates sharing a whole 16-bit chunk with a PDQ query hash, or a whole
pair of chunks (32 bits) with a query keypoint (models.py says why), then the exact Hamming distance.
One SQL statement for the candidates (24 partial indexes, a bitmap OR on PostgreSQL, SQLite's
multi-index OR), the distances in numpy on the rows it returns. A pair of chunks is probed as one
integer key (`models.pair_key`), each arm with one array, so the statement is planned once per
connection and set of arms, not per lookup.

PDQ rows match on their own, within MATCH_DISTANCE of a PDQ query hash. Keypoint rows (keypoints.py)
match only together: the descriptors within KEYPOINT_DISTANCE of the upload's, grouped by stored
item and side (upright or mirror), must agree on one transform and the upload must look like the
stored thumbnail through it (verify.py; one more statement fetches those thumbnails).

The statements go through the DB-API cursor and return plain tuples: at 1M hashes PostgreSQL
answers in a few milliseconds, and building querysets and model rows used to cost ten times that
(bench/theft.py, lookup p95).
"""

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import psycopg
from django.db import connection, transaction

from atelier.protection.theft import verify
from atelier.protection.theft.fingerprints import KEYPOINT, MIRRORED, Hash
from atelier.protection.theft.keypoints import GEOMETRY_SCALE
from atelier.protection.theft.models import CHUNKS, Fingerprint, Thumbnail

MATCH_DISTANCE = 40  # of 256 bits: bench/theft.py sets it (recall per kind against false matches)
KEYPOINT_DISTANCE = 56  # of 256 bits, between two ORB descriptors of one corner
MAX_GROUPS = 6  # stored works (and sides) a keypoint lookup fits and compares at most
CANDIDATE_CAP = 5000  # a query that shares chunks with more rows than this is itself too plain to trust


def chunks_of(value: bytes) -> list[int]:
    """The 16 chunks of a hash as the signed numbers the columns hold."""
    return [int.from_bytes(value[2 * n : 2 * n + 2], "big") - 32768 for n in range(CHUNKS)]


def chunk_columns(value: bytes) -> dict[str, int]:
    return {f"chunk_{n}": chunk for n, chunk in enumerate(chunks_of(value))}


def corner_columns(one: Hash) -> dict[str, int | None]:
    """The keypoint geometry columns of a hash (all None for a PDQ hash)."""
    if one.corner is None:
        return {"kp_x": None, "kp_y": None, "kp_size": None, "kp_angle": None}
    x, y, size, angle = one.corner
    scaled = [min(32767, round(v * GEOMETRY_SCALE)) for v in (x, y, size)]
    return {"kp_x": scaled[0], "kp_y": scaled[1], "kp_size": scaled[2], "kp_angle": round(angle) % 360}


def is_keypoint(window: int) -> bool:
    return window % MIRRORED == KEYPOINT


@dataclass(frozen=True)
class Near:
    fingerprint_id: int
    item_id: int
    post_id: int
    author_id: int
    distance: int  # bits; for a keypoint match the mean over its agreeing corners
    query_window: int
    stored_window: int


def _candidates_sql(hashes: list[Hash], exclude_author_id: int | None) -> tuple[str, list]:
    """`SELECT … WHERE matchable AND (PDQ rows sharing a chunk with a PDQ query hash, or keypoint rows
    sharing a pair of chunks, as one 32-bit key, with a query keypoint)`, with its parameters. Only numbers are
    interpolated (as placeholders); the table and column names are our own."""
    table = Fingerprint._meta.db_table
    pdq: list[set[int]] = [set() for _ in range(CHUNKS)]
    keys: list[set[int]] = [set() for _ in range(CHUNKS // 2)]
    for one in hashes:
        chunks = chunks_of(one.value)
        if one.corner is None:
            for n, chunk in enumerate(chunks):
                pdq[n].add(chunk)
        else:
            for k in range(CHUNKS // 2):
                keys[k].add(chunks[2 * k] * 65536 + chunks[2 * k + 1] + 32768)
    arms, params = [], []
    for n, values in enumerate(pdq):
        if values and connection.vendor == "postgresql":
            # One array per arm: the statement's text depends only on which arms there are, so
            # psycopg prepares it after a few lookups and PostgreSQL stops planning it each time.
            arms.append(f"(kp_x IS NULL AND chunk_{n} = ANY(%s::smallint[]))")
            params.append(sorted(values))
        elif values:
            arms.append(f"(kp_x IS NULL AND chunk_{n} IN ({', '.join(['%s'] * len(values))}))")
            params.extend(sorted(values))
    for k, values in enumerate(keys):
        if values:
            # The expression of the `theft_fp_pairkey_k` index, written as Django writes it there.
            key = f'(("chunk_{2 * k}" * 65536) + ("chunk_{2 * k + 1}" + 32768))'
            if connection.vendor == "postgresql":
                arms.append(f"(kp_x IS NOT NULL AND {key} = ANY(%s::integer[]))")
                params.append(sorted(values))
            else:
                arms.append(f"(kp_x IS NOT NULL AND {key} IN ({', '.join(['%s'] * len(values))}))")
                params.extend(sorted(values))
    columns = 'id, item_id, post_id, author_id, value, "window", kp_x, kp_y, kp_size, kp_angle'  # "window": reserved
    sql = f"SELECT {columns} FROM {table} WHERE matchable AND ({' OR '.join(arms)})"  # noqa: S608 (numbers are parameters)
    if exclude_author_id is not None:
        sql += " AND author_id <> %s"
        params.append(exclude_author_id)
    return sql + f" LIMIT {CANDIDATE_CAP}", params


def _fetched(sql: str, params: list) -> list[tuple]:
    """The rows of a candidates statement. On PostgreSQL through a server-side binding cursor, as a
    prepared statement: Django's cursor binds on the client, so every lookup's text was new and
    PostgreSQL planned its two dozen arms each time (4–5 ms of the lookup); prepared, the plan is
    kept per connection for each set of arms (bench/theft.py, lookup p95). The generic plan is asked
    for: PostgreSQL would otherwise go on planning each call anew (a custom plan per array); the
    arrays are short and the keys nearly unique (the pair-key statistics), so the generic plan
    probes the same indexes. SET LOCAL ends with the transaction (an outer one, inside a task)."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            return cursor.fetchall()
        with transaction.atomic(), psycopg.Cursor(cursor.cursor.connection) as bound:
            bound.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            bound.execute(sql, params, prepare=True)
            return bound.fetchall()


def _words(values: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(values), dtype=np.uint64).reshape(len(values), 4)


def _distances(rows: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """(rows, queries) Hamming distances of 256-bit values held as four 64-bit words each."""
    return np.bitwise_count(rows[:, None, :] ^ queries[None, :, :]).sum(axis=2, dtype=np.int32)


def nearest(
    *,
    hashes: list[Hash],
    gray: np.ndarray | None = None,
    max_distance: int = MATCH_DISTANCE,
    exclude_author_id: int | None = None,
) -> list[Near]:
    """Matchable works near `hashes`, closest first, one per item. Keypoint hashes count only with
    `gray`, the prepared upload they were found in (verify.py compares it with the stored work)."""
    if not hashes:
        return []
    sql, params = _candidates_sql(hashes, exclude_author_id)
    rows = _fetched(sql, params)
    if not rows:
        return []
    stored = _words([bytes(row[4]) for row in rows])
    stored_is_corner = np.array([is_keypoint(row[5]) for row in rows])
    found: dict[int, Near] = {}
    pdq = [one for one in hashes if not is_keypoint(one.window)]
    if pdq:
        bits = _distances(stored, _words([one.value for one in pdq]))
        bits[stored_is_corner] = 256
        for r, q in zip(*np.nonzero(bits <= max_distance), strict=True):
            pk, item_id, post_id, author_id, _, window, *_ = rows[r]
            if item_id not in found or bits[r, q] < found[item_id].distance:
                found[item_id] = Near(pk, item_id, post_id, author_id, int(bits[r, q]), pdq[q].window, window)
    corners = [one for one in hashes if is_keypoint(one.window)]
    if corners and gray is not None and stored_is_corner.any():
        for near in _corner_matches(rows, stored, stored_is_corner, corners, gray):
            if near.item_id not in found:
                found[near.item_id] = near
    return sorted(found.values(), key=lambda near: near.distance)


def _corner_matches(rows, stored, stored_is_corner, corners: list[Hash], gray: np.ndarray) -> list[Near]:
    """Stored works whose keypoints agree with the upload's on a transform and look alike through it."""
    bits = _distances(stored, _words([one.value for one in corners]))
    bits[~stored_is_corner] = 256
    groups: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for r, q in zip(*np.nonzero(bits <= KEYPOINT_DISTANCE), strict=True):
        groups[(rows[r][1], rows[r][5])].append((int(r), int(q)))
    # The fit counts each corner once on either side, so a group needs MIN_INLIERS distinct corners of
    # both to pass at all: charts draw hundreds of pairs, mostly one corner against many (their lookups
    # were the slowest, fitting and comparing groups that could not pass).
    # Of those, the MAX_GROUPS with the most distinct corners are fitted and compared: a chart's upload
    # otherwise fits and compares dozens of charts on its template (40–80 ms), and a copy's own
    # original is among the works sharing the most corners with it.
    witnesses = {key: min(len({q for _, q in pairs}), len({r for r, _ in pairs})) for key, pairs in groups.items()}
    ranked = sorted((key for key in groups if witnesses[key] >= verify.MIN_INLIERS), key=lambda key: -witnesses[key])
    groups = {key: groups[key] for key in ranked[:MAX_GROUPS]}
    if not groups:
        return []
    table = Thumbnail._meta.db_table
    wanted = sorted({item_id for item_id, _ in groups})
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT item_id, width, height, pixels FROM {table} WHERE item_id IN ({', '.join(['%s'] * len(wanted))})",  # noqa: S608 (numbers are parameters)
            wanted,
        )
        thumbnails = {row[0]: row for row in cursor.fetchall()}
    blurred: dict[int, np.ndarray] = {}  # the upload blurred to one thumbnail cell, by cell size
    query_corners = np.array([one.corner for one in corners], dtype=np.float64)
    made = []
    for (item_id, window), pairs in groups.items():
        thumbnail = thumbnails.get(item_id)
        if thumbnail is None:
            continue
        size = (thumbnail[1], thumbnail[2])
        at = np.array([rows[r][6:10] for r, _ in pairs], dtype=np.float64)
        at[:, :3] /= GEOMETRY_SCALE
        transform = verify.fitted(query_corners[[q for _, q in pairs]], at, size)
        if transform is None:
            continue
        pixels = bytes(thumbnail[3])
        if window >= MIRRORED:  # the corners are the mirror's: so is the picture they are compared in
            pixels = np.frombuffer(pixels, dtype=np.uint8).reshape(-1, int(len(pixels) ** 0.5))[:, ::-1].tobytes()
        if not verify.looks_alike(gray, pixels, size, transform, blurred):
            continue
        r0 = pairs[0][0]
        mean_bits = round(float(np.mean([bits[r, q] for r, q in pairs])))
        made.append(Near(rows[r0][0], item_id, rows[r0][2], rows[r0][3], mean_bits, KEYPOINT, window))
    return made
