"""How bench/feeds.py measures: single requests timed by the site's own request log, load from wrk
(or a Python thread pool without it), the gunicorn it measures, and the machine it ran on."""

import http.client
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.feeds_seed import (
    CONCURRENCY,
    LOAD_SECONDS,
    PAIRED_ROUNDS,
    PAIRED_SLICE_SECONDS,
    PORT,
    SINGLE_REQUESTS,
    pg_connect,
)

ROOT = Path(__file__).resolve().parents[1]


# Every request (baseline and feeds alike) is a browser that passed the site's check: its User-Agent
# and the pass cookie feeds.main mints for it (protection.shield.passes), as a reader's browser sends.
AGENT = "atelier-bench"
PASS_COOKIE = ""


def _cookies(cookie: str | None) -> str:
    return "; ".join(part for part in (cookie, PASS_COOKIE) if part)


def _get(path: str, cookie: str | None, request_id: str = "") -> tuple[int, bytes, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    headers = {"User-Agent": AGENT}
    if _cookies(cookie):
        headers["Cookie"] = _cookies(cookie)
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
    cards = body.count(b'<li class="post-card') + body.count(b'<li class="profile-card')
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


def paired_throughput(path: str, cookie: str | None, baseline: tuple[str, str | None]) -> dict:
    """The page and the baseline under load in alternating short slices (ABBA order), so both meet the
    same moments of a drifting machine: the ratio is the median of the slices' ratios. On a shared
    host, baselines measured minutes apart differed by up to ±15 %, more than the effects measured."""
    pairs, errors = [], set()
    for round_number in range(PAIRED_ROUNDS):
        runs = {}
        order = ("page", "baseline") if round_number % 2 else ("baseline", "page")
        for which in order:
            target = (path, cookie) if which == "page" else baseline
            runs[which] = throughput(*target, seconds=PAIRED_SLICE_SECONDS)
        pairs.append({"rps": runs["page"]["rps"], "baseline_rps": runs["baseline"]["rps"]})
        errors.update(str(run["errors"]) for run in runs.values() if run["errors"])
    return {
        "client": runs["page"]["client"],
        "errors": "; ".join(sorted(errors)),
        "paired_ratio": round(statistics.median(pair["rps"] / pair["baseline_rps"] for pair in pairs), 3),
        "paired_rps": round(statistics.median(pair["rps"] for pair in pairs), 1),
        "paired_baseline_rps": round(statistics.median(pair["baseline_rps"] for pair in pairs), 1),
        "pairs": pairs,
    }


def throughput(path: str, cookie: str | None, seconds: int = LOAD_SECONDS) -> dict:
    if shutil.which("wrk"):
        command = ["wrk", "-t2", f"-c{CONCURRENCY}", f"-d{seconds}s", "--latency", "-H", f"User-Agent: {AGENT}"]
        if _cookies(cookie):
            command += ["-H", f"Cookie: {_cookies(cookie)}"]
        output = subprocess.run(  # noqa: S603
            [*command, f"http://127.0.0.1:{PORT}{path}"], check=True, capture_output=True, text=True
        ).stdout
        rps = float(next(line for line in output.splitlines() if line.startswith("Requests/sec:")).split()[1])
        errors = next((line for line in output.splitlines() if "Non-2xx" in line or "Socket errors" in line), "")
        return {"client": "wrk", "rps": round(rps, 1), "errors": errors.strip()}
    return _python_load(path, cookie, seconds)


def _python_load(path: str, cookie: str | None, seconds: int) -> dict:
    done, failed, stop = [0], [0], time.perf_counter() + seconds
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


def prepare_site(env: dict) -> dict:
    """What both the feeds and the search bench do before serving: hashed static files collected (the
    production settings serve them from a manifest, which a fresh checkout lacks), the viewers made,
    the day's pass held by the bench's client (the browser check is on as in production), and the
    site's caches emptied (the viewers' follows were just rewritten behind its back). Returns the
    viewers."""
    import redis

    from bench.feeds_seed import FOLLOWED_BY_HEAVY_USER, make_viewers

    global PASS_COOKIE
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], check=True, cwd=ROOT, env=env
    )
    viewers = make_viewers(FOLLOWED_BY_HEAVY_USER)
    # Imported here: the module needs Django's apps, set up by make_viewers.
    from atelier.protection.shield.passes import PASS_COOKIE as COOKIE_NAME
    from atelier.protection.shield.passes import mint_pass

    value, _ = mint_pass(address="127.0.0.1", user_agent=AGENT, now=time.time())
    PASS_COOKIE = f"{COOKIE_NAME}={value}"
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    return viewers


def start_gunicorn(env: dict, log: Path, *, root: Path = ROOT, port: int = PORT) -> subprocess.Popen:
    """The site of checkout `root` under gunicorn (2 sync workers) on `port`, once it accepts connections.
    bench/search_paired.py serves two checkouts side by side this way."""
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    command = [gunicorn, "bench.feeds:application", "-w", "2", "-b", f"127.0.0.1:{port}", "--chdir", str(root)]
    process = subprocess.Popen(command, cwd=root, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)  # noqa: S603
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
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
    with pg_connect() as conn:
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
