"""The candidates statement of a lookup (index.py): rows sharing a whole 16-bit chunk with a PDQ
query hash (or one bit away from one), or a whole pair of chunks (32 bits) with
a query keypoint (models.py says why). One SQL statement (24 partial indexes, a bitmap OR on
PostgreSQL, SQLite's multi-index OR). A pair of chunks is probed as one integer key
(`models.pair_key`), each arm with one array, so the statement is planned once per connection and
set of arms, not per lookup.

The statement goes through the DB-API cursor and returns plain tuples: at 1M hashes PostgreSQL
answers in a few milliseconds, and building querysets and model rows used to cost ten times that
(bench/theft.py, lookup p95).
"""

import numpy as np
import psycopg
from django.db import connection, transaction

from atelier.protection.theft.fingerprints import Hash
from atelier.protection.theft.models import CHUNKS, Fingerprint

CANDIDATE_CAP = 5000  # a query that shares chunks with more rows than this is itself too plain to trust


def statement(hashes: list[Hash], exclude_author_id: int | None) -> tuple[str, list]:
    """`SELECT … WHERE matchable AND (PDQ rows sharing a chunk with a PDQ query hash, or keypoint rows
    sharing a pair of chunks, as one 32-bit key, with a query keypoint)`, with its parameters. Only numbers are
    interpolated (as placeholders); the table and column names are our own."""
    table = Fingerprint._meta.db_table
    # Every hash's 16 chunks at once, as the signed numbers the columns hold (`chunks_of`).
    chunks = np.frombuffer(b"".join(one.value for one in hashes), dtype=">u2").reshape(len(hashes), CHUNKS)
    chunks = chunks.astype(np.int64) - 32768
    is_pdq = np.array([one.corner is None for one in hashes])
    # Every chunk of a PDQ query hash is also asked one bit away: a match 34-50 bits off may share no
    # chunk whole (the multi-index finds every hash within 15 bits, and further ones only by chance).
    # The whole picture's alone first: stamped sprites and a photograph were lost so (bench/theft.py,
    # 716 works at 1M hashes: stamp 0.946 -> 0.954, no false match; 480 candidate rows at the median
    # instead of 240, the statement 2 ms longer). Then every window's: a stamped sprite's centre (or
    # its mirror's, for a symmetric sprite) lies 44-54 bits from its original's while the whole
    # picture's, with the stamp in it, lies past MATCH_DISTANCE (729 works at 1M hashes, the same
    # copies: stamp 675 -> 682 found, border 699 -> 701 through the trimmed whole's, no other kind
    # moved, no copy or work matching another more). The cost, paired on 972 lookups: candidate rows
    # 790 -> 1,812 at the median, the lookup 6.4 ms longer (asking the whole and centre windows alone
    # saved 1.5 ms of it and lost the two border copies).
    pdq = []
    if is_pdq.any():
        near = np.concatenate([chunks[is_pdq], _one_bit_away(chunks[is_pdq])])
        pdq = [np.unique(column).tolist() for column in near.T]
    corner = chunks[~is_pdq]
    keys = [np.unique(key).tolist() for key in (corner[:, 0::2] * 65536 + corner[:, 1::2] + 32768).T]
    arms, params = [], []
    for n, values in enumerate(pdq):
        if values and connection.vendor == "postgresql":
            # One array per arm: the statement's text depends only on which arms there are, so
            # psycopg prepares it after a few lookups and PostgreSQL stops planning it each time.
            arms.append(f"(kp_x IS NULL AND chunk_{n} = ANY(%s::smallint[]))")
            params.append(_array_literal(values))
        elif values:
            arms.append(f"(kp_x IS NULL AND chunk_{n} IN ({', '.join(['%s'] * len(values))}))")
            params.extend(values)
    for k, values in enumerate(keys):
        if values:
            # The expression of the `theft_fp_pairkey_k` index, written as Django writes it there.
            key = f'(("chunk_{2 * k}" * 65536) + ("chunk_{2 * k + 1}" + 32768))'
            if connection.vendor == "postgresql":
                arms.append(f"(kp_x IS NOT NULL AND {key} = ANY(%s::integer[]))")
                params.append(_array_literal(values))
            else:
                arms.append(f"(kp_x IS NOT NULL AND {key} IN ({', '.join(['%s'] * len(values))}))")
                params.extend(values)
    columns = 'id, item_id, post_id, author_id, value, "window", kp_x, kp_y, kp_size, kp_angle'  # "window": reserved
    sql = f"SELECT {columns} FROM {table} WHERE matchable AND ({' OR '.join(arms)})"  # noqa: S608 (numbers are parameters)
    if exclude_author_id is not None:
        sql += " AND author_id <> %s"
        params.append(exclude_author_id)
    return sql + f" LIMIT {CANDIDATE_CAP}", params


def _one_bit_away(chunks: np.ndarray) -> np.ndarray:
    """Every chunk value one bit away from those of `chunks` (hashes × CHUNKS, signed as the columns
    hold them), column by column: 16 rows a hash, row b with bit b of each of its chunks flipped
    (each arm of the statement reads only its own column)."""
    bits = 1 << np.arange(16)
    unsigned = chunks + 32768
    return ((unsigned[:, None, :] ^ bits[None, :, None]).reshape(-1, chunks.shape[1])) - 32768


def _array_literal(values: list[int]) -> str:
    """`{1,2,3}`: PostgreSQL's text form of an array, cast in the statement. psycopg would dump a list
    of ints element by element in Python (with the chunks taken in numpy above: 1.0 ms less a lookup,
    median of 1,470 paired lookups at 1M hashes, the same answers)."""
    return "{" + ",".join(map(str, values)) + "}"


def fetched(sql: str, params: list) -> list[tuple]:
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
