"""Scrapers that don't announce themselves (issue 20), against the production stack.

Starts bin/stack's processes (deploy/run_stack.py) with var/scrapers-bench.env (engineer E's ports,
database and Redis number; written when missing; SHIELD_CHALLENGE_BITS=16), seeds the demo and pads
Discover to 10 pages, then measures through nginx:

- 30 clients that never solve the puzzle: a sample of the AI agents in ../shared/data/ai-robots.json
  and the generic ones (python-requests, curl, wget, Scrapy, Go-http-client, node-fetch, an empty
  agent), each asking for art pages and images; headless Chromium with and without its HeadlessChrome
  token (bench/scrapers_browsers.py): images asked for before it ran the check, then after it did.
  Goal: 0 art pages or images served to a client that did not solve the puzzle.
- a cookie-less burst of 400 image requests from one address (goal <= 50 served), and the same burst
  from a client holding a pass it solved in Python (what one solved puzzle buys);
- a real Chromium reading a feed (the category the padding filled), scrolling 10 pages and opening
  24 posts with their images; an artist signed in
  uploading 20 images and cropping (bench/scrapers_browsers.py): refusals, puzzles solved, solve time;
- the puzzle's cost: the check's js-sha256 loop in Chromium (seconds per 16-bit puzzle), and for a
  scraper CPU-seconds per pass in Python's hashlib (C), per difficulty, and per 1,000 images given
  the per-pass budget. The load average at start and end says how busy the machine was.

    .venv/bin/python bench/scrapers.py [--clients 30]
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import scrapers_browsers  # noqa: E402
from deploy.run_stack import stack_environment  # noqa: E402
from deploy.stack import port_open, split_address  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "scrapers.json"
ENV_FILE = ROOT / "var" / "scrapers-bench.env"
AI_LIST = ROOT.parent / "shared" / "data" / "ai-robots.json"
ENV_DEFAULTS = {
    "ATELIER_VAR_DIR": "var/scrapers-bench",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/atelier_e_stack",
    "REDIS_URL": "redis://127.0.0.1:6379/12",
    "EDGE_LISTEN": "127.0.0.1:8580",
    "EDGE_APP_ADDRESS": "127.0.0.1:8581",
    "STACK_S3_PORT": "8590",
    "WEB_PROCESSES": "2",
    "SHIELD_CHALLENGE_BITS": "16",
    "EDGE_ACCESS_LOG": "off",
}
GENERIC = {
    "python-requests": "python-requests/2.32.3",
    "curl": "curl/8.5.0",
    "wget": "Wget/1.21.4",
    "Scrapy": "Scrapy/2.11.2 (+https://scrapy.org)",
    "Go-http-client": "Go-http-client/1.1",
    "node-fetch": "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "empty": "",
}
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
PAD_POSTS = """
from collections import Counter
from atelier.media.models import MediaItem
from atelier.posts.models import Post
from atelier.feeds.feed_cache import forget_posts
public = list(Post.objects.public().exclude(category="").order_by("pk"))
category = Counter(post.category for post in public).most_common(1)[0][0]
sources = [post for post in public if post.category == category]
have = Post.objects.public().filter(category=category).count()
made = []
while have + len(made) < {wanted}:
    source = sources[len(made) % len(sources)]
    items = list(MediaItem.objects.filter(post=source))
    source.pk = None
    source.title = source.title.split(" (bench copy)")[0][:120] + " (bench copy)"
    source.save()
    for item in items:
        item.pk = None
        item.post = source
        item.save()
    made.append(source.pk)
forget_posts(made)
print(Post.objects.public().count(), category)
"""


def read_env_file() -> dict:
    if not ENV_FILE.exists():
        ENV_FILE.parent.mkdir(parents=True, exist_ok=True)
        ENV_FILE.write_text("".join(f"{key}={value}\n" for key, value in ENV_DEFAULTS.items()))
    pairs = (line.split("=", 1) for line in ENV_FILE.read_text().splitlines() if "=" in line and line[0] != "#")
    return {key.strip(): value.strip() for key, value in pairs}


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte:
            return bits + 8 - byte.bit_length()
        bits += 8
    return bits


def solve(token: str, bits: int) -> tuple[str, int]:
    nonce = 0
    while leading_zero_bits(hashlib.sha256(f"{token}:{nonce}".encode()).digest()) < bits:
        nonce += 1
    return str(nonce), nonce + 1


def earn_pass_in_python(edge: str, user_agent: str, path: str = "/feed/discover/") -> requests.Session:
    """What a scraper that runs no browser but solves the puzzle itself does: one pass, in Python."""
    session = requests.Session()
    session.headers["User-Agent"] = user_agent
    page = session.get(edge + path, timeout=30).text
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    bits = int(re.search(r'data-bits="(\d+)"', page).group(1))
    nonce, _ = solve(token, bits)
    answer = session.post(
        edge + "/.shield/pass", data={"token": token, "nonce": nonce, "next": path}, timeout=30, allow_redirects=False
    )
    value = answer.cookies.get("atelier_pass")
    if answer.status_code != 303 or not value:
        raise SystemExit(f"the check refused a solved puzzle: {answer.status_code}")
    # The cookie is Secure (production settings); this loopback trial is plain HTTP, as a browser
    # treats localhost: keep it for this host without the Secure flag.
    session.cookies.clear()
    session.cookies.set("atelier_pass", value)
    return session


def art_served(response: requests.Response) -> bool:
    """A page with art (not the check page, not a refusal) or an image."""
    if response.status_code != 200:
        return False
    kind = response.headers.get("Content-Type", "")
    return kind.startswith(("image/", "video/")) or (
        kind.startswith("text/html") and b"check-form" not in response.content
    )


def targets(reader: requests.Session, edge: str) -> tuple[list[str], list[str]]:
    """Art pages and signed image URLs, as a reader holding a pass sees them."""
    discover = reader.get(edge + "/feed/discover/", timeout=30).text
    posts = list(dict.fromkeys(re.findall(r'href="(/posts/\d+/)"', discover)))[:4]
    profiles = list(dict.fromkeys(re.findall(r'href="(/@[\w.-]+)/?"', discover)))[:2]
    images = [m.replace("&amp;", "&") for m in re.findall(r'(/media/[^"\s]+\.webp\?[^"\s]+)', discover)]
    return ["/", "/feed/discover/", *posts, *profiles, "/search/?q=harbour"], list(dict.fromkeys(images))[:12]


def run_client(edge: str, name: str, user_agent: str, pages: list[str], images: list[str]) -> dict:
    session = requests.Session()
    session.headers["User-Agent"] = user_agent
    if not user_agent:
        session.headers.pop("User-Agent")
    statuses: dict[str, int] = {}
    served = {"pages": 0, "images": 0}
    for kind, paths in (("pages", pages), ("images", images)):
        for path in paths:
            response = session.get(edge + path, timeout=30, allow_redirects=False)
            statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1
            served[kind] += art_served(response)
    return {
        "client": name,
        "user_agent": user_agent,
        "requests": len(pages) + len(images),
        **served,
        "statuses": statuses,
    }


def burst(edge: str, images: list[str], session: requests.Session, count: int = 400) -> dict:
    started = time.perf_counter()
    urls = [edge + images[number % len(images)] for number in range(count)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda url: session.get(url, timeout=30), urls))
    statuses: dict[str, int] = {}
    for response in responses:
        statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1
    served = sum(art_served(response) for response in responses)
    return {
        "requests": count,
        "served": served,
        "statuses": statuses,
        "seconds": round(time.perf_counter() - started, 2),
    }


def puzzle_cost(bits_list=(12, 14, 16, 18, 20), samples: int = 40) -> dict:
    """CPU-seconds per pass in Python's hashlib (C SHA-256), averaged over random tokens."""
    rows = {}
    for bits in bits_list:
        count = max(4, samples >> max(0, bits - 16))
        started, hashes = time.process_time(), 0
        for _ in range(count):
            hashes += solve(os.urandom(24).hex(), bits)[1]
        seconds = (time.process_time() - started) / count
        rows[str(bits)] = {"cpu_seconds_per_pass": round(seconds, 4), "hashes_per_pass": round(hashes / count)}
    return rows


def start_stack(env_file: dict) -> tuple[subprocess.Popen, dict]:
    env = dict(os.environ) | env_file
    env["PATH"] = env.get("PATH", "") + ":/usr/sbin"
    stack = subprocess.Popen([sys.executable, "-m", "deploy.run_stack"], cwd=ROOT, env=env, start_new_session=True)
    edge = f"http://{env['EDGE_LISTEN']}"
    deadline = time.monotonic() + 600
    host, port = split_address(env["EDGE_LISTEN"])
    while not (port_open(host, port) and requests.get(edge + "/healthz", timeout=10).status_code == 200):
        if stack.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the stack did not start")
        time.sleep(2)
    return stack, env


def manage(env: dict, *args: str) -> str:
    """A management command with the stack's environment (the env file's values over its defaults)."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        full_env, _ = stack_environment((ROOT / env["ATELIER_VAR_DIR"]).resolve())
    finally:
        os.environ.clear()
        os.environ.update(saved)
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, env=full_env, cwd=ROOT, check=True, capture_output=True, text=True).stdout  # noqa: S603


def seed(env: dict, wanted_posts: int) -> tuple[int, str]:
    """The demo (artists, posts through the media pipeline) once, then copies of one category's
    posts until its feed holds `wanted_posts` (10 pages of 24 and more; Discover shows at most two
    posts per artist a page, so the demo's few artists fill only a few of its pages)."""
    count = manage(env, "shell", "-c", "from atelier.posts.models import Post; print(Post.objects.public().count())")
    if int(count.split()[-1]) == 0:
        manage(env, "seed_demo")
        manage(env, "seed_demo_posts")
    count, category = manage(env, "shell", "-c", PAD_POSTS.format(wanted=wanted_posts)).split()[-2:]
    return int(count), category


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--running", action="store_true", help="use a stack already started with the env file")
    args = parser.parse_args()
    env_file = read_env_file()
    stack = None
    if args.running:
        env = dict(os.environ) | env_file
    else:
        stack, env = start_stack(env_file)
    edge = f"http://{env['EDGE_LISTEN']}"
    results: dict = {
        "edge": edge,
        "bits": int(env_file["SHIELD_CHALLENGE_BITS"]),
        "load_average_start": os.getloadavg(),
    }
    try:
        results["public_posts"], category = seed(env, wanted_posts=250)
        time.sleep(31)  # Discover's ranking is cached for 30 s
        reader = earn_pass_in_python(edge, CHROME)
        pages, images = targets(reader, edge)
        results["targets"] = {"pages": pages, "images": len(images)}
        agents = sorted(json.loads(AI_LIST.read_text()))
        generic_count = len(GENERIC) + 2  # and the two headless Chromiums
        sample = random.Random(20).sample(  # noqa: S311 - a repeatable sample
            agents, max(20, args.clients - generic_count)
        )
        clients = [(agent, f"Mozilla/5.0 (compatible; {agent}/1.0)") for agent in sample] + list(GENERIC.items())
        rows = [run_client(edge, name, agent, pages, images) for name, agent in clients]
        rows += scrapers_browsers.headless_clients(edge, pages, images)
        results["clients"] = rows
        unsolved = [row for row in rows if not row.get("solved_puzzle")]
        results["served_to_clients_without_a_pass"] = {
            "clients": len(unsolved),
            "pages": sum(row["pages"] for row in unsolved),
            "images": sum(row["images"] for row in unsolved),
            "goal": 0,
        }
        results["burst_400_images_cookie_less"] = burst(edge, images, requests.Session()) | {"goal": "<= 50 served"}
        results["burst_400_images_one_solved_pass"] = burst(edge, images, earn_pass_in_python(edge, CHROME + " b"))
        results["real_browser_reader"] = scrapers_browsers.real_reader(edge, f"/categories/{category}/")
        results["artist_upload_and_crop"] = scrapers_browsers.artist_session(edge, env)
        results["chromium_js_sha256"] = scrapers_browsers.js_hash_rate(edge) | {"load_average": os.getloadavg()}
        results["puzzle_cost_python_hashlib"] = puzzle_cost()
        results["load_average_end"] = os.getloadavg()
    finally:
        if stack is not None:
            os.killpg(stack.pid, signal.SIGINT)
            stack.wait(90)
    per_pass = results["puzzle_cost_python_hashlib"][str(results["bits"])]["cpu_seconds_per_pass"]
    budget = int(env.get("SHIELD_PASS_MEDIA_PER_MINUTE", "600"))
    results["scraper_cost_at_chosen_bits"] = {
        "cpu_seconds_per_pass": per_pass,
        "pass_media_per_minute": budget,
        "passes_for_1000_images_in_one_minute": -(-1000 // budget),
        "cpu_seconds_per_1000_images_in_one_minute": round(per_pass * -(-1000 // budget), 4),
        "cpu_seconds_per_1000_images_one_pass_all_day": round(per_pass * 1000 / (budget * 1440), 7),
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({key: value for key, value in results.items() if key != "clients"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
