"""The crowd arrives (issue 19): the whole production stack under a day's mix, then a 7× surge.

    .venv/bin/python bench/surge.py [--quick] [--rates 5,10,20,40] [--step-seconds 25] [--surge 40,60,90,30] …

Writes an environment file (var/surge/env: its own PostgreSQL database, Redis DB, ports 8280–8290,
mail to files) and starts the stack with deploy/run_stack.py as `bin/stack --env` does: nginx,
gunicorn, Celery pools, beat, SeaweedFS. Seeds people, follows and posts whose images went through
the real pipeline (bench/surge_seed.py), then drives the edge with locust (bench/surge_locust.py) in
its own single process: the box has 2 cores, shared by the stack and the load generator, so one
locust process (not --processes) leaves the stack the most CPU; its own CPU is recorded.

1. Calibration: each class alone, CPU seconds per request from /proc (gunicorn, workers, nginx,
   PostgreSQL backends of this database) — and per upload, waiting for its workers to finish.
2. Step search: the mix at rising page rates; the base rate is the highest with page p95 ≤ 200 ms
   and no errors. People arrive over SPAWN_SECONDS and each step is measured from SETTLE_SECONDS
   after its first request: a steady rate, not every person's first page in one second. The feeds
   bench's in-memory baseline (bench/feeds.py's /bench/memory/, gunicorn with 2 sync workers) is
   measured with wrk before and after; ratio = base page rate / baseline.
3. Surge: browsing at the base rate while sign-ups and uploads go 1× → 7× → 1×; per class
   p50/p95/p99, errors, refusals by the budgets apart, upload-to-public, queue backlog every 2 s.
Writes bench/results/surge.json and surge.png (`--out-name` another name: a configuration compared).
`--one-pass N` (3): the media pool's N processes render and check each upload in one task, as production
does by default; `--one-pass 0`: two pools, media 2 and detection 1.
"""

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import surge_probes as probes  # noqa: E402
from bench.feeds_measure import machine  # noqa: E402
from bench.surge_mix import Mix, percentile  # noqa: E402
from bench.surge_pictures import fill_pool, phase_took  # noqa: E402
from bench.surge_report import plot, read_log, summarize, timeline  # noqa: E402
from bench.surge_stack import AGENT, BASELINE, DATABASE, EDGE, VAR, get, start_stack  # noqa: E402
from deploy.stack import split_address, wait_for_port  # noqa: E402

RESULTS = ROOT / "bench" / "results"
# The artists' pictures, drawn before the run (bench/surge_pictures.py) and kept between runs.
PICTURE_POOL = ROOT / "var" / "surge-pictures"
# People arrive over SPAWN_SECONDS, and a phase's page figures start SETTLE_SECONDS after its first
# request. Started all in one second, every person's first page (cold session, cold timeline) landed
# at once: a 30-pages/s step measured p95 241 ms whole and 44 ms from its 5th second on, and the step
# search stopped at 20 on a herd no steady rate brings (2026-12-06, this host).
SPAWN_SECONDS = 5
SETTLE_SECONDS = 6
# wrk slices of the in-memory baseline on each side of the step search, after a discarded warm-up
# slice and with the queues drained: three slices with none of that ranged 168–274 req/s in one run.
BASELINE_SLICES = 5


class Run:
    """One stack, its seed, and the locust phases against it."""

    def __init__(self, args, env: dict, stack: subprocess.Popen):
        self.args, self.env, self.stack = args, env, stack
        self.meter = probes.CpuMeter(stack.pid, DATABASE)
        self.mix = Mix()
        self.next_picture = 0  # the next phase's first picture of the pool
        self.pictures_drawn_in_locust = 0  # past the pool's end

    def locust(
        self, label: str, *, rate: float, seconds: int, surge=None, classes=(), mix=None, peak=1.0, settle=0
    ) -> dict:
        """One locust phase; its figures from `settle` seconds after its first request (the whole
        phase's CPU all the same)."""
        mix = Mix(**(mix or {}))
        users = mix.users(rate, peak)
        log = VAR / f"{label}.log"
        run = {"rate": rate, "surge": surge or [], "users": users, "mix": mix.__dict__, "log": str(log)}
        run["mail"] = str(VAR / "mail")
        run["pictures"] = {"pool": str(PICTURE_POOL), "from": self.next_picture}
        count = sum(users[c] for c in users if not classes or c in [k.lower() for k in classes])
        names = {"anonymous": "AnonymousVisitor", "signed_in": "SignedInReader", "newcomer": "Newcomer"}
        names["artist"] = "Artist"
        picked = [names[c] for c in classes]
        command = [
            sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "surge_locust.py"), "--headless",
            "-u", str(count), "-r", f"{max(1.0, count / SPAWN_SECONDS):.2f}",
            "--run-time", f"{seconds}s", "--stop-timeout", "10",
            "--host", f"http://{EDGE}", "--only-summary", "--loglevel", "WARNING", *picked,
        ]  # fmt: skip
        env = os.environ | {"SURGE_PLAN": str(VAR / "plan.json"), "SURGE_RUN": json.dumps(run)}
        cpu_before, own_before, start = self.meter.snapshot(), probes.self_cpu(), time.time()
        print(f"[{label}] rate {rate}/s, {count} people {users}, {seconds} s", flush=True)
        with (VAR / f"{label}.locust.txt").open("w") as out:
            subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)  # noqa: S603
        end = time.time()
        rows = read_log(log)
        first = min((r[0] - r[2] / 1000 for r in rows), default=start)
        summary = summarize(rows, first + settle if settle else start, end)
        summary |= {"rate": rate, "users": users, "start": start, "end": end, "first_request": first}
        summary["measured_from_s"] = round(first + settle - start, 1) if settle else 0.0
        cpu_after, locust_cpu = self.meter.snapshot(), round(probes.self_cpu() - own_before, 3)
        summary["cpu_s"] = self.meter.delta(cpu_before, cpu_after) | {"locust": locust_cpu}
        summary["gunicorn_processes_cpu_s"] = probes.spread(cpu_before, cpu_after, "gunicorn")
        summary["failed_urls"] = failed_urls(Path(f"{log}.errors"))
        summary["pictures"] = self.pictures_taken(log, rows, users)
        pages = summary["pages"]
        print(f"[{label}] pages {pages}", flush=True)
        return summary

    def pictures_taken(self, log: Path, rows: list, users: dict) -> dict:
        """What the phase took of the pool; the next phase starts past it."""
        uploads = sum(1 for row in rows if row[1] == "upload:tus_create")
        taken = phase_took(Path(f"{log}.pictures"), uploads=uploads, artists=users.get("artist", 0))
        self.next_picture += taken["pooled"] + taken["drawn"]
        self.pictures_drawn_in_locust += taken["drawn"]
        return taken

    def drain(self, timeout: float = 180) -> float:
        """Wait until the media and detection queues are empty and no post is checking."""
        started = time.time()
        broker = redis.Redis.from_url(self.env["REDIS_URL"])
        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
            while time.time() - started < timeout:
                checking = conn.execute("SELECT count(*) FROM posts_post WHERE state = 'checking'").fetchone()[0]
                if not checking and not any(broker.llen(q) for q in probes.QUEUES):
                    break
                time.sleep(2)
        return round(time.time() - started, 1)

    def calibrate(self, seconds: int) -> dict:
        """Each class alone: CPU seconds per page (or per journey) by process kind."""
        out = {}
        plans = {
            "anonymous": ({}, 20),
            "signed_in": ({}, 12),
            "newcomer": ({"signups_per_page": 0.05}, 10),
            # ~12 posts: docs/capacity.md sizes the media workers on this phase's CPU per image,
            # which came from 2–3 posts at 0.02 (783, 978 and 1,107 ms an image in three runs).
            "artist": ({"uploads_per_page": 0.06}, 10),
        }
        for kind, (mix, rate) in plans.items():
            before = self.meter.snapshot()
            phase = self.locust(f"calibrate-{kind}", rate=rate, seconds=seconds, classes=[kind], mix=mix)
            phase["drain_s"] = self.drain()
            cpu = self.meter.delta(before, self.meter.snapshot())
            units = phase["pages"]["requests"]
            if kind == "artist":  # posts started; their images, counted in the database, are the real unit
                units = phase["classes"].get("upload:new", {}).get("requests", 0)
            if kind == "newcomer":
                units = phase["classes"].get("signup:submit", {}).get("requests", 0)
            out[kind] = {
                "unit": {"artist": "post started (1–4 images)", "newcomer": "sign-up submitted"}.get(kind, "page"),
                "units": units,
                "pages": phase["pages"]["requests"],
                "images": phase["images"]["requests"],
                "cpu_s": cpu,
                "cpu_ms_per_unit": {k: round(1000 * v / max(1, units), 2) for k, v in cpu.items()},
                "upload_images": self.images_uploaded(phase["start"]) if kind == "artist" else None,
                "locust_cpu_s": phase["cpu_s"]["locust"],
            }
        return out

    def images_uploaded(self, since: float) -> int:
        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
            query = "SELECT count(*) FROM posts_mediaitem WHERE created_at >= to_timestamp(%s)"
            return conn.execute(query, [since]).fetchone()[0]

    def uploads_settled(self, since: float) -> dict:
        """Creation to public (`state_changed_at`) of every post the artists started since `since`, from
        the database after the drain: locust's journeys count only the uploads that went public before
        locust stopped, so in a backlog they leave out the slowest (2026-12-06, base 100: 28 journeys,
        p95 152 s; all 111 posts, p95 186 s)."""
        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
            rows = conn.execute(
                "SELECT state, extract(epoch FROM state_changed_at - created_at) FROM posts_post "
                "WHERE title LIKE 'Surge study %%' AND created_at >= to_timestamp(%s)",
                [since],
            ).fetchall()
        public = sorted(float(seconds) for state, seconds in rows if state == "public")
        return {
            "started": len(rows),
            "public": len(public),
            "not_public": dict(Counter(state for state, _ in rows if state != "public")),
            "p50_s": round(percentile(public, 50), 1) if public else None,
            "p95_s": round(percentile(public, 95), 1) if public else None,
            "max_s": round(public[-1], 1) if public else None,
        }

    def uploads_outcome(self) -> dict:
        """Every post the artists published in this run: public, held, still checking (stuck) or lost."""
        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
            rows = conn.execute(
                "SELECT state, count(*) FROM posts_post WHERE title LIKE 'Surge study %%' GROUP BY state"
            ).fetchall()
        return dict(rows)


def failed_urls(path: Path, keep: int = 10) -> dict:
    """The URLs (query left out) that failed most in a phase, with their status: which images 404."""
    counts: dict[str, int] = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        _, name, status, url = [*line.split(" ", 3), "", "", ""][:4]
        key = f"{status} {name} {url.split('?', 1)[0]}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: -item[1])[:keep])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a ~2-minute smoke: small seed, short phases")
    parser.add_argument(
        "--rates",
        default="5,10,15,20,30,40,50,60,70,80,100,110,120,130,140,160",
        help="page rates of the step search, ascending",
    )
    parser.add_argument("--step-seconds", type=int, default=30)
    parser.add_argument("--calibrate-seconds", type=int, default=20)
    parser.add_argument("--surge", default="40,60,90,30", help="seconds at 1×, ramp up, at 7×, back at 1×")
    parser.add_argument("--peak", type=float, default=7.0)
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--pictures", type=int, default=1500, help="the artists' pictures drawn before the run")
    parser.add_argument("--image-posts", type=int, default=30)
    parser.add_argument("--cloned-posts", type=int, default=3000)
    parser.add_argument("--web-processes", type=int, default=3)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument(
        "--one-pass", type=int, default=3, metavar="N",
        help="N media processes each rendering and checking an upload in one task (MEDIA_DETECTION_ONE_PASS, "
        "production's default); 0: two pools, media 2 and detection 1, each on its own queue",
    )  # fmt: skip
    parser.add_argument("--out-name", default="surge", help="bench/results/<name>.json and .png")
    parser.add_argument(
        "--template", choices=("off", "reuse", "rebuild"), default="off",
        help="copy the database from a migrated template (made on first use): saves the minutes of migrating",
    )  # fmt: skip
    args = parser.parse_args()
    if args.quick:
        # Long enough that the step and the 1× window keep seconds after SETTLE_SECONDS.
        args.rates, args.step_seconds, args.calibrate_seconds, args.surge = "10", 16, 6, "16,8,16,8"
        args.people, args.image_posts, args.cloned_posts, args.pictures = 600, 6, 300, 120
    started = time.time()
    out_dir = VAR.parent if args.quick else RESULTS  # a smoke run's figures stay out of bench/results
    drawing = time.time()
    pictures = {"pool": args.pictures, "drawn_before_the_run": fill_pool(PICTURE_POOL, args.pictures)}
    pictures["seconds"] = round(time.time() - drawing, 1)
    load_before = os.getloadavg()
    env, stack = start_stack(args)
    baseline = None
    try:
        seed_options = {
            "people": args.people, "image_posts": args.image_posts, "cloned_posts": args.cloned_posts,
            "readers": 400, "artists": 200, "pool": 6000, "agent": AGENT,
        }  # fmt: skip
        seeding = time.time()
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "bench.surge_seed", str(VAR / "plan.json")], cwd=ROOT, check=True,
            env=env | {"SURGE_SEED_OPTIONS": json.dumps(seed_options)},
        )  # fmt: skip
        seed = json.loads((VAR / "plan.json").read_text())["facts"] | {"seconds": round(time.time() - seeding, 1)}
        plan = json.loads((VAR / "plan.json").read_text())["plan"]
        baseline = probes.start_baseline(env, BASELINE, VAR / "baseline.log")
        wait_for_port(*split_address(BASELINE), timeout=60)
        for _ in range(60):  # both workers loaded and warm before the first slice
            if get(f"http://{BASELINE}/bench/memory/", plan["passes"]["127.0.0.1"]) == 200:
                break
            time.sleep(1)
        pass_header = {"User-Agent": AGENT, "Cookie": f"atelier_pass={plan['passes']['127.0.0.1']}"}
        baseline_url = f"http://{BASELINE}/bench/memory/"
        slices = 2 if args.quick else BASELINE_SLICES
        run = Run(args, env, stack)
        sampler = probes.QueueSampler(env["REDIS_URL"], env["DATABASE_URL"])
        sampler.start()
        run.drain()  # the seed's own uploads rendered first: the baseline has the box to itself
        baseline_before = probes.baseline_rates(baseline_url, slices=slices, seconds=4, headers=pass_header)
        # Every process loads its templates and connections before anything is counted.
        run.locust("warm-up", rate=8, seconds=args.calibrate_seconds)
        run.drain()
        calibration = run.calibrate(args.calibrate_seconds)
        steps, base_rate = [], None
        for rate in [float(r) for r in args.rates.split(",")]:
            step = run.locust(f"step-{rate:g}", rate=rate, seconds=args.step_seconds, settle=SETTLE_SECONDS)
            step["meets_goal"] = step["pages"]["p95_ms"] is not None and step["pages"]["p95_ms"] <= 200
            step["meets_goal"] = step["meets_goal"] and step["pages"]["errors"] == 0
            steps.append(step)
            if not step["meets_goal"]:
                break
            base_rate = rate
        run.drain()  # the failed step's backlog of uploads rendered first, as before the steps
        baseline_after = probes.baseline_rates(baseline_url, slices=slices, seconds=4, headers=pass_header)
        rate = base_rate or float(args.rates.split(",")[0])
        hold1, ramp, hold7, back = (int(x) for x in args.surge.split(","))
        marks = {"ramp starts": hold1, f"{args.peak:g}× reached": hold1 + ramp, "back to 1×": hold1 + ramp + hold7}
        schedule = [[0, 1], [hold1, 1], [hold1 + ramp, args.peak], [hold1 + ramp + hold7, args.peak]]
        schedule.append([hold1 + ramp + hold7 + 1, 1])
        surge = run.locust(
            "surge",
            rate=rate,
            seconds=hold1 + ramp + hold7 + back,
            surge=schedule,
            peak=args.peak,
            settle=SETTLE_SECONDS,
        )
        surge["drain_after_s"] = run.drain(240)
        samples = sampler.stop()
        rows = read_log(VAR / "surge.log")
        windows = {"base": (surge["first_request"] + SETTLE_SECONDS, surge["start"] + hold1)}
        windows["peak"] = (surge["start"] + hold1 + ramp, surge["start"] + hold1 + ramp + hold7)
        surge["windows"] = {name: summarize(rows, *window) for name, window in windows.items()}
        surge["timeline"] = timeline(rows, surge["start"], surge["end"], 10.0)
        surge["queue_samples"] = [
            s | {"t": round(s["t"] - surge["start"], 1)} for s in samples if s["t"] >= surge["start"]
        ]
        surge["queue_peak"] = {
            q: max((s[q] for s in surge["queue_samples"]), default=0) for q in (*probes.QUEUES, "posts_checking")
        }
        surge["uploads_outcome"] = run.uploads_outcome()
        surge["uploads_settled"] = run.uploads_settled(surge["start"])
        storage = probes.stored_bytes(env, DATABASE)
        plot(
            out_dir / (f"{args.out_name}-quick.png" if args.quick else f"{args.out_name}.png"),  # as the JSON below
            surge["timeline"],
            [s for s in samples if s["t"] >= surge["start"]],
            surge["start"],
            marks,
        )
    finally:
        if baseline:
            baseline.terminate()
            baseline.wait(20)
        os.killpg(stack.pid, signal.SIGINT)
        stack.wait(90)
    base_rps = (baseline_before["rps"] + baseline_after["rps"]) / 2
    base_step = next((s for s in steps if s["rate"] == base_rate), steps[0])
    pools = (
        f"media {args.one_pass} rendering and checking each upload in one task (MEDIA_DETECTION_ONE_PASS), "
        "detection 1 for retries"
        if args.one_pass
        else "media 2, detection 1"
    )
    report = {
        "goals": {"base_pages_p95_ms": 200, "surge_pages_p95_ms": 500, "upload_to_public_p95_s": 60, "ratio_min": 0.6},
        "method": {
            "stack": f"deploy/run_stack.py with var/surge/env: nginx on {EDGE}, gunicorn {args.web_processes} gthread "
            f"processes × 4 threads, Celery default+email 2, {pools} (BACKGROUND_NICENESS "
            f"{os.environ.get('BACKGROUND_NICENESS') or 5}), beat; SeaweedFS; "
            f"PostgreSQL database {DATABASE}; Redis {args.redis_url}",
            "load": "locust, one process (the box has 2 cores shared by the stack and the load generator), "
            "FastHttpUser (geventhttpclient), each simulated person on its own loopback /24 with a browser UA "
            f"and the day's pass; people arrive over {SPAWN_SECONDS} s, each step and the surge measured from "
            f"{SETTLE_SECONDS} s after their first request (the whole surge's CPU all the same); the artists' "
            "pictures drawn before the run (bench/surge_pictures.fill_pool), not by the load generator during it",
            "mix": Mix().__dict__,
            "pages": "every request but images, tus transfers and attaching a file (reported apart as upload_requests)",
            "baseline": "bench/feeds.py's /bench/memory/ (feeds/feed.html, 24 in-memory cards) under gunicorn, 2 sync "
            "workers, wrk -t2 -c12, a 2 s warm-up then 4 s slices before and after the step search, each side with the "
            "queues drained; ratio = base page rate / mean of the two sides' medians",
            "cpu": "utime+stime deltas from /proc per process kind of the stack's tree plus this database's "
            "PostgreSQL backends; per class from each class run alone (calibration), workers waited for",
        },
        "machine": machine() | {"loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "seed": seed,
        "baseline": {"before": baseline_before, "after": baseline_after, "rps": round(base_rps, 1)},
        "calibration": calibration,
        "steps": steps,
        "base_rate": base_rate,
        "base": {
            "pages_rps": base_step["pages"]["rps"],
            "ratio_to_baseline": round(base_step["pages"]["rps"] / base_rps, 3),
            "pages": base_step["pages"],
            "met_goal": base_rate is not None,
        },
        # For the record: the most pages/s any step served, whatever its latency (the box's ceiling).
        "best_step_pages_rps": max(s["pages"]["rps"] for s in steps),
        "best_step_ratio_to_baseline": round(max(s["pages"]["rps"] for s in steps) / base_rps, 3),
        "surge": surge,
        "storage": storage,
        "pictures": pictures | {"taken": run.next_picture, "drawn_in_locust": run.pictures_drawn_in_locust},
        "image_view_bytes": surge["images"].get("mean_bytes"),
        "total_seconds": round(time.time() - started),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
    }
    name = f"{args.out_name}-quick" if args.quick else args.out_name
    (out_dir / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("base_rate", "base", "baseline")}, indent=2))
    print(f"surge peak pages: {surge['windows']['peak']['pages']}")
    print(f"upload to public (whole surge): {surge['journeys']['upload_to_public']}")
    print(f"every post started in the surge, from the database: {surge['uploads_settled']}")
    return 0 if math.isfinite(base_rps) else 1


if __name__ == "__main__":
    sys.exit(main())
