"""Benchmark: server time of the key pages on the demo data (issue 22: median ≤ 30 ms).

Run:  .venv/bin/python bench/page_times.py [--requests 40] [--reuse]
Seeds the demo exactly as `bin/serve` does (the seed_demo* commands, real media pipeline) into its own
folder (var/bench-pages/: SQLite, media, secret key), serves it with gunicorn (2 processes, the
embedded default's settings, DEBUG off) on 127.0.0.1:8801 and asks each page `--requests` times one
after another, signed out and signed in as the demo artist ines_ortega, holding the day's browser
pass like a browser. Server time is duration_ms from the JSON request log. The baseline, measured
in the same run, is the "Not for AI training" page: a template and no database reads beyond the
session, so each page's ratio to it says what the page's own work costs.
Writes bench/results/page_times.json.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.feeds_measure import _percentile, _server_times  # noqa: E402

PORT = 8801
VAR = ROOT / "var" / "bench-pages"
AGENT = "atelier-bench"
GOAL_MEDIAN_MS = 30.0
BASELINE = "/do-not-train/"
SEEDS = ["seed_demo", "seed_demo_posts", "seed_demo_social", "seed_demo_jobs", "seed_demo_moderation"]


def bench_env() -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.default",
        ATELIER_VAR_DIR=str(VAR),
        # Many requests from one address in a minute: the shield's budgets would answer 429 (the
        # counting itself still runs on every request).
        SHIELD_PAGES_PER_MINUTE="1000000",
        SHIELD_ACCOUNT_PAGES_PER_MINUTE="1000000",
        LOG_LEVEL="INFO",
        ATELIER_CLOAK="off",
    )
    return env


def manage(env: dict, *args: str) -> str:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], check=True, cwd=ROOT, env=env, capture_output=True, text=True
    ).stdout


def _marked(output: str, marker: str) -> list[str]:
    """The words of the output line starting with `marker` (a shell may print other lines first)."""
    return next(line.split()[1:] for line in output.splitlines() if line.startswith(f"{marker} "))


def pages(env: dict) -> tuple[list[str], list[str]]:
    """The addresses: public pages of the demo's first artist and post, then that artist's own pages."""
    script = (
        "from atelier.posts.models import Post, PostState; from atelier.jobs.models import Job; "
        "from atelier.albums.models import Album; "
        "p = Post.objects.filter(author__handle='ines_ortega', state=PostState.PUBLIC).order_by('-published_at')[0]; "
        "j = Job.objects.order_by('pk')[0]; a = Album.objects.filter(is_public=True).order_by('pk')[0]; "
        "print('PAGES', p.get_absolute_url(), p.pk, j.get_absolute_url(), a.owner.handle, a.pk)"
    )
    post_url, post_id, job_url, album_owner, album_id = _marked(manage(env, "shell", "-c", script), "PAGES")
    public = [
        "/",
        "/feed/discover/",
        "/@ines_ortega",
        post_url,
        "/tags/harbour/",
        "/categories/illustration/",
        "/search/?q=harbour",
        "/search/?q=ines&type=artists",
        "/jobs/",
        job_url,
        f"/@{album_owner}/albums/",
        f"/@{album_owner}/albums/{album_id}/",
    ]
    signed_in = [
        "/feed/home/",
        "/feed/following/",
        "/notifications/",
        "/bookmarks/",
        post_url,
        "/@ines_ortega",
        f"/posts/{post_id}/edit",
        "/settings/profile/",
        "/settings/feed/",
    ]
    return public, signed_in


def start_server(env: dict, log: Path) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    command = [gunicorn, "config.wsgi", "-w", "2", "-b", f"127.0.0.1:{PORT}", "--chdir", str(ROOT)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)  # noqa: S603
    for _ in range(150):
        try:
            requests.get(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
            return process
        except requests.RequestException:  # not listening yet, or a worker still booting
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"gunicorn did not start; see {log}")


def browser(env: dict, *, handle: str | None) -> requests.Session:
    """A client holding the day's pass (minted with the bench folder's secret) and, given a handle, signed in."""
    pass_cookie = manage(
        env,
        "shell",
        "-c",
        "import time; from atelier.protection.shield.passes import PASS_COOKIE, mint_pass; "
        f"print('PASS', PASS_COOKIE, mint_pass(address='127.0.0.1', user_agent='{AGENT}', now=time.time())[0])",
    )
    pass_cookie = _marked(pass_cookie, "PASS")
    session = requests.Session()
    session.headers["User-Agent"] = AGENT
    session.cookies.set(pass_cookie[0], pass_cookie[1])
    if handle:
        login = f"http://127.0.0.1:{PORT}/accounts/login/"
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', session.get(login).text).group(1)
        answer = session.post(
            login,
            data={"csrfmiddlewaretoken": token, "identifier": handle, "password": "atelier-demo-2026"},
            headers={"Referer": login},
            allow_redirects=False,
        )
        if answer.status_code != 302:
            raise RuntimeError(f"log-in as {handle} answered {answer.status_code}")
    return session


def measure(session: requests.Session, path: str, count: int, label: str, log: Path) -> dict:
    for _ in range(5):  # warm the processes' caches and connections
        answer = session.get(f"http://127.0.0.1:{PORT}{path}", allow_redirects=False)
        if answer.status_code != 200:
            raise RuntimeError(f"{path} answered {answer.status_code}")
    ids = []
    for index in range(count):
        request_id = f"bench-{label}-{index:04d}"
        session.get(f"http://127.0.0.1:{PORT}{path}", headers={"X-Request-ID": request_id}, allow_redirects=False)
        ids.append(request_id)
    time.sleep(0.3)
    times = _server_times(log, set(ids))
    return {"path": path, "p50_ms": _percentile(times, 50), "p95_ms": _percentile(times, 95), "samples": len(times)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--reuse", action="store_true", help="serve var/bench-pages/ as a previous run seeded it")
    args = parser.parse_args()
    env = bench_env()
    if not args.reuse:
        shutil.rmtree(VAR, ignore_errors=True)
    VAR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if not (args.reuse and (VAR / "atelier.sqlite3").exists()):
        manage(env, "migrate", "--noinput")
        for seed in SEEDS:
            manage(env, seed)
    manage(env, "collectstatic", "--noinput", "-v", "0")
    seconds_to_seed = round(time.perf_counter() - started, 1)
    public, signed_in = pages(env)
    log = VAR / "gunicorn.log"
    server = start_server(env, log)
    try:
        visitor, artist = browser(env, handle=None), browser(env, handle="ines_ortega")
        rows = []
        baseline = [measure(visitor, BASELINE, args.requests, "baseline-0", log)]
        for number, path in enumerate(public):
            rows.append({"who": "visitor", **measure(visitor, path, args.requests, f"visitor-{number}", log)})
        for number, path in enumerate(signed_in):
            rows.append({"who": "ines_ortega", **measure(artist, path, args.requests, f"artist-{number}", log)})
        baseline.append(measure(visitor, BASELINE, args.requests, "baseline-1", log))
    finally:
        server.terminate()
        server.wait(timeout=20)
    base_ms = statistics.mean(run["p50_ms"] for run in baseline)
    for row in rows:
        row["ratio_to_baseline"] = round(row["p50_ms"] / base_ms, 2)
        figures = f"p50 {row['p50_ms']:6.1f} ms  p95 {row['p95_ms']:6.1f} ms  ×{row['ratio_to_baseline']}"
        print(f"{row['who']:12} {row['path'][:48]:48} {figures}")
    median = statistics.median(row["p50_ms"] for row in rows)
    print(f"baseline {BASELINE} p50 {base_ms:.1f} ms; median of the pages' medians {median:.1f} ms")
    print(f"goal: ≤ {GOAL_MEDIAN_MS} ms: {'met' if median <= GOAL_MEDIAN_MS else 'NOT met'}")
    result = {
        "goal": {"median_of_page_medians_ms_max": GOAL_MEDIAN_MS},
        "method": {
            "data": f"bin/serve's demo ({', '.join(SEEDS)})",
            "server": "gunicorn, 2 sync workers, config.settings.default (SQLite, local memory cache, DEBUG off)",
            "server_time": f"duration_ms from the JSON request log, {args.requests} sequential requests a page, "
            "after 5 warm-ups",
            "baseline": f"{BASELINE} (template only), before and after the pages; ratio = page p50 / baseline p50",
        },
        "seed_seconds": seconds_to_seed,
        "baseline_p50_ms": round(base_ms, 2),
        "median_of_page_medians_ms": round(median, 2),
        "goal_met": median <= GOAL_MEDIAN_MS,
        "pages": rows,
    }
    out = ROOT / "bench" / "results" / "page_times.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
