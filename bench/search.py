"""Benchmark: the search part of bench/feeds.py alone, on the database a `feeds.py --seed-only` (or
`--keep`) run left, so search can be re-measured in minutes instead of a 10-minute seed and a whole
feeds run.

Run:  BENCH_DB_NAME=atelier_bench .venv/bin/python bench/search.py [--requests 200] [--explain 20]

For each search of bench/feeds_seed.SEARCHES it reports
- server time p50/p95 of sequential single requests (duration_ms of the JSON request log, gunicorn with
  production settings, exactly as bench/feeds.py measures search), with the ratio to the same case in
  bench/results/feeds.json (the baseline: that file is only rewritten by a whole feeds run);
- the SQL the page runs (captured in this process through the same selectors) and the median
  execution time of each statement by EXPLAIN (ANALYZE): on a host other benches load, server times
  swing with the load while SQL execution times of a warm database barely move.
Writes bench/results/search.json, with the load average before and after.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import feeds_measure  # noqa: E402
from bench.feeds import bench_env  # noqa: E402
from bench.feeds_measure import machine, single_requests, start_gunicorn  # noqa: E402
from bench.feeds_seed import DB_NAME, FOLLOWED_BY_HEAVY_USER, GOAL_P95_MS, SEARCHES, make_viewers  # noqa: E402

BASELINE = ROOT / "bench" / "results" / "feeds.json"
OUT = ROOT / "bench" / "results" / "search.json"


def page_statements(query: str, kind: str, viewer_id: int) -> list[str]:
    """The SQL statements the search page's selectors run for `viewer_id` (session and user loads
    left out: every page pays those)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from atelier.accounts.models import User
    from atelier.albums.selectors import mark_bookmarked
    from atelier.search import selectors

    viewer = User.objects.get(pk=viewer_id)
    with CaptureQueriesContext(connection) as captured:
        page = selectors.search(viewer=viewer, query=query, kind=kind)
        if kind == selectors.SearchType.POSTS:
            mark_bookmarked(page.results, viewer)
    # Captured SQL has its parameters inlined by the driver (psycopg's mogrify): run it as is.
    return [item["sql"] for item in captured.captured_queries]


def explain_ms(sql: str, repeats: int) -> dict:
    from django.db import connection

    times, plan = [], ""
    with connection.cursor() as cursor:
        for _ in range(repeats):
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
            result = cursor.fetchone()[0]
            result = json.loads(result) if isinstance(result, str) else result
            times.append(result[0]["Execution Time"] + result[0]["Planning Time"])
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return {
        "median_ms": round(statistics.median(times), 2),
        "max_ms": round(max(times), 2),
        "sql": sql[:400],
        "plan": plan,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="sequential requests per search")
    parser.add_argument("--explain", type=int, default=20, help="EXPLAIN ANALYZE runs per statement")
    parser.add_argument("--only", help="one search label of bench/feeds_seed.SEARCHES")
    args = parser.parse_args()
    feeds_measure.SINGLE_REQUESTS = args.requests
    load_at_start = os.getloadavg()
    env = bench_env()
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], check=True, cwd=ROOT, env=env)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], check=True, cwd=ROOT, env=env
    )
    viewers = make_viewers(FOLLOWED_BY_HEAVY_USER)
    from atelier.protection.shield.passes import PASS_COOKIE, mint_pass

    value, _ = mint_pass(address="127.0.0.1", user_agent=feeds_measure.AGENT, now=time.time())
    feeds_measure.PASS_COOKIE = f"{PASS_COOKIE}={value}"
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    baseline = json.loads(BASELINE.read_text())["search"] if BASELINE.exists() else {}
    searches = [case for case in SEARCHES if args.only in (None, case[0])]

    sql = {}
    for label, query, kind in searches:
        statements = page_statements(query, kind, viewers["new"]["user_id"])
        sql[label] = [explain_ms(text, args.explain) for text in statements]

    log = ROOT / "var" / "bench-search-gunicorn.log"
    log.parent.mkdir(exist_ok=True)
    server = start_gunicorn(env, log)
    results = {}
    try:
        for label, query, kind in searches:
            path = f"/search/?{urlencode({'q': query, 'type': kind})}"
            figures = single_requests(path, viewers["new"]["cookie"], f"search-{label}", log)
            before = baseline.get(label, {})
            statements = sql[label]
            results[label] = {
                "query": query,
                "type": kind,
                **figures,
                "sql_statements": len(statements),
                "sql_ms_median_total": round(sum(s["median_ms"] for s in statements), 2),
                "baseline_server_p50_ms": before.get("server_p50_ms"),
                "baseline_server_p95_ms": before.get("server_p95_ms"),
                "p50_ratio": round(figures["server_p50_ms"] / before["server_p50_ms"], 3) if before else None,
                "p95_ratio": round(figures["server_p95_ms"] / before["server_p95_ms"], 3) if before else None,
                "meets_goal": figures["server_p95_ms"] <= GOAL_P95_MS,
                "sql": statements,
            }
            print(
                f"  search {label}: {json.dumps({k: v for k, v in results[label].items() if k != 'sql'})}", flush=True
            )
    finally:
        server.terminate()
        server.wait(10)

    print()
    columns = f"{'cards':>6}{'p50':>8}{'p95':>8}{'was p50':>9}{'was p95':>9}{'p95 ×':>7}{'SQL ms':>8}"
    print(f"{'search':<13}{'query':<18}{columns}")
    for label, figures in results.items():
        print(
            f"{label:<13}{figures['query']!r:<18}{figures['cards']:>6}{figures['server_p50_ms']:>8.1f}"
            f"{figures['server_p95_ms']:>8.1f}{figures['baseline_server_p50_ms'] or float('nan'):>9.1f}"
            f"{figures['baseline_server_p95_ms'] or float('nan'):>9.1f}{figures['p95_ratio'] or float('nan'):>7.2f}"
            f"{figures['sql_ms_median_total']:>8.2f}  {'ok' if figures['meets_goal'] else 'MISS'}"
        )
    report = {
        "goal": {"p95_ms_max": GOAL_P95_MS},
        "database": DB_NAME,
        "method": {
            "server_time": f"duration_ms from the JSON request log, {args.requests} sequential requests per search "
            "(after 10 warm-up requests), gunicorn 2 sync workers, config.settings.production, signed in as a new user",
            "sql": f"each statement the page's selectors run, EXPLAIN (ANALYZE, BUFFERS) {args.explain} times on a "
            "warm database: median of planning + execution time",
            "baseline": "the search section of bench/results/feeds.json (a whole feeds run)",
        },
        "machine": {
            **machine(),
            "load_average": {
                "start": [round(x, 2) for x in load_at_start],
                "end": [round(x, 2) for x in os.getloadavg()],
            },
        },
        "search": results,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    OUT.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nWrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
