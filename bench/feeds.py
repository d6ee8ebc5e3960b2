"""Benchmark: Following, Discover and Home at 100k users, 1M posts, 5M follows, 5M likes.

Run:  .venv/bin/python bench/feeds.py [--scale 0.5] [--keep | --seed-only] [--reuse]
Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) and Redis on 127.0.0.1:6379; creates
and drops its own database (atelier_bench, or BENCH_DB_NAME; BENCH_PORT and BENCH_REDIS_URL likewise
keep benches on a shared host apart). For throughput it uses wrk when installed
(`apt-get install -y wrk`), else a Python thread-pool client (which costs more CPU per request).

It seeds with COPY (power-law follows, posts and likes: a few artists have ~100k followers), runs the
site under gunicorn (2 sync workers, production settings) and signs in three people by session
cookie: (a) a new user, (b) someone following 1,000 artists, (c) a follower of the 100k-follower
artist. For each feed it prints p50/p95 server time of single requests (duration_ms of the JSON
request log) and requests per second under concurrent load, next to a baseline measured in the
same run: the same template (feeds/feed.html) rendering 24 cards built in memory, with no database
(the baseline view lives in this file's bench-only URLconf, not in the app).
Goals (issue): p95 ≤ 50 ms in every case, every feed ≥ 0.8× the baseline's throughput; the throughput
ratio is paired: the feed and the baseline run in alternating 4 s slices and the median slice ratio counts.
Writes bench/results/feeds.json.
"""

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.feeds_measure import (  # noqa: E402
    machine,
    paired_throughput,
    prepare_site,
    single_requests,
    start_gunicorn,
    throughput,
)
from bench.feeds_seed import (  # noqa: E402 - after ROOT is importable
    CONCURRENCY,
    COVER_VARIANTS,
    DB_NAME,
    FEEDS,
    GOAL_P95_MS,
    GOAL_RATIO,
    LOAD_SECONDS,
    PAIRED_ROUNDS,
    PAIRED_SLICE_SECONDS,
    PG,
    SEARCHES,
    SEED_FACTS,
    SINGLE_REQUESTS,
    covers_json,
    pg_connect,
    seed,
)
from bench.feeds_seed_search import seed_search  # noqa: E402

# The load generator is one address hammering the site: the anti-scraping budgets are lifted, or the
# rate measured would be the rate of 429 refusals (bench/surge.py's baseline, with the surge's own budgets).
UNLIMITED_BUDGETS = {
    "SHIELD_PAGES_PER_MINUTE": "1000000000",
    "SHIELD_ACCOUNT_PAGES_PER_MINUTE": "1000000000",
    "SHIELD_MEDIA_PER_MINUTE": "1000000000",
}


def bench_env() -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=env.get("BENCH_SECRET_KEY") or "bench-" + secrets.token_urlsafe(48),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=f"{PG}/{DB_NAME}",
        REDIS_URL=env.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6"),  # one Redis DB per bench on a shared host
        CACHE_KEY_PREFIX="atelier-bench",
        **UNLIMITED_BUDGETS,
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
    from atelier.core.cursors import encode_cursor
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
                state=PostState.PUBLIC,
                covers=covers_json(index % COVER_VARIANTS),
                published_at=published_at,
                discover_base=discover_base_for(published_at),
            )
        )
    for post in posts:
        # As a feed marks its cards; unmarked, each card's bookmark button would cost the template a
        # failed lookup (Django then calls dir() on the post): ~0.3 ms a page the feeds never pay.
        post.viewer_bookmarked = False
    cursor = encode_cursor("discover", {"position": [posts[-1].discover_base, posts[-1].pk]})
    return FeedPage(posts, cursor), viewer


def __getattr__(name):
    """`urlpatterns`, built on first use so importing this module needs no configured Django."""
    if name == "urlpatterns":
        from django.urls import include, path

        return [path("bench/memory/", memory_feed), path("", include("config.urls"))]
    raise AttributeError(name)


def application(environ, start_response):
    """gunicorn's entry point: the production site (as config/wsgi.py builds it, stack room included)
    with this module as ROOT_URLCONF."""
    global _wsgi
    if "_wsgi" not in globals():
        from django.conf import settings
        from django.core.wsgi import get_wsgi_application

        from atelier.core.stack_room import with_stack_room

        _wsgi = with_stack_room(get_wsgi_application())
        settings.ROOT_URLCONF = "bench.feeds"
    return _wsgi(environ, start_response)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full seed sizes")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure the database a --keep run left")
    parser.add_argument("--seed-only", action="store_true", help="seed and keep the database, measure nothing")
    args = parser.parse_args()
    # The host is shared: its load over the run is part of the result (the paired ratios absorb it,
    # the absolute times do not).
    load_at_start = os.getloadavg()
    env = bench_env()
    os.environ.update(env)
    if args.reuse:
        seeded = json.loads(SEED_FACTS.read_text())
        print("Reusing the seeded database (bringing its schema up to date).")
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], check=True, cwd=ROOT, env=env)
    else:
        print(f"Seeding {DB_NAME} at scale {args.scale} …", flush=True)
        seeded = seed(env, args.scale)
        extras = seed_search()
        seeded["rows"].update(extras["rows"])
        seeded["timings"].update(extras["timings"])
        SEED_FACTS.parent.mkdir(exist_ok=True)
        SEED_FACTS.write_text(json.dumps(seeded))
        print(json.dumps(seeded["rows"]), seeded["timings"], flush=True)
        if args.seed_only:
            return
    viewers = prepare_site(env)
    log = ROOT / "var" / "bench-feeds-gunicorn.log"
    log.parent.mkdir(exist_ok=True)
    server = start_gunicorn(env, log)
    results, searches = {}, {}
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
        for case, viewer in viewers.items():
            for feed in FEEDS:
                label = f"{case}-{feed}"
                figures = single_requests(f"/feed/{feed}/", viewer["cookie"], label, log)
                paired = paired_throughput(f"/feed/{feed}/", viewer["cookie"], ("/bench/memory/", None))
                figures.update(paired, rps=paired["paired_rps"])
                results[label] = {"case": case, "feed": feed, **figures}
                print(f"  {label}: {figures}", flush=True)
            # Between the viewers too, so a drift in the machine's speed shows in the baseline.
            before = baselines[-1]["rps"]
            after = baseline(f"baseline-after-{case}")["rps"]
            for feed in FEEDS:  # for the record: the same feeds against the baselines either side of them
                figures = results[f"{case}-{feed}"]
                figures["rps_ratio_adjacent"] = round(figures["rps"] / ((before + after) / 2), 3)
        for label, query, kind in SEARCHES:  # server time only: search pages are not a throughput goal
            path = f"/search/?{urlencode({'q': query, 'type': kind})}"
            searches[label] = {
                "query": query,
                "type": kind,
                **single_requests(path, viewers["new"]["cookie"], f"search-{label}", log),
            }
            print(f"  search {label}: {searches[label]}", flush=True)
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
        figures["meets_goals"] = figures["server_p95_ms"] <= GOAL_P95_MS and figures["paired_ratio"] >= GOAL_RATIO
    print()
    print(
        f"Baseline (24 cards from memory): p50 {base['server_p50_ms']} ms, p95 {base['server_p95_ms']} ms, "
        f"{base['rps']} req/s  (runs: {', '.join(str(b['rps']) for b in baselines)})"
    )
    print(
        f"Baseline signed in (same, plus session and user query): p50 {signed_in['server_p50_ms']} ms, "
        f"p95 {signed_in['server_p95_ms']} ms, {signed_in['rps']} req/s"
    )
    header = (
        f"{'case':<17}{'feed':<11}{'cards':>6}{'p50 ms':>9}{'p95 ms':>9}{'base p95':>10}"
        f"{'req/s':>8}{'base':>8}{'paired':>8}{'vs mean':>9}{'vs signed-in':>14}{'vs adjacent':>13}  goal"
    )
    print(header)
    print("-" * len(header))
    for figures in results.values():
        print(
            f"{figures['case']:<17}{figures['feed']:<11}{figures['cards']:>6}{figures['server_p50_ms']:>9.1f}"
            f"{figures['server_p95_ms']:>9.1f}{base['server_p95_ms']:>10.1f}{figures['rps']:>8.0f}"
            f"{figures['paired_baseline_rps']:>8.0f}{figures['paired_ratio']:>8.2f}{figures['rps_ratio']:>9.2f}{figures['rps_ratio_signed_in']:>14.2f}{figures['rps_ratio_adjacent']:>13.2f}"
            f"  {'ok' if figures['meets_goals'] else 'MISS'}"
        )
    for label, figures in searches.items():
        print(
            f"search {label:<10} {figures['query']!r:<18} {figures['cards']:>3} cards  "
            f"p50 {figures['server_p50_ms']} ms  p95 {figures['server_p95_ms']} ms"
        )
    report = {
        "goals": {"p95_ms_max": GOAL_P95_MS, "rps_ratio_min": GOAL_RATIO},
        "method": {
            "server": "gunicorn, 2 sync workers, config.settings.production, DB connections kept (CONN_MAX_AGE=60)",
            "server_time": f"duration_ms from the JSON request log, {SINGLE_REQUESTS} sequential requests per case",
            "load": f"wrk at concurrency {CONCURRENCY}: each feed in {PAIRED_ROUNDS} slices of "
            f"{PAIRED_SLICE_SECONDS} s alternating (ABBA) with as many slices of the anonymous baseline; "
            f"each baseline and the signed-in baseline also in one {LOAD_SECONDS} s run",
            "baseline": "feeds/feed.html with 24 in-memory posts and an in-memory signed-in user, no database "
            "(the goal's reference), measured at the start and after each viewer's three feeds, averaged; "
            "baseline.signed_in: the same view with a real session cookie",
            "ratios": "paired_ratio (the goal's figure): the median of the feed's slices' ratios to the baseline "
            "slices beside them (rps: the feed slices' median); for the record, rps_ratio: against the mean of every "
            "baseline run; "
            "rps_ratio_adjacent (for the record): against the two baseline runs either side of that viewer's feeds",
        },
        "machine": {
            **machine(),
            "load_average": {
                "start": [round(x, 2) for x in load_at_start],
                "end": [round(x, 2) for x in os.getloadavg()],
            },
        },
        "seed": seeded,
        "viewers": {case: {k: v for k, v in viewer.items() if k != "cookie"} for case, viewer in viewers.items()},
        "baseline": base,
        "feeds": results,
        "search": searches,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    out = ROOT / "bench" / "results" / "feeds.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nWrote {out.relative_to(ROOT)}")
    if not args.keep:
        with pg_connect() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


if __name__ == "__main__":
    main()
