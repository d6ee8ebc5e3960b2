"""Instructions per feed request, counted by callgrind: stable where requests per second are noisy.

Run against the database a `bench/feeds.py --keep` run left (atelier_bench, Redis DB 6):

    .venv/bin/python bench/feeds_instructions.py follows_1000 20

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
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HANDLES = {"new": "bench_new", "follows_1000": "bench_follows_1000", "follower_of_top": "bench_follower_of_top"}
PAGES = ("/feed/following/", "/feed/discover/", "/feed/home/")
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


def serve(case: str, count: int, folder: Path) -> None:
    """The measured process (under callgrind)."""
    from bench.feeds import bench_env

    os.environ.update(bench_env())
    # Two code versions measured side by side keep their cache entries apart.
    os.environ["CACHE_KEY_PREFIX"] = os.environ.get("INSTRUCTIONS_CACHE_PREFIX", "atelier-bench")
    import django

    django.setup()
    from django.test import Client

    from atelier.accounts.models import User

    measure = _shim(folder)
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 bench", REMOTE_ADDR="127.0.0.1", HTTP_HOST="127.0.0.1")
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


def measure(case: str, count: int) -> dict[str, int]:
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


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))
    else:
        for page, instructions in measure(sys.argv[1], int(sys.argv[2])).items():
            print(f"{sys.argv[1]:<16} {page:<18} {instructions:>14,} instructions per request")
