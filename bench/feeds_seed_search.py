"""What search needs in the bench database beyond bench/feeds_seed.py's posts: artists' profiles (names,
headlines, skills) and tags on posts, so the tag and artist searches meet realistic tables, plus the
stored documents and the typo vocabulary the search migrations' triggers would have written (they do
not fire during a replica-mode bulk load).

Run on a database bench/feeds.py seeded earlier (it replaces what it wrote before):
    .venv/bin/python bench/feeds_seed_search.py
"""

import importlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.feeds_seed import DB_NAME, _copy, _zipf_ranks, pg_connect  # noqa: E402

FIRST = ["Ada", "Inès", "Kenji", "Maya", "Olu", "Sven", "Lucía", "Noor", "Piotr", "Amara", "Jonas", "Mei", "Zoé"]
LAST = ["Okafor", "Lindqvist", "Tanaka", "Moreau", "Kowalski", "Haddad", "Fischer", "Costa", "Nakamura", "Brennan"]
HEADLINES = [
    "Concept artist",
    "Illustrator",
    "Character designer",
    "Matte painter for film",
    "Comic artist",
    "Environment artist",
    "Watercolour painter",
    "3D sculptor",
]
SKILLS = ["Character rigging", "Matte painting", "Inking", "Colour scripts", "Storyboards", "Sculpting", "Lighting"]
# Tag popularity follows a power law over this list (the first is the most used).
TAGS = [
    "fantasy",
    "scifi",
    "wip",
    "sketch",
    "landscape",
    "character",
    "watercolor",
    "ink",
    "study",
    "creature",
    "architecture",
    "portrait",
    "nature",
    "mecha",
    "anime",
    "horror",
    "cozy",
    "pixelart",
    "oilpainting",
    "gouache",
] + [f"series{n}" for n in range(180)]
TAGS_PER_POST = (0, 1, 1, 2, 2, 3)  # 1.5 on average


def seed_search_extras(cursor, rng) -> dict:
    """Profiles for every user, 0–3 tags per post, then the documents and words; returns timings."""
    timings = {}
    # The seeded people are ids 1..n; the viewers (handles bench_…) keep the profiles they were made with.
    seeded = "FROM accounts_user WHERE handle NOT LIKE 'bench\\_%'"
    n_users = cursor.execute(f"SELECT max(id) {seeded}").fetchone()[0]
    n_posts = cursor.execute("SELECT max(id) FROM posts_post").fetchone()[0]
    step = time.perf_counter()
    cursor.execute(f"DELETE FROM accounts_profile WHERE user_id IN (SELECT id {seeded})")  # noqa: S608
    skills = [json.dumps([SKILLS[i % len(SKILLS)], SKILLS[(i * 3 + 1) % len(SKILLS)]]) for i in range(len(SKILLS))]
    _copy(
        cursor,
        "accounts_profile",
        "user_id, display_name, headline, bio, bio_html, location, website, social_links, skills, software, "
        "open_to_work, hiring, updated_at",
        (
            f"{i}\t{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}\t{HEADLINES[i % len(HEADLINES)]}"
            f"\t\t\t\t\t[]\t{skills[i % len(skills)]}\t[]\tf\tf\tnow\n"
            for i in range(1, n_users + 1)
        ),
    )
    profile_document = importlib.import_module("atelier.search.migrations.0002_indexed_search_documents")
    cursor.execute(
        "UPDATE accounts_profile SET search_document = "  # noqa: S608 - a constant of the migration
        + profile_document.PROFILE_DOCUMENT.format(row="accounts_profile")
    )
    timings["profiles_s"] = time.perf_counter() - step

    step = time.perf_counter()
    cursor.execute("TRUNCATE posts_post_tags")
    cursor.execute("DELETE FROM posts_tag")
    _copy(cursor, "posts_tag", "id, name", (f"{i + 1}\t{name}\n" for i, name in enumerate(TAGS)))
    counts = rng.choice(TAGS_PER_POST, n_posts)
    pairs = set()
    posts = sorted(int(pk) for pk in range(1, n_posts + 1) for _ in range(int(counts[pk - 1])))
    tags = _zipf_ranks(rng, len(posts), len(TAGS), offset=2).tolist()
    for post, tag in zip(posts, tags, strict=True):
        pairs.add((post, tag))
    _copy(cursor, "posts_post_tags", "post_id, tag_id", (f"{p}\t{t}\n" for p, t in sorted(pairs)))
    cursor.execute("SELECT setval(pg_get_serial_sequence('posts_tag', 'id'), (SELECT max(id) FROM posts_tag))")
    timings["tags_s"] = time.perf_counter() - step

    step = time.perf_counter()
    vocabulary = importlib.import_module("atelier.search.migrations.0003_typo_vocabulary")
    if cursor.execute("SELECT to_regclass('search_word')").fetchone()[0]:  # a schema before migration 0003 has none
        cursor.execute("TRUNCATE search_word")
        cursor.execute(vocabulary.BACKFILL)
        artists = importlib.import_module("atelier.search.migrations.0005_artist_words")
        cursor.execute(artists.BACKFILL)
    timings["search_words_s"] = time.perf_counter() - step
    # VACUUM, not only ANALYZE: the rows above went in while the GIN indexes existed, so their entries
    # sit in each index's pending list, which every search then scans (1.2 ms for an artist search
    # that matches nothing, at 100k profiles); autovacuum would merge it on a live site. It also
    # marks the tag table all-visible, so the tag branch's index-only scan skips the heap.
    for table in ("accounts_profile", "posts_tag", "posts_post_tags", "search_word"):
        if cursor.execute("SELECT to_regclass(%s)", [table]).fetchone()[0]:
            cursor.execute(f"VACUUM ANALYZE {table}")
    return {key: round(value, 1) for key, value in timings.items()}


def seed_search() -> dict:
    """seed_search_extras on the bench database, in its own connection; returns timings and row counts."""
    import numpy as np

    with pg_connect(DB_NAME) as conn, conn.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        timings = seed_search_extras(cursor, np.random.default_rng(17))
        cursor.execute("SET session_replication_role = DEFAULT")
        rows = {
            table: cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - constants
            for table in ("accounts_profile", "posts_tag", "posts_post_tags", "search_word")
            if cursor.execute("SELECT to_regclass(%s)", [table]).fetchone()[0]
        }
    return {"timings": timings, "rows": rows}


if __name__ == "__main__":
    print(seed_search())
