"""Benchmark: the search part of bench/feeds.py alone, on the database a `feeds.py --seed-only` (or
`--keep`) run left, so search can be re-measured in minutes instead of a 10-minute seed and a whole
feeds run.

Run:  BENCH_DB_NAME=atelier_bench .venv/bin/python bench/search.py [--requests 200] [--explain 20]

For each search of bench/feeds_seed.SEARCHES it reports
- server time p50/p95 of sequential single requests (duration_ms of the JSON request log, gunicorn with
  production settings, exactly as bench/feeds.py measures search), with the ratio to the same case in
  bench/results/feeds.json (the baseline: that file is only rewritten by a whole feeds run);
- the SQL the page runs (captured in this process through the same selectors): each statement's
  median EXPLAIN (ANALYZE) time, the shared buffers its plan touches and the PostgreSQL backend's CPU
  time per run (from /proc);
- the CPU time of the site's Python side per request (in-process, through the whole middleware stack).
On a host other benches load, server times (and EXPLAIN times) swing with the load; buffers and CPU
times are the stable figures to compare code by.

With `--before PATH` (the search.json the previous code wrote on the same database, e.g. from an
export of the main branch with this script copied in), each case also carries those figures and
the ratios to them. Writes bench/results/search.json, with the load average before and after.
"""

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import feeds_measure  # noqa: E402
from bench.feeds import bench_env  # noqa: E402
from bench.feeds_measure import machine, prepare_site, single_requests, start_gunicorn  # noqa: E402
from bench.feeds_seed import DB_NAME, GOAL_P95_MS, SEARCHES  # noqa: E402

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


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc (the PostgreSQL backend runs here too)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def explain_ms(sql: str, repeats: int) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) `repeats` times: median planning + execution time, shared buffers
    touched, and the CPU the backend spent per run (from /proc, so waiting for a loaded host's
    cores does not count)."""
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
        cpu_before = _cpu_seconds(backend)
        for _ in range(repeats):
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
            result = cursor.fetchone()[0]
            result = json.loads(result) if isinstance(result, str) else result
            times.append(result[0]["Execution Time"] + result[0]["Planning Time"])
        cpu_ms = (_cpu_seconds(backend) - cpu_before) * 1000 / repeats
        buffers = result[0]["Plan"].get("Shared Hit Blocks", 0) + result[0]["Plan"].get("Shared Read Blocks", 0)
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return {
        "median_ms": round(statistics.median(times), 2),
        "max_ms": round(max(times), 2),
        "backend_cpu_ms": round(cpu_ms, 2),
        "buffers": buffers,
        "sql": sql[:400],
        "plan": plan,
    }


def app_cpu_ms(path: str, viewer_id: int, repeats: int) -> float:
    """CPU time of this process per request of `path` through the whole middleware stack (Django's
    test client, as gunicorn's handler would, signed in, with the pass cookie): the site's Python
    side, SQL waits excluded, however loaded the host is."""
    from django.test import Client

    from atelier.accounts.models import User
    from atelier.protection.shield.passes import PASS_COOKIE, mint_pass

    client = Client(HTTP_USER_AGENT=feeds_measure.AGENT, REMOTE_ADDR="127.0.0.1", HTTP_HOST="127.0.0.1")
    client.cookies[PASS_COOKIE] = mint_pass(address="127.0.0.1", user_agent=feeds_measure.AGENT, now=time.time())[0]
    client.force_login(User.objects.get(pk=viewer_id))
    for _ in range(5):
        if (status := client.get(path).status_code) != 200:
            raise RuntimeError(f"{path} answered {status}")
    samples = []
    for _ in range(repeats):
        started = time.process_time()
        client.get(path)
        samples.append((time.process_time() - started) * 1000)
    return round(statistics.median(samples), 2)


def _compare(after: dict, before: dict) -> dict:
    figures = (
        "server_p50_ms",
        "server_p95_ms",
        "sql_ms_median_total",
        "sql_backend_cpu_ms",
        "sql_buffers",
        "app_cpu_ms",
    )
    return {
        **{name: before[name] for name in figures},
        "ratios": {name: round(after[name] / before[name], 3) if before[name] else None for name in figures},
        "load_average": before.get("load_average"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="sequential requests per search")
    parser.add_argument("--explain", type=int, default=20, help="EXPLAIN ANALYZE runs per statement")
    parser.add_argument("--only", help="one search label of bench/feeds_seed.SEARCHES")
    parser.add_argument("--before", type=Path, help="search.json of the previous code on the same database")
    args = parser.parse_args()
    feeds_measure.SINGLE_REQUESTS = args.requests
    load_at_start = os.getloadavg()
    env = bench_env()
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], check=True, cwd=ROOT, env=env)
    viewers = prepare_site(env)
    baseline = json.loads(BASELINE.read_text())["search"] if BASELINE.exists() else {}
    searches = [case for case in SEARCHES if args.only in (None, case[0])]

    sql, app_cpu = {}, {}
    logging.disable(logging.INFO)  # the in-process requests below need no request log lines
    for label, query, kind in searches:
        statements = page_statements(query, kind, viewers["new"]["user_id"])
        sql[label] = [explain_ms(text, args.explain) for text in statements]
        path = f"/search/?{urlencode({'q': query, 'type': kind})}"
        app_cpu[label] = app_cpu_ms(path, viewers["new"]["user_id"], args.explain * 2)
    logging.disable(logging.NOTSET)

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
                "sql_backend_cpu_ms": round(sum(s["backend_cpu_ms"] for s in statements), 2),
                "sql_buffers": sum(s["buffers"] for s in statements),
                "app_cpu_ms": app_cpu[label],
                "baseline_server_p50_ms": before.get("server_p50_ms"),
                "baseline_server_p95_ms": before.get("server_p95_ms"),
                "p50_ratio": round(figures["server_p50_ms"] / before["server_p50_ms"], 3) if before else None,
                "p95_ratio": round(figures["server_p95_ms"] / before["server_p95_ms"], 3) if before else None,
                "meets_goal": figures["server_p95_ms"] <= GOAL_P95_MS,
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "sql": statements,
            }
            if args.before:
                results[label]["before"] = _compare(
                    results[label], json.loads(args.before.read_text())["search"][label]
                )
            print(
                f"  search {label}: {json.dumps({k: v for k, v in results[label].items() if k != 'sql'})}", flush=True
            )
    finally:
        server.terminate()
        server.wait(10)

    print()
    columns = f"{'cards':>6}{'p50':>8}{'p95':>8}{'was p50':>9}{'was p95':>9}{'p95 ×':>7}"
    print(f"{'search':<13}{'query':<18}{columns}{'SQL ms':>8}{'SQL CPU':>9}{'app CPU':>9}")
    for label, figures in results.items():
        print(
            f"{label:<13}{figures['query']!r:<18}{figures['cards']:>6}{figures['server_p50_ms']:>8.1f}"
            f"{figures['server_p95_ms']:>8.1f}{figures['baseline_server_p50_ms'] or float('nan'):>9.1f}"
            f"{figures['baseline_server_p95_ms'] or float('nan'):>9.1f}{figures['p95_ratio'] or float('nan'):>7.2f}"
            f"{figures['sql_ms_median_total']:>8.2f}{figures['sql_backend_cpu_ms']:>9.2f}{figures['app_cpu_ms']:>9.2f}"
            f"  {'ok' if figures['meets_goal'] else 'MISS'}"
        )
    report = {
        "goal": {"p95_ms_max": GOAL_P95_MS},
        "database": DB_NAME,
        "method": {
            "server_time": f"duration_ms from the JSON request log, {args.requests} sequential requests per search "
            "(after 10 warm-up requests), gunicorn 2 sync workers, config.settings.production, signed in as a new user",
            "sql": f"each statement the page's selectors run, EXPLAIN (ANALYZE, BUFFERS) {args.explain} times on a "
            "warm database: median of planning + execution time (sql_ms_median_total), the PostgreSQL backend's CPU "
            "time per run from /proc (sql_backend_cpu_ms) and the shared buffers the plan touched (sql_buffers)",
            "app_cpu": f"CPU time (process_time) of the site's Python side per request, median of {args.explain * 2} "
            "in-process requests through the whole middleware stack (test client), signed in as the same user",
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
