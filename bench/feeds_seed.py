"""Seeding for bench/feeds.py: a power-law social graph in PostgreSQL by COPY, and signed-in viewers.

Users, posts, follows, likes and comments go in with COPY (minutes, not hours, at 1M posts); the
three viewers the benchmark signs in get real sessions. Shared constants live here.
"""

import json
import os
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Engineers sharing a host each take their own database (BENCH_DB_NAME), as they take their own port.
DB_NAME = os.environ.get("BENCH_DB_NAME", "atelier_bench")
PG = "postgres://postgres@127.0.0.1:5432"
# Engineers sharing a host each take their own port (BENCH_PORT).
PORT = int(os.environ.get("BENCH_PORT", "8765"))
SEED_FACTS = ROOT / "var" / "bench-feeds-seed.json"  # what --reuse reports as the seed
FULL = {"users": 100_000, "posts": 1_000_000, "follows": 5_000_000, "likes": 5_000_000, "comments": 500_000}
FOLLOWED_BY_HEAVY_USER = 1_000
SINGLE_REQUESTS = 200
LOAD_SECONDS = 15  # per throughput run: 10 s runs of the same feed differed by up to ±5 %
CONCURRENCY = 12
PAIRED_ROUNDS = 6  # per feed: 6 slices of the feed and 6 of the baseline, alternating
PAIRED_SLICE_SECONDS = 4
GOAL_P95_MS = 50.0
GOAL_RATIO = 0.8
FEEDS = ("following", "discover", "home")
TITLE_ADJECTIVES = ["Quiet", "Stormy", "Golden", "Ruined", "Floating", "Ancient", "Neon", "Frozen", "Sunlit", "Hidden"]
TITLE_SUBJECTS = [
    "lighthouse",
    "harbour",
    "forest",
    "dragon",
    "portrait",
    "city",
    "temple",
    "robot",
    "garden",
    "ship",
    "mountain",
    "library",
    "market",
    "castle",
    "bridge",
    "desert",
    "station",
    "orchard",
    "tower",
    "canyon",
]
# (label, query, type): a word, the same word with a typo, two words, a tag (bench/feeds_seed_search.py
# tags posts), an artist's name and its typo.
SEARCHES = [
    ("word", "lighthouse", "posts"),
    ("typo", "lighthuose", "posts"),
    ("two_words", "stormy harbour", "posts"),
    ("tag", "watercolor", "posts"),
    ("artist", "Okafor", "artists"),
    ("artist_typo", "Okafr", "artists"),
]
# A few shared rendition names: the feeds only read the covers JSON, no files are needed.
COVER_VARIANTS = 8


def covers_json(variant: int) -> dict:
    def built(kind, side_h):
        sizes = [
            {
                "w": w,
                "h": round(w * side_h),
                "name": f"bench/{kind}{variant}-{w}.webp",
                "avif": f"bench/{kind}{variant}-{w}.avif",
            }
            for w in (320, 640, 1280)
        ]
        return {"sizes": sizes, "colour": f"#{variant * 30 % 256:02x}6a5a"}

    return {"thumbnail": built("t", 1.0), "cover": built("c", 0.5625)}


# --- seeding ------------------------------------------------------------------------------------------


def pg_connect(dbname: str = "postgres"):
    import psycopg

    return psycopg.connect(f"{PG}/{dbname}", autocommit=True)


def _zipf_ranks(rng, size: int, n: int, offset: float = 0.0):
    """Ranks 1..n with P(r) ∝ 1/(r + offset): a power law (offset 0 = Zipf, s = 1)."""
    import numpy as np

    u = rng.random(size)
    low, high = np.log(1 + offset), np.log(n + 1 + offset)
    ranks = np.floor(np.exp(low + u * (high - low)) - offset).astype(np.int64)
    return np.clip(ranks, 1, n)


def _copy(cursor, table: str, columns: str, lines, chunk: int = 200_000) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        buffer = []
        for line in lines:
            buffer.append(line)
            if len(buffer) >= chunk:
                copy.write("".join(buffer))
                buffer.clear()
        if buffer:
            copy.write("".join(buffer))


def seed(env: dict, scale: float) -> dict:
    import numpy as np

    sizes = {key: int(value * scale) for key, value in FULL.items()}
    n_users, n_posts = sizes["users"], sizes["posts"]
    timings = {}
    started = time.perf_counter()
    with pg_connect() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], check=True, cwd=ROOT, env=env)
    timings["create_and_migrate_s"] = time.perf_counter() - started
    rng = np.random.default_rng(13)
    now = datetime.now(UTC)
    stamp = now.isoformat()

    conn = pg_connect(DB_NAME)
    cursor = conn.cursor()
    cursor.execute("SET session_replication_role = replica")  # no FK triggers while copying consistent data

    step = time.perf_counter()
    _copy(
        cursor,
        "accounts_user",
        "id, password, is_superuser, email, handle, account_type, email_verified_at, pending_email, is_active, "
        "is_staff, date_joined",
        (f"{i}\t!bench\tf\tu{i}@bench.local\tu{i}\tartist\t{stamp}\t\tt\tf\t{stamp}\n" for i in range(1, n_users + 1)),
    )
    timings["users_s"] = time.perf_counter() - step

    # Follows: followees by a Zipf law over user ids (user 1 is the most followed: ~all users follow
    # them), followers uniform; duplicates and self-follows dropped.
    step = time.perf_counter()
    draws = int(sizes["follows"] * 1.25)
    followers = rng.integers(1, n_users + 1, draws)
    followees = _zipf_ranks(rng, draws, n_users)
    keys = np.unique(followers * (n_users + 1) + followees)
    keys = keys[keys // (n_users + 1) != keys % (n_users + 1)]
    # A random subset, copied in key order: B-tree inserts in order are several times faster.
    keys = np.sort(rng.choice(keys, min(keys.size, sizes["follows"]), replace=False))
    follow_pairs = np.stack([keys // (n_users + 1), keys % (n_users + 1)], axis=1)
    _copy(
        cursor,
        "social_follow",
        "follower_id, followee_id, created_at",
        (f"{a}\t{b}\t{stamp}\n" for a, b in follow_pairs.tolist()),
    )
    timings["follows_s"] = time.perf_counter() - step

    # Posts: authors by a softer power law (the busiest artists post a few thousand times), published
    # uniformly over the last 180 days.
    step = time.perf_counter()
    authors = _zipf_ranks(rng, n_posts, n_users, offset=50)
    ages = rng.random(n_posts) * 180 * 86400
    ages.sort()
    ages = ages[::-1]  # post ids grow with time, as in production
    published = [now - timedelta(seconds=float(age)) for age in ages]
    # Likes: a Zipf law over posts in a random order (a few posts get thousands), users uniform.
    like_posts = rng.permutation(n_posts)[_zipf_ranks(rng, int(sizes["likes"] * 1.05), n_posts, offset=10) - 1] + 1
    like_users = rng.integers(1, n_users + 1, like_posts.size)
    like_keys = np.unique(like_users * (n_posts + 1) + like_posts)
    like_keys = np.sort(rng.choice(like_keys, min(like_keys.size, sizes["likes"]), replace=False))
    comment_posts = rng.permutation(n_posts)[_zipf_ranks(rng, sizes["comments"], n_posts, offset=10) - 1] + 1
    comment_authors = rng.integers(1, n_users + 1, comment_posts.size)
    like_counts = np.bincount(like_keys % (n_posts + 1), minlength=n_posts + 1)
    comment_counts = np.bincount(comment_posts, minlength=n_posts + 1)
    covers = [json.dumps(covers_json(variant)) for variant in range(COVER_VARIANTS)]
    categories = ["concept_art", "illustration", "character_design", "environment", "comics", "fan_art"]
    mediums = ["digital_2d", "traditional", "3d", "photography"]
    decay = 12 * 3600  # atelier.posts.models.DISCOVER_DECAY_SECONDS

    def title(pk: int) -> str:  # varied words, so search has something to rank
        return f"{TITLE_ADJECTIVES[pk % len(TITLE_ADJECTIVES)]} {TITLE_SUBJECTS[(pk // 7) % len(TITLE_SUBJECTS)]} {pk}"

    def post_lines():
        for index in range(n_posts):
            pk = index + 1
            at = published[index]
            base = at.timestamp() / decay  # as atelier.posts.models.discover_base_for
            likes, comments = int(like_counts[pk]), int(comment_counts[pk])
            score = base + float(np.log10(1 + likes + 2 * comments))
            iso = at.isoformat()
            yield (
                f"{pk}\t{authors[index]}\t{title(pk)}\t\t{mediums[pk % 4]}\t{categories[pk % 6]}\t[]\t"
                f"{'t' if pk % 50 == 0 else 'f'}\tf\tpublic\t{iso}\t{covers[pk % COVER_VARIANTS]}\t1\t1\t"
                f"{iso}\t{iso}\t{iso}\t{base!r}\t{likes}\t{comments}\t{score!r}\tarr\t\n"
            )

    _copy(
        cursor,
        "posts_post",
        "id, author_id, title, description, medium, category, software, is_mature, made_with_ai, state, "
        "state_changed_at, covers, covers_version, covers_built_version, created_at, updated_at, published_at, "
        "discover_base, like_count, comment_count, discover_score, licence, held_reason",
        post_lines(),
    )
    timings["posts_s"] = time.perf_counter() - step
    step = time.perf_counter()
    # The search document trigger (search migration 0002) does not fire in replica mode: fill it here.
    cursor.execute("UPDATE posts_post SET search_document = setweight(to_tsvector('english', title), 'A')")
    timings["search_documents_s"] = time.perf_counter() - step

    step = time.perf_counter()
    _copy(
        cursor,
        "social_like",
        "user_id, post_id, created_at",
        (f"{k // (n_posts + 1)}\t{k % (n_posts + 1)}\t{stamp}\n" for k in like_keys.tolist()),
    )
    _copy(
        cursor,
        "social_comment",
        "post_id, author_id, body, body_html, created_at",
        (
            f"{p}\t{a}\tLovely\t<p>Lovely</p>\t{stamp}\n"
            for p, a in zip(comment_posts.tolist(), comment_authors.tolist(), strict=True)
        ),
    )
    timings["likes_and_comments_s"] = time.perf_counter() - step
    for table in ("accounts_user", "posts_post"):
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
    cursor.execute("SET session_replication_role = DEFAULT")
    step = time.perf_counter()
    cursor.execute("VACUUM ANALYZE")
    timings["vacuum_analyze_s"] = time.perf_counter() - step
    counts = {}
    for table in ("accounts_user", "posts_post", "social_follow", "social_like", "social_comment"):
        counts[table] = cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
    top = cursor.execute(
        "SELECT followee_id, count(*) FROM social_follow GROUP BY followee_id ORDER BY 2 DESC LIMIT 5"
    ).fetchall()
    conn.close()
    timings["total_s"] = time.perf_counter() - started
    return {
        "scale": scale,
        "target": sizes,
        "rows": counts,
        "most_followed": [{"user": u, "followers": n} for u, n in top],
        "timings": {k: round(v, 1) for k, v in timings.items()},
    }


def make_viewers(n_followed: int) -> dict:
    """The three people, signed in by sessions made directly; returns case → cookie and facts."""
    import django

    django.setup()
    import numpy as np
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore

    from atelier.accounts.models import User
    from atelier.social.models import Follow

    users = User.objects.count()
    viewers = {}
    for case in ("new", "follows_1000", "follower_of_top"):
        handle = f"bench_{case}"
        user = User.objects.filter(handle=handle).first() or User.objects.create_user(
            f"{handle}@bench.local", handle, secrets.token_urlsafe(16), email_verified_at=datetime.now(UTC)
        )
        viewers[case] = user
    top = Follow.objects.values("followee").annotate(n=django.db.models.Count("pk")).order_by("-n").first()["followee"]
    Follow.objects.filter(follower__in=viewers.values()).delete()
    rng = np.random.default_rng(7)
    n_followed = min(n_followed, users - 3)  # at small --scale there may be fewer artists than that
    chosen = []
    seen = set()
    while len(chosen) < n_followed:  # a power-law sample, as people follow the popular first
        for rank in _zipf_ranks(rng, n_followed, users - 3).tolist():
            if rank not in seen and len(chosen) < n_followed:
                seen.add(rank)
                chosen.append(rank)
    heavy = viewers["follows_1000"]
    Follow.objects.bulk_create([Follow(follower=heavy, followee_id=pk) for pk in chosen])
    # The top artist's follower follows what a typical seeded user follows (the mean degree), plus them.
    typical = list(Follow.objects.filter(follower_id=2).exclude(followee_id=top).values_list("followee_id", flat=True))
    fan = viewers["follower_of_top"]
    Follow.objects.bulk_create([Follow(follower=fan, followee_id=pk) for pk in [top, *typical]])
    out = {}
    for case, user in viewers.items():
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        out[case] = {
            "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
            "user_id": user.pk,
            "follows": Follow.objects.filter(follower=user).count(),
        }
    out["follower_of_top"]["top_artist"] = top
    out["follower_of_top"]["top_artist_followers"] = Follow.objects.filter(followee_id=top).count()
    return out


# --- measuring ----------------------------------------------------------------------------------------
