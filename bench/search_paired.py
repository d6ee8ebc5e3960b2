"""Benchmark: search server times of this checkout against another (the previous code), request by
request in alternation, so both meet the same moments of a host other work loads.

Run (after bench/search.py, on the same database; OTHER is a checkout of the previous code whose
bench/feeds.py serves the site, e.g. `git archive main | tar -x -C /tmp/before`):
    BENCH_DB_NAME=atelier_bench .venv/bin/python bench/search_paired.py OTHER [--requests 200]

Both sites run under gunicorn with production settings (2 sync workers each: this checkout on
BENCH_PORT, the other on BENCH_PORT + 1), signed in as bench/feeds.py's new user; each search is asked
of both alternately (ABBA), and p50/p95 of the request log's duration_ms are compared per search.
The figures go into bench/results/search.json (each case's "paired" entry), whose other figures
bench/search.py wrote.
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import feeds_measure  # noqa: E402
from bench.feeds import bench_env  # noqa: E402
from bench.feeds_measure import _percentile, _server_times, start_gunicorn  # noqa: E402
from bench.feeds_seed import FOLLOWED_BY_HEAVY_USER, GOAL_P95_MS, PORT, SEARCHES, make_viewers  # noqa: E402

OUT = ROOT / "bench" / "results" / "search.json"


def _start(root: Path, port: int, env: dict, log: Path) -> subprocess.Popen:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], check=True, cwd=root, env=env
    )
    return start_gunicorn(env, log, root=root, port=port)


def _get(port: int, path: str, cookie: str, request_id: str = "") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"User-Agent": feeds_measure.AGENT, "Cookie": f"{cookie}; {feeds_measure.PASS_COOKIE}"}
    if request_id:
        headers["X-Request-ID"] = request_id
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="checkout of the previous code")
    parser.add_argument("--requests", type=int, default=200, help="requests per search and site")
    args = parser.parse_args()
    env = bench_env()
    os.environ.update(env)
    viewers = make_viewers(FOLLOWED_BY_HEAVY_USER)
    from atelier.protection.shield.passes import PASS_COOKIE, mint_pass

    feeds_measure.PASS_COOKIE = (
        f"{PASS_COOKIE}={mint_pass(address='127.0.0.1', user_agent=feeds_measure.AGENT, now=time.time())[0]}"
    )
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    cookie = viewers["new"]["cookie"]
    sites = {"after": (ROOT, PORT), "before": (args.other.resolve(), PORT + 1)}
    logs = {name: ROOT / "var" / f"bench-search-paired-{name}.log" for name in sites}
    servers = {name: _start(root, port, env, logs[name]) for name, (root, port) in sites.items()}
    load_at_start = os.getloadavg()
    paired = {}
    try:
        for label, query, kind in SEARCHES:
            path = f"/search/?{urlencode({'q': query, 'type': kind})}"
            for name, (_, port) in sites.items():
                for _ in range(10):  # warm each site's workers, connections and caches
                    if (status := _get(port, path, cookie)) != 200:
                        raise RuntimeError(f"{name} {path} answered {status}")
            ids = {name: set() for name in sites}
            for index in range(args.requests):
                order = ("after", "before") if index % 4 in (0, 3) else ("before", "after")  # ABBA
                for name in order:
                    request_id = f"bench-paired-{name}-{label}-{index:04d}"
                    _get(sites[name][1], path, cookie, request_id)
                    ids[name].add(request_id)
            time.sleep(0.3)
            figures = {}
            for name in sites:
                times = _server_times(logs[name], ids[name])
                figures[name] = {
                    "server_p50_ms": _percentile(times, 50),
                    "server_p95_ms": _percentile(times, 95),
                    "samples": len(times),
                }
            figures["p50_ratio"] = round(figures["after"]["server_p50_ms"] / figures["before"]["server_p50_ms"], 3)
            figures["p95_ratio"] = round(figures["after"]["server_p95_ms"] / figures["before"]["server_p95_ms"], 3)
            figures["meets_goal"] = figures["after"]["server_p95_ms"] <= GOAL_P95_MS
            figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
            paired[label] = figures
            print(f"  {label}: {json.dumps(figures)}", flush=True)
    finally:
        for server in servers.values():
            server.terminate()
            server.wait(10)
    print(f"\n{'search':<13}{'p50 before':>11}{'p50 after':>10}{'p95 before':>11}{'p95 after':>10}{'p95 ×':>7}")
    for label, figures in paired.items():
        before, after = figures["before"], figures["after"]
        print(
            f"{label:<13}{before['server_p50_ms']:>11.1f}{after['server_p50_ms']:>10.1f}"
            f"{before['server_p95_ms']:>11.1f}{after['server_p95_ms']:>10.1f}{figures['p95_ratio']:>7.2f}"
            f"  {'ok' if figures['meets_goal'] else 'MISS'}"
        )
    report = json.loads(OUT.read_text()) if OUT.exists() else {"search": {}}
    for label, figures in paired.items():
        report["search"].setdefault(label, {})["paired"] = figures
    report.setdefault("method", {})["paired"] = (
        f"this code and the previous one ({args.other}) served side by side on the same database (gunicorn, 2 sync "
        f"workers each), each search asked of both alternately (ABBA), {args.requests} requests per site: "
        "p50/p95 of duration_ms from each site's request log"
    )
    report["paired_load_average"] = {
        "start": [round(x, 2) for x in load_at_start],
        "end": [round(x, 2) for x in os.getloadavg()],
    }
    OUT.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nWrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
