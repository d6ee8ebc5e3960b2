"""Faults under load (issue 19, part 3): the production stack, scaled out, survives each without a person.

Starts its own PostgreSQL cluster, Redis and SeaweedFS (so they can be restarted and stopped without
touching anyone else's), then `python -m deploy.run_stack` in front of them with two app-server
instances behind nginx and two media worker processes, in production's configuration: the pool sizes
and BACKGROUND_NICENESS of deploy/env.example (its media pool spread over the two workers) and the
settings' MEDIA_DETECTION_ONE_PASS (one media task fingerprints, checks, then renders each upload; the
detection pool keeps the retries). A light steady load (threads fetching pages through the edge,
anonymous and signed in) runs throughout; each fault is one scripted step (bench/surge_faults_kills.py
for the first two):

  kill_media_worker      kill -9 a media pool process mid-task, and a whole media worker
  kill_detection_worker  kill -9 the media pool process while an upload is in its AI check, and the
                         detection pool process whenever a retry of a check runs on it
  restart_postgres       pg_ctl restart while pages are read and posts are written
  stop_redis             Redis down 8 s (pages answer 503 + Retry-After), then back
  stop_object_store      SeaweedFS down: a tus chunk is refused with 503 + Retry-After, resumed after
  fill_media_queue       UPLOADS_FLOOD uploads queued at once while pages are read

Each records errors during and after, recovery seconds, and uploads lost or stuck (every upload must
end public or held). Writes bench/results/surge_faults.json. Ports 8300-8319, or FAULTS_BASE_PORT's twenty.
Run: `python bench/surge_faults.py` (about 10-15 minutes on two cores).
"""

import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.surge_faults_covers import CoverLag, wait_queues_empty  # noqa: E402
from bench.surge_faults_kills import (  # noqa: E402
    RETRY_RECEIVED,
    SETTLE_SECONDS,
    fault_kill_detection_worker,
    fault_kill_media_worker,
    wait_for_uploads,
)
from bench.surge_faults_load import Load, PageLoadSummary  # noqa: E402
from bench.surge_faults_stack import FaultStack  # noqa: E402

RESULTS = Path(os.environ.get("FAULTS_RESULTS") or ROOT / "bench" / "results" / "surge_faults.json")
UPLOADS_FLOOD = int(os.environ.get("UPLOADS_FLOOD", "500"))


def fault_restart_postgres(stack: FaultStack, load: Load) -> dict:
    load.mark("restart_postgres")
    writes = stack.start_writer()
    time.sleep(3)
    began = time.time()
    stack.postgres_restart()
    restarted = time.time() - began
    recovered = load.first_success_after(time.time()) or 0
    time.sleep(10)
    written = stack.stop_writer(writes)
    outcome = wait_for_uploads(stack, written["post_ids"], SETTLE_SECONDS)
    outage = began - load.marks["restart_postgres"] + restarted + recovered + 1
    return {
        **outcome,
        "restart_seconds": round(restarted, 1),
        "recovery_seconds": round(restarted + recovered, 1),
        "writes_attempted": written["attempted"],
        "writes_failed_cleanly": written["failed"],
        "half_written_posts": stack.half_written_posts(),
        **load.since("restart_postgres", outage_seconds=outage),
    }


def fault_stop_redis(stack: FaultStack, load: Load) -> dict:
    post_ids = [stack.make_upload(size=(1200, 900)) for _ in range(3)]  # their tasks are queued in Redis
    load.mark("stop_redis")
    stack.redis_stop()
    time.sleep(8)
    during = load.statuses_since("stop_redis")
    stack.redis_start()
    back = time.time()
    recovered = load.first_success_after(back)
    time.sleep(10)
    outcome = wait_for_uploads(stack, post_ids, SETTLE_SECONDS)
    return {
        **outcome,
        "down_seconds": 8,
        "statuses_while_down": during,
        "recovery_seconds": recovered,
        **load.since("stop_redis", outage_seconds=8 + (recovered or 0) + 1),
    }


def fault_stop_object_store(stack: FaultStack, load: Load) -> dict:
    load.mark("stop_object_store")
    upload = stack.tus_create(length=2 * 256 * 1024)
    first = stack.tus_patch(upload, offset=0, size=256 * 1024)
    stack.store_stop()
    refused = stack.tus_patch(upload, offset=256 * 1024, size=256 * 1024)
    pages_while_down = load.statuses_since("stop_object_store")
    stack.store_start()
    back = time.monotonic()
    offset = stack.tus_offset(upload)
    resumed = stack.tus_patch(upload, offset=offset, size=256 * 1024)
    return {
        "first_chunk": first["status"],
        "chunk_while_down": refused,
        "offset_after_outage": offset,
        "chunk_after_restart": resumed,
        "recovery_seconds": round(time.monotonic() - back, 1),
        "pages_while_down": pages_while_down,
        "uploads": 1,
        "lost": 0 if resumed["status"] == 204 and resumed.get("offset") == str(2 * 256 * 1024) else 1,
        "stuck": 0,
        **load.since("stop_object_store"),
    }


def fault_fill_media_queue(stack: FaultStack, load: Load, baseline: PageLoadSummary) -> dict:
    """UPLOADS_FLOOD uploads queued as fast as they can be made; pages are timed meanwhile. The media
    queue (which also checks each upload under MEDIA_DETECTION_ONE_PASS) has its own workers, at a
    lower CPU priority than the app servers (BACKGROUND_NICENESS), so pages keep their time and the
    queue takes what is left.
    The flood is waited out to its end, up to FLOOD_DEADLINE_SECONDS from its first upload (stated
    in the result): an upload not public or held by then is counted as still queued if its task is
    in the broker, else as stuck. Then, until every post has its thumbnail and cover (`covers`:
    seconds each was public with a placeholder card, bench/surge_faults_covers) and the media queue
    is empty."""
    deadline = float(os.environ.get("FLOOD_DEADLINE_SECONDS", "1800"))
    covers = CoverLag(stack)
    covers.start()
    load.mark("fill_media_queue")
    began, began_wall = time.monotonic(), time.time()
    post_ids = [stack.make_upload(size=(320, 240)) for _ in range(UPLOADS_FLOOD)]
    queued_seconds = time.monotonic() - began
    load.mark("fill_media_queue_drain")
    backlog_after_queueing = stack.queue_lengths()
    outcome = wait_for_uploads(stack, post_ids, max(0.0, deadline - queued_seconds))
    drained_seconds = time.monotonic() - began
    pages = load.since("fill_media_queue")  # while the uploads were queued and the queues drained
    draining = load.since("fill_media_queue_drain")
    backlog_at_end = stack.queue_lengths()
    still_queued = min(outcome["stuck"], backlog_at_end["media"] + backlog_at_end["detection"])
    settled = outcome["public"] + outcome["held"]
    covered = covers.finish(post_ids, began_wall=began_wall, timeout=max(60.0, deadline - drained_seconds))
    emptied = wait_queues_empty(stack, timeout=max(60.0, deadline - drained_seconds))
    covered["broker_queues_empty_seconds"] = round(emptied - began, 1) if emptied else None
    return {
        **outcome,
        "stuck": outcome["stuck"] - still_queued,
        "still_queued_at_end": still_queued,
        "deadline_seconds": deadline,
        "drained": settled == len(post_ids),
        "seconds_to_drain": round(drained_seconds, 1) if settled == len(post_ids) else None,
        "settled_per_minute": round(60 * settled / max(drained_seconds, 1), 1),
        "queued_in_seconds": round(queued_seconds, 1),
        "backlog_after_queueing": backlog_after_queueing,
        "backlog_at_end": backlog_at_end,
        "background_niceness": stack.environment()["BACKGROUND_NICENESS"],
        "page_p95_ms_baseline": baseline["p95_ms"],
        "page_p95_ms_during": pages["p95_ms"],
        "page_p95_ms_while_queueing": load.between("fill_media_queue", "fill_media_queue_drain")["p95_ms"],
        "page_p95_ms_while_draining": draining["p95_ms"],
        "p95_ratio_to_baseline": round(pages["p95_ms"] / max(baseline["p95_ms"], 0.1), 2),
        **pages,
        "covers": covered,
    }


def _stop(signum, frame):
    raise KeyboardInterrupt  # so `finally` stops every process this bench started


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    work = Path(tempfile.mkdtemp(prefix="atelier-c-faults-"))
    stack = FaultStack(work)
    results: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "faults": {}}
    results["loadavg_before"] = os.getloadavg()
    try:
        stack.start()
        results["configuration"] = stack.configuration()
        load = Load(stack, threads=int(os.environ.get("LOAD_THREADS", "3")))
        load.start()
        load.mark("baseline")
        time.sleep(20)
        baseline = load.since("baseline")
        results["baseline"] = baseline
        print("baseline", json.dumps(baseline), flush=True)
        steps = [
            ("kill_media_worker", lambda: fault_kill_media_worker(stack, load)),
            ("kill_detection_worker", lambda: fault_kill_detection_worker(stack, load)),
            ("restart_postgres", lambda: fault_restart_postgres(stack, load)),
            ("stop_redis", lambda: fault_stop_redis(stack, load)),
            ("stop_object_store", lambda: fault_stop_object_store(stack, load)),
            ("fill_media_queue", lambda: fault_fill_media_queue(stack, load, baseline)),
        ]
        only = set(filter(None, os.environ.get("FAULTS", "").split(",")))
        for name, step in steps:
            if only and name not in only:
                continue
            try:
                results["faults"][name] = step()
            except Exception as error:  # a broken step is recorded as such; the rest still run
                results["faults"][name] = {"step_failed": f"{type(error).__name__}: {error}"}
            print(name, json.dumps(results["faults"][name]), flush=True)
            RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        load.stop()
        results["needed_a_person"] = False
        results["loadavg_after"] = os.getloadavg()
        results["supervisor_restarts"] = stack.restarts_seen()
        # Under one pass the detection pool only runs retries of a check that failed on the media
        # pool: how many it was given over the whole run, every fault included.
        results["detection_retries_received"] = stack.log_count(RETRY_RECEIVED)
    finally:
        stack.stop()
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
