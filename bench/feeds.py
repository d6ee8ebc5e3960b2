"""Benchmark: Following, Discover and Home at 100k users, 1M posts, 5M follows, 5M likes.

Run:  .venv/bin/python bench/feeds.py [--scale 0.5] [--keep] [--reuse]
Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) and Redis on 127.0.0.1:6379; creates
and drops its own database (atelier_bench). For throughput it uses wrk when installed
(`apt-get install -y wrk`), else a Python thread-pool client (which costs more CPU per request).

It seeds with COPY (power-law follows, posts and likes: a few artists have ~100k followers), runs the
site under gunicorn (2 sync workers, production settings) and signs in three people by session
cookie: (a) a new user, (b) someone following 1,000 artists, (c) a follower of the 100k-follower
artist. For each feed it prints p50/p95 server time of single requests (duration_ms of the JSON
request log) and requests per second under concurrent load, next to a baseline measured in the
same run: the same template (feeds/feed.html) rendering 24 cards built in memory, with no database
(the baseline view lives in this file's bench-only URLconf, not in the app).
Goals (issue): p95 ≤ 50 ms in every case, every feed ≥ 0.8× the baseline's throughput.
Writes bench/results/feeds.json.
"""

import argparse
import http.client
import json
import os
import platform
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DB_NAME = "atelier_bench"
PG = "postgres://postgres@127.0.0.1:5432"
PORT = 8765
SEED_FACTS = ROOT / "var" / "bench-feeds-seed.json"  # what --reuse reports as the seed
FULL = {"users": 100_000, "posts": 1_000_000, "follows": 5_000_000, "likes": 5_000_000, "comments": 500_000}
FOLLOWED_BY_HEAVY_USER = 1_000
SINGLE_REQUESTS = 200
LOAD_SECONDS = 10
CONCURRENCY = 12
GOAL_P95_MS = 50.0
GOAL_RATIO = 0.8
FEEDS = ("following", "discover", "home")
# A few shared rendition names: the feeds only read the covers JSON, no files are needed.
_COVER_VARIANTS = 8


def bench_env() -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=env.get("BENCH_SECRET_KEY") or "bench-" + secrets.token_urlsafe(48),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=f"{PG}/{DB_NAME}",
        REDIS_URL="redis://127.0.0.1:6379/6",
        CACHE_KEY_PREFIX="atelier-bench",
    )
    env["BENCH_SECRET_KEY"] = env["SECRET_KEY"]  # the same key in this process and in gunicorn
    return env


# --- bench-only site: the app's URLs plus the in-memory baseline ------------------------------------

_memory_page = None


def memory_feed(request):
    """feeds/feed.html with 24 unsaved posts and an unsaved signed-in user: the template's cost alone."""
    from django.shortcuts import render

    global _memory_page
    if _memory_page is None:
        _memory_page = _build_memory_page()
    page, viewer = _memory_page
    if not request.COOKIES:
        request.user = viewer  # no session, no user query: no database at all
    # With a session cookie the signed-in person is loaded as on every page (session + one query):
    # the second baseline, which isolates what the feed's own queries cost.
    return render(request, "feeds/feed.html", {"title": "Discover", "feed": "discover", "page": page, "more_url": "/"})


def _build_memory_page():
    from atelier.accounts.models import User
    from atelier.feeds.cursors import encode_cursor
    from atelier.feeds.selectors import PAGE_SIZE, FeedPage
    from atelier.posts.models import Post, PostState, discover_base_for

    viewer = User(pk=10**9, handle="memory", email="memory@bench.local", email_verified_at=datetime.now(UTC))
    now = datetime.now(UTC)
    posts = []
    for index in range(PAGE_SIZE):
        author = User(pk=index + 1, handle=f"artist{index + 1}", email=f"artist{index + 1}@bench.local")
        published_at = now - timedelta(minutes=index)
        posts.append(
            Post(
                pk=index + 1,
                author=author,
                title=f"Post {index + 1} by artist {index + 1}",
                state=PostState.PUBLISHED,
                media_ready=True,
                covers=_covers(index % _COVER_VARIANTS),
                published_at=published_at,
                discover_base=discover_base_for(published_at),
            )
        )
    cursor = encode_cursor("discover", {"position": [posts[-1].discover_base, posts[-1].pk]})
    return FeedPage(posts, cursor), viewer


def __getattr__(name):
    """`urlpatterns`, built on first use so importing this module needs no configured Django."""
    if name == "urlpatterns":
        from django.urls import include, path

        return [path("bench/memory/", memory_feed), path("", include("config.urls"))]
    raise AttributeError(name)


def application(environ, start_response):
    """gunicorn's entry point: the production site with this module as ROOT_URLCONF."""
    global _wsgi
    if "_wsgi" not in globals():
        from django.conf import settings
        from django.core.wsgi import get_wsgi_application

        _wsgi = get_wsgi_application()
        settings.ROOT_URLCONF = "bench.feeds"
    return _wsgi(environ, start_response)


def _covers(variant: int) -> dict:
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


def _pg(dbname: str = "postgres"):
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
    with _pg() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], check=True, cwd=ROOT, env=env)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], check=True, cwd=ROOT, env=env
    )
    timings["create_and_migrate_s"] = time.perf_counter() - started
    rng = np.random.default_rng(13)
    now = datetime.now(UTC)
    stamp = now.isoformat()

    conn = _pg(DB_NAME)
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
    covers = [json.dumps(_covers(variant)) for variant in range(_COVER_VARIANTS)]
    categories = ["concept_art", "illustration", "character_design", "environment", "comics", "fan_art"]
    mediums = ["digital_2d", "traditional", "3d", "photography"]
    decay = 12 * 3600  # atelier.posts.models.DISCOVER_DECAY_SECONDS

    def post_lines():
        for index in range(n_posts):
            pk = index + 1
            at = published[index]
            base = at.timestamp() / decay  # as atelier.posts.models.discover_base_for
            likes, comments = int(like_counts[pk]), int(comment_counts[pk])
            score = base + float(np.log10(1 + likes + 2 * comments))
            iso = at.isoformat()
            yield (
                f"{pk}\t{authors[index]}\tWork {pk}\t\t{mediums[pk % 4]}\t{categories[pk % 6]}\t[]\t"
                f"{'t' if pk % 50 == 0 else 'f'}\tf\tpublished\tt\t{covers[pk % _COVER_VARIANTS]}\t1\t1\t"
                f"{iso}\t{iso}\t{iso}\t{base!r}\t{likes}\t{comments}\t{score!r}\n"
            )

    _copy(
        cursor,
        "posts_post",
        "id, author_id, title, description, medium, category, software, is_mature, made_with_ai, state, "
        "media_ready, covers, covers_version, covers_built_version, created_at, updated_at, published_at, "
        "discover_base, like_count, comment_count, discover_score",
        post_lines(),
    )
    timings["posts_s"] = time.perf_counter() - step

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


def _get(path: str, cookie: str | None, request_id: str = "") -> tuple[int, bytes, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    if request_id:
        headers["X-Request-ID"] = request_id
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body, (time.perf_counter() - started) * 1000


def single_requests(path: str, cookie: str | None, label: str, log: Path) -> dict:
    for _ in range(10):  # warm the workers' connections and caches
        status, body, _ = _get(path, cookie)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}: {body[:300]!r}")
    cards = body.count(b'<li class="post-card')
    ids, client_ms = [], []
    for index in range(SINGLE_REQUESTS):
        request_id = f"bench-{label}-{index:04d}"
        _, _, ms = _get(path, cookie, request_id)
        ids.append(request_id)
        client_ms.append(ms)
    time.sleep(0.3)
    server_ms = _server_times(log, set(ids))
    return {
        "cards": cards,
        "bytes": len(body),
        "server_p50_ms": _percentile(server_ms, 50),
        "server_p95_ms": _percentile(server_ms, 95),
        "client_p50_ms": _percentile(client_ms, 50),
        "client_p95_ms": _percentile(client_ms, 95),
        "samples": len(server_ms),
    }


def _server_times(log: Path, ids: set[str]) -> list[float]:
    times = []
    for line in log.read_text(errors="replace").splitlines():
        if '"bench-' not in line:
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if record.get("request_id") in ids:
            times.append(float(record["duration_ms"]))
    return times


def _percentile(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))], 2) if ordered else float("nan")


def throughput(path: str, cookie: str | None) -> dict:
    if shutil.which("wrk"):
        command = ["wrk", "-t2", f"-c{CONCURRENCY}", f"-d{LOAD_SECONDS}s", "--latency"]
        if cookie:
            command += ["-H", f"Cookie: {cookie}"]
        output = subprocess.run(  # noqa: S603
            [*command, f"http://127.0.0.1:{PORT}{path}"], check=True, capture_output=True, text=True
        ).stdout
        rps = float(next(line for line in output.splitlines() if line.startswith("Requests/sec:")).split()[1])
        errors = next((line for line in output.splitlines() if "Non-2xx" in line or "Socket errors" in line), "")
        return {"client": "wrk", "rps": round(rps, 1), "errors": errors.strip()}
    return _python_load(path, cookie)


def _python_load(path: str, cookie: str | None) -> dict:
    done, failed, stop = [0], [0], time.perf_counter() + LOAD_SECONDS
    lock = threading.Lock()

    def worker():
        while time.perf_counter() < stop:
            status, _, _ = _get(path, cookie)
            with lock:
                done[0] += 1
                failed[0] += status != 200

    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        for _ in range(CONCURRENCY):
            pool.submit(worker)
    return {"client": "python", "rps": round(done[0] / (time.perf_counter() - started), 1), "errors": failed[0]}


def start_gunicorn(env: dict, log: Path) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    command = [gunicorn, "bench.feeds:application", "-w", "2", "-b", f"127.0.0.1:{PORT}", "--chdir", str(ROOT)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)  # noqa: S603
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"gunicorn did not start; see {log}")


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    with _pg() as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
        shared_buffers = conn.execute("SHOW shared_buffers").fetchone()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "postgresql": pg_version,
        "shared_buffers": shared_buffers,
        "platform": platform.platform(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full seed sizes")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure the database a --keep run left")
    args = parser.parse_args()
    env = bench_env()
    os.environ.update(env)
    if args.reuse:
        seeded = json.loads(SEED_FACTS.read_text())
        print("Reusing the seeded database.")
    else:
        print(f"Seeding {DB_NAME} at scale {args.scale} …", flush=True)
        seeded = seed(env, args.scale)
        SEED_FACTS.parent.mkdir(exist_ok=True)
        SEED_FACTS.write_text(json.dumps(seeded))
        print(json.dumps(seeded["rows"]), seeded["timings"], flush=True)
    viewers = make_viewers(FOLLOWED_BY_HEAVY_USER)
    log = ROOT / "var" / "bench-feeds-gunicorn.log"
    log.parent.mkdir(exist_ok=True)
    server = start_gunicorn(env, log)
    results = {}
    try:
        baselines = []

        def baseline(label):
            figures = single_requests("/bench/memory/", None, label, log)
            figures.update(throughput("/bench/memory/", None))
            baselines.append(figures)
            return figures

        baseline("baseline-start")
        signed_in = single_requests("/bench/memory/", viewers["new"]["cookie"], "baseline-signed-in", log)
        signed_in.update(throughput("/bench/memory/", viewers["new"]["cookie"]))
        for case, viewer in ((k, v) for k, v in viewers.items()):
            for feed in FEEDS:
                label = f"{case}-{feed}"
                figures = single_requests(f"/feed/{feed}/", viewer["cookie"], label, log)
                figures.update(throughput(f"/feed/{feed}/", viewer["cookie"]))
                results[label] = {"case": case, "feed": feed, **figures}
                print(f"  {label}: {figures}", flush=True)
        baseline("baseline-end")
    finally:
        server.terminate()
        server.wait(10)
    base = {
        "server_p50_ms": round(statistics.mean(b["server_p50_ms"] for b in baselines), 2),
        "server_p95_ms": round(statistics.mean(b["server_p95_ms"] for b in baselines), 2),
        "rps": round(statistics.mean(b["rps"] for b in baselines), 1),
        "runs": baselines,
    }
    base["signed_in"] = signed_in
    for figures in results.values():
        figures["rps_ratio"] = round(figures["rps"] / base["rps"], 3)
        figures["rps_ratio_signed_in"] = round(figures["rps"] / signed_in["rps"], 3)
        figures["meets_goals"] = figures["server_p95_ms"] <= GOAL_P95_MS and figures["rps_ratio"] >= GOAL_RATIO
    print()
    print(
        f"Baseline (24 cards from memory): p50 {base['server_p50_ms']} ms, p95 {base['server_p95_ms']} ms, "
        f"{base['rps']} req/s  (start {baselines[0]['rps']}, end {baselines[-1]['rps']})"
    )
    print(
        f"Baseline signed in (same, plus session and user query): p50 {signed_in['server_p50_ms']} ms, "
        f"p95 {signed_in['server_p95_ms']} ms, {signed_in['rps']} req/s"
    )
    header = (
        f"{'case':<17}{'feed':<11}{'cards':>6}{'p50 ms':>9}{'p95 ms':>9}{'base p95':>10}"
        f"{'req/s':>8}{'base':>8}{'ratio':>7}{'vs signed-in':>14}  goal"
    )
    print(header)
    print("-" * len(header))
    for figures in results.values():
        print(
            f"{figures['case']:<17}{figures['feed']:<11}{figures['cards']:>6}{figures['server_p50_ms']:>9.1f}"
            f"{figures['server_p95_ms']:>9.1f}{base['server_p95_ms']:>10.1f}{figures['rps']:>8.0f}{base['rps']:>8.0f}"
            f"{figures['rps_ratio']:>7.2f}{figures['rps_ratio_signed_in']:>14.2f}"
            f"  {'ok' if figures['meets_goals'] else 'MISS'}"
        )
    report = {
        "goals": {"p95_ms_max": GOAL_P95_MS, "rps_ratio_min": GOAL_RATIO},
        "method": {
            "server": "gunicorn, 2 sync workers, config.settings.production, DB connections kept (CONN_MAX_AGE=60)",
            "server_time": f"duration_ms from the JSON request log, {SINGLE_REQUESTS} sequential requests per case",
            "load": f"{LOAD_SECONDS} s at concurrency {CONCURRENCY} per case",
            "baseline": "feeds/feed.html with 24 in-memory posts and an in-memory signed-in user, no database "
            "(the goal's reference); baseline.signed_in: the same view with a real session cookie",
        },
        "machine": machine(),
        "seed": seeded,
        "viewers": {case: {k: v for k, v in viewer.items() if k != "cookie"} for case, viewer in viewers.items()},
        "baseline": base,
        "feeds": results,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    out = ROOT / "bench" / "results" / "feeds.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nWrote {out.relative_to(ROOT)}")
    if not args.keep:
        with _pg() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


if __name__ == "__main__":
    main()
