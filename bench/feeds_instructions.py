"""Instructions per feed request, counted by callgrind: stable where requests per second are noisy.

Run against the database a `bench/feeds.py --keep` run left (atelier_bench, Redis DB 6 or BENCH_REDIS_URL):

    .venv/bin/python bench/feeds_instructions.py follows_1000 20            # feeds and searches, check on
    .venv/bin/python bench/feeds_instructions.py follows_1000 20 --check off  # SHIELD_CHALLENGE_BITS=0
    .venv/bin/python bench/feeds_instructions.py --all 20 [viewer …]         # check on and off, every viewer
                                                                             # or those named
                                                                             # → bench/results/feeds_instructions.json

The client is a browser that passed the check, as in bench/feeds.py: it sends the pass cookie minted
for its address and User-Agent, so with the check on every page pays for verifying the pass; with
`--check off` (SHIELD_CHALLENGE_BITS=0) the middleware returns at once, and the difference is the
pass check's cost per request.

It starts itself under valgrind's callgrind with instrumentation off (start-up runs at native speed),
signs the viewer in and serves each page three times to fill the caches and the process's copies;
then, per page (each twice, round robin, the lower count kept: time-based caches expire at
callgrind's pace), it switches instrumentation on for `count` requests only (callgrind's client
requests, through a few lines of C compiled on the spot), and reads the dump: instructions per warm
request. In-process through the whole middleware stack (Django's test client handler, as gunicorn's
WSGI handler would), garbage collector off, one BLAS thread, fixed hash seed. Needs valgrind, its
headers (valgrind/callgrind.h) and a C compiler.
"""

import ctypes
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.feeds_seed import SEARCHES  # noqa: E402 - after ROOT is importable

HANDLES = {"new": "bench_new", "follows_1000": "bench_follows_1000", "follower_of_top": "bench_follower_of_top"}
FEED_PAGES = ("/feed/following/", "/feed/discover/", "/feed/home/")
# bench/feeds.py's searches: a word, its typo, two words, a tag, an artist and a typo of one.
SEARCH_PAGES = tuple(f"/search/?{urlencode({'q': query, 'type': kind})}" for _, query, kind in SEARCHES)
PAGES = FEED_PAGES + SEARCH_PAGES
AGENT = "Mozilla/5.0 bench"
_SHIM = """
#include <valgrind/callgrind.h>
void measure_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void measure_stop(const char *name) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS_AT(name); }
"""


def _shim(folder: Path) -> ctypes.CDLL:
    source, library = folder / "measure.c", folder / "measure.so"
    source.write_text(_SHIM)
    subprocess.run(["gcc", "-O1", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)  # noqa: S603, S607
    return ctypes.CDLL(str(library))


def serve(case: str, count: int, folder: Path, check: str) -> None:
    """The measured process (under callgrind)."""
    from bench.feeds import bench_env

    os.environ.update(bench_env())
    if check == "off":
        os.environ["SHIELD_CHALLENGE_BITS"] = "0"
    # Two code versions measured side by side keep their cache entries apart.
    os.environ["CACHE_KEY_PREFIX"] = os.environ.get("INSTRUCTIONS_CACHE_PREFIX", "atelier-bench")
    import django

    django.setup()
    from django.test import Client

    from atelier.accounts.models import User
    from atelier.protection.shield.passes import PASS_COOKIE, mint_pass

    measure = _shim(folder)
    client = Client(HTTP_USER_AGENT=AGENT, REMOTE_ADDR="127.0.0.1", HTTP_HOST="127.0.0.1")
    client.cookies[PASS_COOKIE] = mint_pass(address="127.0.0.1", user_agent=AGENT, now=time.time())[0]
    client.force_login(User.objects.get(handle=HANDLES[case]))
    gc.disable()
    for page in PAGES:
        for _ in range(3):
            if (status := client.get(page).status_code) != 200:
                raise SystemExit(f"{page}: {status}")
    for page in PAGES * 2:  # each page twice, round robin: the lower of the two counts
        measure.measure_start()
        for _ in range(count):
            client.get(page)
        measure.measure_stop(page.encode())


def measure(case: str, count: int, check: str = "on") -> dict[str, int]:
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(  # noqa: S603 - valgrind, our own interpreter and script
            [
                shutil.which("valgrind") or "/usr/bin/valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={folder}/out",
                sys.executable,
                __file__,
                "--serve",
                case,
                str(count),
                folder,
                check,
            ],
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0"},
            capture_output=True,
            check=True,
        )
        figures = {}
        for dump in sorted(Path(folder).glob("out.*")):
            text = dump.read_text(errors="replace")
            trigger = re.search(r"^desc: Trigger: Client Request: (.+)$", text, re.MULTILINE)
            total = re.search(r"^totals: (\d+)", text, re.MULTILINE)
            if trigger and total:
                page, per_request = trigger.group(1).strip(), int(total.group(1)) // count
                figures[page] = min(per_request, figures.get(page, per_request))
        return figures


def measure_all(count: int, viewers: list[str]) -> dict:
    """The viewers (all by default), with the check on and off; the difference is the pass check."""
    cases = {}
    for case in viewers or HANDLES:
        on, off = measure(case, count, "on"), measure(case, count, "off")
        cases[case] = {
            page: {"check_on": on[page], "check_off": off[page], "pass_check": on[page] - off[page]} for page in on
        }
        for page, figures in cases[case].items():
            print(f"{case:<16} {page:<42} {figures}", flush=True)
    return {
        "method": "callgrind instructions per warm request (lower of two rounds of `count` requests), in-process "
        "through the whole middleware stack, GC off, OPENBLAS_NUM_THREADS=1, PYTHONHASHSEED=0; check_on: "
        "production settings (SHIELD_CHALLENGE_BITS=16) with a valid pass cookie; check_off: SHIELD_CHALLENGE_BITS=0",
        "requests_per_round": count,
        "load_average": list(os.getloadavg()),
        "cases": cases,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]), sys.argv[5])
    elif sys.argv[1] == "--all":
        report = measure_all(int(sys.argv[2]), sys.argv[3:])
        out = ROOT / "bench" / "results" / "feeds_instructions.json"
        out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"Wrote {out.relative_to(ROOT)}")
    else:
        check = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--check" else "on"
        for page, instructions in measure(sys.argv[1], int(sys.argv[2]), check).items():
            print(f"{sys.argv[1]:<16} {page:<42} {instructions:>14,} instructions per request (check {check})")
