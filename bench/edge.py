"""The edge under load (issue 18): nginx + gunicorn + SeaweedFS as bin/stack runs them, on loopback.

Starts the production stack (deploy/run_stack.py) with the caller's environment (DATABASE_URL,
REDIS_URL, ATELIER_VAR_DIR, …) and budgets raised so one load generator on one address is not
throttled, seeds the demo content when the database has none, then measures with wrk (Debian):

- a 640 px rendition through the edge (signature check, crawler map, headers, object store behind a
  cache) against nginx serving the same bytes as a plain file, in the same run;
- a tampered and an expired URL refused at the edge, against the same plain file;
- a 24-card Discover page through nginx → gunicorn (a session cookie keeps it out of the micro-cache)
  against gunicorn alone;
- anonymous Discover, profile and post pages from the micro-cache against a static file of the same size;
- resident memory of a web process, and of the same process with the cloak's torch imported.

    DATABASE_URL=postgres://… REDIS_URL=redis://…/N .venv/bin/python bench/edge.py [--seconds 4 --rounds 3]
"""

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import Request, urlopen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy.run_stack import stack_environment  # noqa: E402
from deploy.stack import port_open, split_address  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "edge.json"
TORCH = Path(sys.prefix) / "lib" / "python3.11" / "site-packages" / "torch"
UNLIMITED = "100000000"
PAD_TO_24 = """
from atelier.posts.models import Post
from atelier.media.models import MediaItem
from atelier.feeds.feed_cache import forget_posts
public = list(Post.objects.public().order_by("pk"))
made = []
while len(public) + len(made) < 24:
    source = public[len(made) % len(public)]
    items = list(MediaItem.objects.filter(post=source))
    source.pk = None
    source.title = f"{source.title} (bench copy)"
    source.save()
    for item in items:
        item.pk = None
        item.post = source
        item.save()
    made.append(source.pk)
forget_posts(made)
print(len(public) + len(made))
"""


def wrk(url: str, *, seconds: int, headers: dict | None = None, connections: int = 16) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    total = int(re.search(r"(\d+) requests in", output).group(1))
    return {"rps": round(rate, 1), "requests": total, "non_2xx": int(failed.group(1)) if failed else 0}


def get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = Request(url, headers={"User-Agent": "Mozilla/5.0 bench", **(headers or {})})  # noqa: S310
    try:
        with urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, dict(response.headers), response.read()
    except Exception as error:  # an HTTPError still carries the status
        return getattr(error, "code", 0), dict(getattr(error, "headers", {}) or {}), b""


def cards_on_discover(app_url: str) -> int:
    body = get(app_url + "/feed/discover/", {"Cookie": "sessionid=bench"})[2].decode()
    return len(set(re.findall(r'href="/posts/(\d+)/"', body)))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def gunicorn_workers(app_port: int) -> list[int]:
    workers = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            parent = int((proc / "stat").read_text().split()[3])
            parent_command = Path(f"/proc/{parent}/cmdline").read_bytes().decode(errors="ignore")
        except (OSError, ValueError):
            continue
        if "gunicorn" in command and f":{app_port}" in command and "gunicorn" in parent_command:
            workers.append(int(proc.name))
    return workers


def process_rss(env: dict, *, with_cloak: bool) -> float:
    """RSS of a process with the web app loaded and warmed by one page, optionally importing the cloak."""
    code = (
        "import os, django; django.setup(); from django.test import Client; import config.wsgi; "
        "Client().get('/feed/discover/'); "
        + ("import atelier.protection.cloak.engine; " if with_cloak else "")
        + "print([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1])"
    )
    output = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    return round(int(output.stdout.strip().splitlines()[-1]) / 1024, 1) if output.returncode == 0 else 0.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    var_dir = Path(os.environ.get("ATELIER_VAR_DIR") or ROOT / "var").resolve()
    overrides = {
        "SHIELD_PAGES_PER_MINUTE": UNLIMITED,
        "SHIELD_ACCOUNT_PAGES_PER_MINUTE": UNLIMITED,
        "SHIELD_MEDIA_PER_MINUTE": UNLIMITED,
        "EDGE_ACCESS_LOG": "off",
        "WEB_PROCESSES": os.environ.get("WEB_PROCESSES", "2"),
        "ATELIER_VAR_DIR": str(var_dir),
    }
    os.environ.update(overrides)
    env, _ = stack_environment(var_dir)
    edge_url = f"http://{env['EDGE_LISTEN']}"
    app_url = f"http://{env['EDGE_APP_ADDRESS']}"
    # The stack fills in its own defaults (and starts SeaweedFS only when no bucket is given): pass the
    # caller's environment; `env` (the filled-in one) is for talking to it and running commands.
    stack = subprocess.Popen(
        [sys.executable, "-m", "deploy.run_stack"], cwd=ROOT, env=dict(os.environ), start_new_session=True
    )
    try:
        deadline = time.monotonic() + 300
        while not (port_open(*split_address(env["EDGE_LISTEN"])) and get(edge_url + "/healthz")[0] == 200):
            if stack.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the stack did not start")
            time.sleep(1)
        manage = [sys.executable, "manage.py"]
        if b"/posts/" not in get(app_url + "/feed/discover/", {"Cookie": "sessionid=bench"})[2]:
            for command in ("seed_demo", "seed_demo_posts"):
                subprocess.run([*manage, command], env=env, cwd=ROOT, check=True)  # noqa: S603
        cards = subprocess.run(  # noqa: S603
            [*manage, "shell", "-c", PAD_TO_24], env=env, cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout.split()[-1]
        # Discover's ranking is cached for 30 s: wait until the page shows the padded set.
        deadline = time.monotonic() + 60
        while cards_on_discover(app_url) < min(24, int(cards)) and time.monotonic() < deadline:
            time.sleep(2)
        results = measure(env, edge_url, app_url, seconds=args.seconds, rounds=args.rounds)
        results["public_posts"] = int(cards)
        results["cards_on_discover"] = cards_on_discover(app_url)
        app_port = split_address(env["EDGE_APP_ADDRESS"])[1]
        results["memory_mb"] = {
            "gunicorn_workers_after_load": [rss_mb(pid) for pid in gunicorn_workers(app_port)],
            "web_process_without_cloak": process_rss(env, with_cloak=False),
            "web_process_with_cloak_imported": process_rss(env, with_cloak=True),
            "torch_installed_mb": round(sum(f.stat().st_size for f in TORCH.rglob("*") if f.is_file()) / 2**20)
            if TORCH.exists()
            else 0,
        }
    finally:
        os.killpg(stack.pid, signal.SIGINT)
        stack.wait(60)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


def paired(a_url: str, b_url: str, *, seconds: int, rounds: int, headers: dict | None = None) -> dict:
    """A and B in turns, so a neighbour's load on this shared machine hits both alike."""
    a_runs, b_runs = [], []
    for _ in range(rounds):
        a_runs.append(wrk(a_url, seconds=seconds, headers=headers))
        b_runs.append(wrk(b_url, seconds=seconds, headers=headers))
    ratios = sorted(b["rps"] / a["rps"] for a, b in zip(a_runs, b_runs, strict=True))
    return {
        "a_rps": statistics.median(run["rps"] for run in a_runs),
        "b_rps": statistics.median(run["rps"] for run in b_runs),
        "b_non_2xx": sum(run["non_2xx"] for run in b_runs),
        "b_requests": sum(run["requests"] for run in b_runs),
        "ratios": [round(ratio, 3) for ratio in ratios],
        "ratio": round(statistics.median(ratios), 3),
    }


def measure(env: dict, edge_url: str, app_url: str, *, seconds: int, rounds: int) -> dict:
    plain_dir = Path(env["EDGE_CONFIG_DIR"]) / "bench-plain"
    plain_dir.mkdir(exist_ok=True)
    # The same nginx serves plain copies of the same bytes: a server-level snippet (conf.d/).
    snippet = Path(env["EDGE_CONFIG_DIR"]) / "conf.d" / "bench.server.conf"
    snippet.write_text(f"location /bench-plain/ {{ alias {plain_dir}/; }}\n")
    subprocess.run(["nginx", "-c", str(Path(env["EDGE_CONFIG_DIR"]) / "atelier.conf"), "-s", "reload"], check=True)  # noqa: S603, S607
    time.sleep(1)  # the reloaded workers take over

    discover = get(edge_url + "/feed/discover/")[2].decode()
    rendition = re.search(r'/media/[^"]+-640\.webp\?[^"]+', discover).group(0).replace("&amp;", "&")
    status, _, image = get(edge_url + rendition)
    if status != 200:
        raise SystemExit(f"the edge answered {status} for {rendition}")
    (plain_dir / "rendition.webp").write_bytes(image)
    path, _, query = rendition.partition("?")
    expires, signature = re.search(r"e=(\d+)&s=([\w-]+)", query).groups()
    tampered = f"{path}?e={expires}&s={'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    expired = f"{path}?e={int(expires) - 3 * 86400}&s={signature}"
    if not get(edge_url + tampered)[0] == get(edge_url + expired)[0] == 403:
        raise SystemExit("the edge did not refuse a tampered or expired URL")

    results: dict = {
        "tool": "wrk -t2 -c16, loopback; each comparison interleaved (A, B, A, B, …), medians and the median ratio",
        "seconds_per_run": seconds,
        "rounds": rounds,
        "rendition_bytes": len(image),
    }
    plain_url = edge_url + "/bench-plain/rendition.webp"
    results["rendition_640"] = paired(plain_url, edge_url + rendition, seconds=seconds, rounds=rounds)
    results["rendition_640"] |= {"a": "plain nginx file", "b": "edge: signature, crawler map, headers, store cache"}
    results["rendition_640"]["goal"] = ">= 0.7"
    results["refused_at_edge"] = {
        "tampered": paired(plain_url, edge_url + tampered, seconds=seconds, rounds=rounds),
        "expired": paired(plain_url, edge_url + expired, seconds=seconds, rounds=rounds),
    }
    # A 24-card page past the micro-cache: a (meaningless) session cookie makes the edge pass it on.
    bypass = {"Cookie": "sessionid=bench"}
    results["feed_page_24_cards"] = paired(
        app_url + "/feed/discover/", edge_url + "/feed/discover/", seconds=seconds, rounds=rounds, headers=bypass
    ) | {"a": "gunicorn alone", "b": "nginx → gunicorn", "goal": ">= 0.95"}
    pages = {"discover": "/feed/discover/"}
    post = re.search(r'href="(/posts/\d+/)"', discover)
    if post:
        pages["post"] = post.group(1)
        profile = re.search(r'href="(/@[\w.-]+)/?"', get(edge_url + post.group(1))[2].decode())
        if profile:
            pages["profile"] = profile.group(1)
    cached = {}
    for name, page in pages.items():
        body = get(edge_url + page)[2]
        (plain_dir / f"{name}.html").write_bytes(body)
        comparison = paired(edge_url + f"/bench-plain/{name}.html", edge_url + page, seconds=seconds, rounds=rounds)
        alone = wrk(app_url + page, seconds=seconds)
        cached[name] = comparison | {
            "path": page,
            "bytes": len(body),
            "a": "static file of the same bytes",
            "b": "micro-cache",
            "app_alone": alone,
            "ratio_app_alone": round(alone["rps"] / comparison["a_rps"], 4),
        }
    results["anonymous_pages"] = {"goal": ">= 0.3", "ttl_seconds": int(env.get("EDGE_PAGE_CACHE_SECONDS", 5))} | cached
    snippet.unlink()
    return results


if __name__ == "__main__":
    sys.exit(main())
