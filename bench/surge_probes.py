"""What bench/surge.py reads from the running stack: CPU seconds per process kind (/proc), the Celery
queues' backlog (the Redis broker's lists), the database's and object store's bytes, and the paired
in-memory baseline of bench/feeds.py served by its own gunicorn."""

import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")
QUEUES = ("media", "detection", "default", "email")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except OSError:
        return []


def kind_of(pid: int) -> str | None:
    """gunicorn / celery-<queues> / beat / nginx / seaweedfs, from the command line."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    if "gunicorn" in command:
        return "gunicorn"
    if "celery" in command and " beat" in command:
        return "beat"
    queues = re.search(r"--queues (\S+)", command)
    if "celery" in command and queues:
        return f"celery-{queues.group(1)}"
    if "nginx" in command:
        return "nginx"
    if "weed" in command:
        return "seaweedfs"
    return None


def cpu_seconds(pid: int) -> tuple[float, float]:
    """utime + stime of one process, and cutime + cstime: the whole lives of its children it has
    reaped (a gunicorn worker recycled after max-requests, a Celery child that exited)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS, (int(fields[13]) + int(fields[14])) / TICKS


def postgres_pids(database: str) -> list[int]:
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database]).fetchall()
    return [row[0] for row in rows]


class CpuMeter:
    """CPU seconds by process kind between two snapshots, counting processes that exit in between.

    gunicorn recycles each worker after ~10,000 requests, and a surge serves far more: a worker that
    exits between the snapshots is gone from the second one, and a meter reading only the live
    processes lost all it had spent since the first (the committed surge.json of 2026-12-06 gave
    gunicorn 54 s of CPU for 32,852 pages, 1.6 ms a page against 7–10 ms in every step). Its whole
    life is then in its parent's reaped children (`cpu_seconds`), so for a process gone since the
    first snapshot its parent's growth in those counts it, less what it had spent by the first
    snapshot, when that parent is one of ours (otherwise it loses its last seconds, as before).
    PostgreSQL's backends are the postmaster's children, not ours: one that ends between the
    snapshots (a recycled worker's connection) also loses its last seconds.
    `database` None: no PostgreSQL backends (a test's process tree)."""

    def __init__(self, stack_pid: int, database: str | None):
        self.stack_pid, self.database = stack_pid, database

    def snapshot(self) -> dict[int, tuple[str, float, float, int]]:
        """pid → (kind, own CPU seconds, reaped children's, parent pid)."""
        parents, todo = {self.stack_pid: 0}, [self.stack_pid]
        while todo:
            pid = todo.pop()
            for child in _children(pid):
                parents[child] = pid
                todo.append(child)
        shot = {}
        for pid, parent in parents.items():
            kind = kind_of(pid)
            if kind:
                shot[pid] = (kind, *cpu_seconds(pid), parent)
        for pid in postgres_pids(self.database) if self.database else []:
            shot[pid] = ("postgres", *cpu_seconds(pid), 0)
        return shot

    @staticmethod
    def delta(before: dict, after: dict) -> dict[str, float]:
        out: dict[str, float] = {}
        for pid, (kind, own, reaped, _) in after.items():
            _, own_before, reaped_before, _ = before.get(pid, (kind, 0.0, 0.0, 0))
            out[kind] = out.get(kind, 0.0) + (own - own_before) + (reaped - reaped_before)
        for pid, (kind, own_before, reaped_before, parent) in before.items():
            if pid not in after and parent in after:  # its whole life is in its parent's reaped counts
                out[kind] = out.get(kind, 0.0) - own_before - reaped_before
        return {kind: round(value, 3) for kind, value in sorted(out.items())}


def spread(before: dict, after: dict, kind: str) -> list[float]:
    """Each live process of `kind`'s CPU seconds between two `CpuMeter.snapshot`s, most first: whether
    the app servers shared the pages evenly (a process serving more than its share is busy while
    another waits)."""
    spent = [own - before.get(pid, (kind, 0.0))[1] for pid, (one, own, _, _) in after.items() if one == kind]
    return sorted((round(value, 2) for value in spent), reverse=True)


def self_cpu() -> float:
    """This process's and its reaped children's CPU (the locust runs): the load generator's cost."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


class QueueSampler(threading.Thread):
    """Every `every` seconds: each Celery queue's length in the broker and the posts still checking."""

    def __init__(self, redis_url: str, database_url: str, every: float = 2.0):
        super().__init__(daemon=True)
        self.redis = redis.Redis.from_url(redis_url)
        self.database_url, self.every = database_url, every
        self.samples: list[dict] = []
        self.stopping = threading.Event()

    def run(self):
        busy_before = _machine_busy()
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self.stopping.is_set():
                sample = {"t": round(time.time(), 2)}
                busy_now = _machine_busy()
                # Whether the box had CPU to spare meanwhile: a queue growing on an idle box wants
                # more worker processes, on a busy one more cores.
                sample["cpu_busy"] = round((busy_now[0] - busy_before[0]) / max(busy_now[1] - busy_before[1], 1), 3)
                busy_before = busy_now
                for queue in QUEUES:
                    sample[queue] = self.redis.llen(queue)
                sample["posts_checking"] = conn.execute(
                    "SELECT count(*) FROM posts_post WHERE state = 'checking'"
                ).fetchone()[0]
                self.samples.append(sample)
                self.stopping.wait(self.every)

    def stop(self) -> list[dict]:
        self.stopping.set()
        self.join(10)
        return self.samples


def _machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of every core since boot, from /proc/stat's first line."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def stored_bytes(env: dict, database: str) -> dict:
    """The database's size and the object store's bytes per bucket (listing every object)."""
    import boto3

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        db_bytes = conn.execute("SELECT pg_database_size(%s)", [database]).fetchone()[0]
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        tables = conn.execute(
            "SELECT relname, pg_total_relation_size(relid) FROM pg_statio_user_tables ORDER BY 2 DESC LIMIT 12"
        ).fetchall()
        people = conn.execute("SELECT count(*) FROM accounts_user").fetchone()[0]
        posts = conn.execute("SELECT count(*) FROM posts_post").fetchone()[0]
        items = conn.execute("SELECT count(*) FROM posts_mediaitem").fetchone()[0]
        # The seed's extra posts reuse the pipeline's renditions: count each stored image once.
        distinct = conn.execute("SELECT count(DISTINCT renditions::text) FROM posts_mediaitem").fetchone()[0]
    s3 = boto3.client(
        "s3", endpoint_url=env["AWS_S3_ENDPOINT_URL"], aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name=env.get("AWS_S3_REGION_NAME", "us-east-1"),
    )  # fmt: skip
    buckets = {}
    for bucket in (env["AWS_STORAGE_BUCKET_NAME"], env["AWS_PRIVATE_BUCKET_NAME"]):
        total = objects = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                total, objects = total + item["Size"], objects + 1
        buckets[bucket] = {"bytes": total, "objects": objects}
    return {
        "database_bytes": db_bytes,
        "largest_tables": {name: size for name, size in tables},
        "people": people,
        "posts": posts,
        "media_items": items,
        "media_items_distinct": distinct,
        "object_store": buckets,
    }


def start_baseline(env: dict, address: str, log: Path) -> subprocess.Popen:
    """bench/feeds.py's in-memory baseline (/bench/memory/: feeds/feed.html with 24 cards from
    memory, no database) under gunicorn, 2 sync workers as there, on the stack's settings."""
    command = [
        sys.executable, "-m", "gunicorn", "bench.feeds:application", "--bind", address, "--workers", "2",
        "--worker-class", "sync", "--access-logfile", "-",
    ]  # fmt: skip
    from bench.feeds import UNLIMITED_BUDGETS

    # As bench/feeds.py runs it: the budgets lifted. With the surge's own budgets, wrk from one address
    # was refused within the first second and 31,915 of 32,395 baseline requests were 429s (the
    # "baseline" of 1,311 req/s in results before 2026-12-06 16:30 UTC measured those refusals).
    baseline_env = env | {"ALLOWED_HOSTS": "127.0.0.1,localhost", "TRUSTED_PROXY_COUNT": "0"} | UNLIMITED_BUDGETS
    return subprocess.Popen(command, cwd=ROOT, env=baseline_env, stdout=log.open("w"), stderr=subprocess.STDOUT)  # noqa: S603


def wrk_rate(url: str, seconds: int, headers: dict | None = None) -> float:
    command = ["wrk", "-t2", "-c12", f"-d{seconds}s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    refused = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if refused:  # a rate of refusals or redirects is not the page's rate
        raise RuntimeError(f"{refused.group(1)} of the baseline's responses were not 200: {url}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def baseline_rates(url: str, *, slices: int, seconds: int, headers: dict) -> dict:
    """The median of `slices` wrk runs of `seconds`, after one short run whose rate is dropped: the
    first slice after minutes of other load ran 20–35 % below the next (bench/results/surge.json)."""
    wrk_rate(url, 2, headers)
    rates = [wrk_rate(url, seconds, headers) for _ in range(slices)]
    return {"rps": round(statistics.median(rates), 1), "slices": [round(r, 1) for r in rates]}
