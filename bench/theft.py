"""Art-theft detection: recall per kind of copy, false matches among distinct works, and the lookup
time with 1M stored hashes (bench/results/theft.json).

Works: the distinct images of bench/human_corpus.py (one crop per sample photograph, flat
illustration, pixel art, screenshots, renders, scans, charts; the flags are left out: two-tone
tricolours are the same picture to any perceptual hash). Each gets every copy of
bench/theft_variants.py; a copy is caught when the index returns its original. The results name
the copies missed and every false match (which work matched which, through which window), so a
change can be judged on the works it moves. False matches are counted twice: each work looked up as
itself, and each copy that matched a work it was not made from (`copies_matching_another_work`: a
re-encoding flips which corners a chart keeps, so the two counts differ).

The index runs where production runs it: PostgreSQL (`DATABASE_URL`, default the
`atelier_theft_bench` database, migrated here), with 1M synthetic random hashes added to the real
ones: PDQ-like rows uniformly random, keypoint-like rows (`--corner-share` of them, the share the
real works have) built chunk by chunk from the real works' keypoint chunks, so each chunk column
collides as often as real ORB descriptors do (their bits are not uniform), while whole rows stay far
from every real descriptor. Baseline, same run: the exhaustive scan (bit_count of the XOR over every row) that the
multi-index lookup replaces.

    python bench/theft.py [--works N] [--every K] [--bulk 1000000] [--profile PATH]

`--every 6 --bulk 100000` is the quick mode for trying a change (every sixth work, a tenth of the
hashes); the committed results are the full run.
"""

import argparse
import cProfile
import json
import os
import statistics
import sys
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/atelier_theft_bench")
RESULTS = ROOT / "bench" / "results" / "theft.json"


def distinct_works(limit: int | None, every: int = 1):
    from bench.human_corpus import human_images

    works = [(kind, name, image) for kind, name, image in human_images() if kind != "flag"]
    works = [(kind, name, image) for kind, name, image in works if kind != "photo" or name.endswith("-0")]
    works = works[::every]
    return works[:limit] if limit else works


def copy_rng(kind: str, work: str) -> np.random.Generator:
    """The draws of one copy, from its kind and work alone: a change that makes another work hashable
    (or not) leaves every other copy as it was, so two runs compare copy for copy."""
    return np.random.default_rng([7, zlib.crc32(f"{kind}/{work}".encode())])


def percentile(values, q):
    return float(np.percentile(np.asarray(values), q)) if values else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--works", type=int, default=None)
    parser.add_argument("--every", type=int, default=1, help="every K-th work only (a quick run)")
    parser.add_argument("--bulk", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the results go (quick runs elsewhere)")
    parser.add_argument("--diagnose", action="store_true", help="say for each missed copy where it was lost")
    parser.add_argument("--kinds", default=None, help="only these kinds of copy, comma-separated (a quick run)")
    parser.add_argument("--profile", type=Path, default=None, help="write a cProfile of the timed lookups here")
    args = parser.parse_args()

    _ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from atelier.accounts.models import User
    from atelier.media.models import MediaItem, MediaKind
    from atelier.posts.models import Post, PostState
    from atelier.protection.theft import fingerprints, index
    from atelier.protection.theft.models import Fingerprint, Thumbnail
    from atelier.protection.theft.services import fingerprints_store
    from bench.theft_diagnose import lost_summary, where_lost
    from bench.theft_variants import KINDS

    if connection.vendor == "postgresql":
        # Emptied, not deleted: a run's million deleted rows stayed as dead tuples (2.2M after two
        # runs, 1.1 GB) and each later run's lookups were slower (exhaustive scan 477 -> 501 -> 578 ms).
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {Fingerprint._meta.db_table}, {Thumbnail._meta.db_table}")
    Fingerprint.objects.all().delete()
    Thumbnail.objects.all().delete()
    Post.objects.filter(author__handle__startswith="theftbench").delete()
    User.objects.filter(handle__startswith="theftbench").delete()
    artist = User.objects.create_user(handle="theftbench_artist", email="a@theft.bench", password="x" * 16)
    uploader = User.objects.create_user(handle="theftbench_uploader", email="b@theft.bench", password="x" * 16)
    crowd = User.objects.create_user(handle="theftbench_crowd", email="c@theft.bench", password="x" * 16)

    def new_item(author, title):
        post = Post.objects.create(author=author, title=title, state=PostState.PUBLIC)
        return MediaItem.objects.create(post=post, kind=MediaKind.IMAGE)

    works = distinct_works(args.works, args.every)
    started = time.perf_counter()
    items, unhashable, stored_of = [], [], {}
    hashing_seconds = 0.0
    for kind, name, image in works:
        t0 = time.process_time()
        kept = fingerprints.stored(image)
        hashing_seconds += time.process_time() - t0
        if not kept.hashes:
            unhashable.append(name)
            continue
        item = new_item(artist, name)
        fingerprints_store(item=item, stored=kept)
        items.append((kind, name, image, item))
        stored_of[item.pk] = kept
    hashing_seconds /= max(1, len(works))
    print(f"stored in {time.perf_counter() - started:.0f} s")
    real_hashes = Fingerprint.objects.count()
    print(f"{len(items)} works hashed ({len(unhashable)} too flat or small), {real_hashes} hashes")

    corner_rows = Fingerprint.objects.filter(
        window__in=(fingerprints.KEYPOINT, fingerprints.KEYPOINT + fingerprints.MIRRORED)
    )
    corner_share = corner_rows.count() / max(1, real_hashes)
    corner_chunks = np.array([index.chunks_of(bytes(v)) for v in corner_rows.values_list("value", flat=True)])
    crowd_items = _crowd_works(crowd, round(args.bulk / max(1, real_hashes / max(1, len(items)))), corner_chunks)
    _bulk_insert(connection, crowd_items, crowd.pk, args.bulk, corner_share, corner_chunks)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE theft_fingerprint")
    total = Fingerprint.objects.count()
    print(f"{total} hashes stored")

    profile = cProfile.Profile() if args.profile else None
    recall, lookups, query_cpu, missed, lost = {}, [], [], {}, {}
    names = {item.pk: name for _, name, _, item in items}
    # A copy that also (or only) matched a work it was not made from: the moderation case would name
    # the wrong artist. Counted per kind of copy, beside the works looked up as themselves below.
    copies_matching_another, copy_false_named = {}, []
    for kind_name, make in KINDS.items():
        if args.kinds and kind_name not in args.kinds.split(","):
            continue
        # The copies are made and hashed first: the lookups are then timed back to back.
        queries = []
        for _, name, image, item in items:
            copy = make(image, copy_rng(kind_name, name))
            t0 = time.process_time()
            queries.append((fingerprints.query(copy), item, name))
            query_cpu.append(time.process_time() - t0)
        caught = 0
        missed[kind_name] = []
        for query, item, name in queries:
            t0 = time.perf_counter()
            if profile:
                profile.enable()
            near = index.nearest_to(query, exclude_author_id=uploader.pk)
            if profile:
                profile.disable()
            lookups.append((time.perf_counter() - t0) * 1000)
            hit = any(one.item_id == item.pk for one in near)
            caught += hit
            others = [names.get(one.item_id, "filler") for one in near if one.item_id != item.pk]
            copies_matching_another[kind_name] = copies_matching_another.get(kind_name, 0) + bool(others)
            if others:
                copy_false_named.append({"kind": kind_name, "work": name, "matched": others, "own_found": hit})
            if not hit:
                missed[kind_name].append(name)
                if args.diagnose:
                    lost.setdefault(kind_name, []).append(
                        {"work": name, **where_lost(query, item, stored_of[item.pk], uploader.pk)}
                    )
        recall[kind_name] = round(caught / max(1, len(queries)), 4)
        print(
            f"  {kind_name:9s} recall {recall[kind_name]:.3f}  ({caught}/{len(queries)}),"
            f" {copies_matching_another.get(kind_name, 0)} matching another work"
        )

    if profile:
        profile.dump_stats(args.profile)  # the lookups only, with their timing (cProfile's own cost in it)
    false_works, false_pairs, false_named, own_lookups = 0, 0, [], []
    for _, name, image, item in items:
        query = fingerprints.query(image)
        t0 = time.perf_counter()
        near = index.nearest_to(query, exclude_author_id=uploader.pk)
        own_lookups.append((time.perf_counter() - t0) * 1000)
        wrong = [one for one in near if one.item_id != item.pk]
        false_pairs += len(wrong)
        false_works += bool(wrong)
        false_named += [
            {"work": name, "matched": names.get(one.item_id, "filler"), "bits": one.distance,
             "query_window": one.query_window, "stored_window": one.stored_window}
            for one in wrong
        ]  # fmt: skip
    pairs = len(items) * (len(items) - 1) + len(items) * args.bulk
    print(f"false matches: {false_works} of {len(items)} works matched another; {false_pairs} pairs of {pairs}")

    baseline = _exhaustive_scan_ms(connection, items[:5])
    p50, p95 = percentile(lookups, 50), percentile(lookups, 95)
    print(f"lookup at {total} hashes: p50 {p50:.1f} ms, p95 {p95:.1f} ms; exhaustive scan {baseline:.0f} ms")
    print(f"  multi-index lookup is {baseline / p50:.0f}× faster than the scan at the median")
    own_p50, own_p95 = percentile(own_lookups, 50), percentile(own_lookups, 95)
    print(f"  a work looked up as itself: p50 {own_p50:.1f} ms, p95 {own_p95:.1f} ms")
    result = {
        "works": len(items),
        "unhashable": len(unhashable),
        "hashes_per_work": round(real_hashes / max(1, len(items)), 2),
        "stored_hashes": total,
        "match_distance_bits": index.MATCH_DISTANCE,
        "recall": recall,
        "false_match_works": false_works,
        "false_match_work_rate": round(false_works / max(1, len(items)), 5),
        "false_match_pairs": false_pairs,
        "false_matches": false_named,
        "copies_matching_another_work": copies_matching_another,
        "copy_false_matches": copy_false_named,
        "missed": missed,
        **({"lost_at": lost_summary(lost), "lost": lost} if args.diagnose else {}),
        "pairs_compared": pairs,
        "lookup_ms": {"p50": round(p50, 2), "p95": round(p95, 2), "n": len(lookups)},
        # Each work looked up as itself: PDQ finds it, and every other work the keypoints bring up is
        # compared and fails, as for an ordinary upload that copies nothing (most uploads).
        "lookup_ms_copying_nothing": {"p50": round(own_p50, 2), "p95": round(own_p95, 2), "n": len(own_lookups)},
        "exhaustive_scan_ms": round(baseline, 1),
        "hashing_ms_per_work": round(hashing_seconds * 1000, 1),
        "query_hashing_ms_per_copy": round(1000 * statistics.mean(query_cpu), 1),
        "hashing_clock": "process CPU time",
        "corner_share_of_rows": round(corner_share, 3),
        "database": connection.vendor,
        "load_average_1_5_15": [round(value, 2) for value in os.getloadavg()],
        "cpu_count": os.cpu_count(),
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


def _ensure_database(url: str) -> None:
    """Creates the bench's PostgreSQL database when it is not there yet (a fresh machine)."""
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        return
    name = parts.path.lstrip("/")
    server = dict(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres", dbname="postgres")
    with psycopg.connect(**server, password=parts.password, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))


def _mixed_descriptors(rng, corner_chunks, count: int) -> np.ndarray:
    """(count, 32) descriptor bytes whose every 16-bit chunk is some real keypoint's chunk in that
    column (drawn independently per column): they collide with probes as often as real ORB
    descriptors do (their bits are not uniform), while whole descriptors stay far from every real one."""
    picks = rng.integers(0, len(corner_chunks), size=(count, 16))
    return (corner_chunks[picks, np.arange(16)] + 32768).astype(">u2").view(np.uint8).reshape(-1, 32)


def _crowd_works(crowd, count: int, corner_chunks) -> list:
    """`count` synthetic public works by a third person, each with a random thumbnail and
    VERIFY_KEYPOINTS random corners: the filler hashes are spread over them as real works' are, so
    a lookup's chance key collisions bring up many works that compete for MAX_GROUPS and are
    compared (and fail) at the real cost, not one filler work."""
    from atelier.media.models import MediaItem, MediaKind
    from atelier.posts.models import Post, PostState
    from atelier.protection.theft import keypoints
    from atelier.protection.theft.models import Thumbnail

    rng = np.random.default_rng(3)
    posts = Post.objects.bulk_create(
        Post(author=crowd, title=f"crowd-{n}", state=PostState.PUBLIC) for n in range(count)
    )
    items = MediaItem.objects.bulk_create(MediaItem(post=post, kind=MediaKind.IMAGE) for post in posts)

    def random_corners(corners: int) -> bytes:
        geometry = np.column_stack(
            [rng.uniform(0, 512, (corners, 2)), rng.uniform(31, 120, corners), rng.uniform(0, 360, corners)]
        ).astype("<f4")
        return np.concatenate(
            [geometry.view(np.uint8), _mixed_descriptors(rng, corner_chunks, corners)], axis=1
        ).tobytes()

    thumbnails = []
    for item in items:
        packed = random_corners(keypoints.VERIFY_KEYPOINTS)
        pixels = rng.integers(0, 256, keypoints.THUMBNAIL**2, dtype=np.uint8).tobytes()
        thumbnails.append(
            Thumbnail(
                item=item,
                width=512,
                height=512,
                pixels=pixels,
                corners=packed,
                repeated=random_corners(keypoints.REPEATED_KEYPOINTS),
            )
        )
    Thumbnail.objects.bulk_create(thumbnails, batch_size=2000)
    print(f"  {count} crowd works")
    return items


def _bulk_insert(connection, items, author_id: int, count: int, corner_share: float, corner_chunks) -> None:
    """`count` filler hashes of the crowd's works (spread evenly over `items`), by COPY (PostgreSQL)
    or in batches (SQLite): random PDQ-like rows, and keypoint-like rows (`_mixed_descriptors`)."""
    from atelier.protection.theft import fingerprints, index
    from atelier.protection.theft.models import Fingerprint

    rng = np.random.default_rng(11)
    batch = 100_000
    per_item = max(1, -(-count // len(items)))
    for start in range(0, count, batch):
        values = rng.integers(0, 256, size=(min(batch, count - start), 32), dtype=np.uint8)
        corner = rng.random(len(values)) < corner_share
        if len(corner_chunks):
            values[corner] = _mixed_descriptors(rng, corner_chunks, int(corner.sum()))
        owners = [items[(start + n) // per_item] for n in range(len(values))]
        windows = np.where(corner, fingerprints.KEYPOINT, 0)
        geometry = rng.integers(0, 4096, size=(len(values), 4))
        if connection.vendor != "postgresql":
            Fingerprint.objects.bulk_create(
                Fingerprint(
                    item=item,
                    post_id=item.post_id,
                    author_id=author_id,
                    window=int(code),
                    value=row.tobytes(),
                    quality=100,
                    matchable=True,
                    **index.chunk_columns(row.tobytes()),
                    **dict(zip(("kp_x", "kp_y", "kp_size", "kp_angle"), _corner_of(code, at), strict=True)),
                )
                for row, code, at, item in zip(values, windows, geometry, owners, strict=True)
            )
            continue
        chunks = values.view(">u2").astype(np.int32) - 32768
        columns = ["item_id", "post_id", "author_id", "window", "value", "quality", "matchable", "created_at"]
        columns += [f"chunk_{n}" for n in range(16)] + ["kp_x", "kp_y", "kp_size", "kp_angle"]
        with connection.cursor() as cursor:
            raw = cursor.cursor
            quoted = ", ".join(f'"{column}"' for column in columns)  # "window" is a reserved word
            with raw.copy(f"COPY theft_fingerprint ({quoted}) FROM STDIN") as copy:
                for row, parts, code, at, item in zip(values, chunks, windows, geometry, owners, strict=True):
                    copy.write_row(
                        [
                            item.pk,
                            item.post_id,
                            author_id,
                            int(code),
                            row.tobytes(),
                            100,
                            True,
                            "now()",
                            *parts,
                            *_corner_of(code, at),
                        ]
                    )
        print(f"  {start + len(values)} random hashes")


def _corner_of(code, at) -> list[int | None]:
    return [int(at[0]), int(at[1]), int(at[2] % 400 + 40), int(at[3] % 360)] if code else [None] * 4


def _exhaustive_scan_ms(connection, items) -> float:
    """The lookup without the index: the Hamming distance to every stored hash (PostgreSQL's
    bit_count over the XOR), for the whole hash of a few works."""
    from atelier.protection.theft import fingerprints

    timings = []
    with connection.cursor() as cursor:
        for _, _, image, _ in items:
            query = fingerprints.query_hashes(image)[0].value
            t0 = time.perf_counter()
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT id FROM theft_fingerprint WHERE matchable AND "
                    "bit_count(('x' || encode(value, 'hex'))::bit(256) # ('x' || %s)::bit(256)) <= %s",
                    [query.hex(), 40],
                )
                cursor.fetchall()
            else:
                cursor.execute("SELECT value FROM theft_fingerprint WHERE matchable")
                [row for row in cursor.fetchall() if fingerprints.distance(bytes(row[0]), query) <= 40]
            timings.append((time.perf_counter() - t0) * 1000)
    return statistics.median(timings)


if __name__ == "__main__":
    main()
