"""The kill -9 steps of bench/surge_faults.py, and the wait every step ends with.

With MEDIA_DETECTION_ONE_PASS (production's default) one task on the media pool fingerprints an
upload, runs its AI check and then draws its renditions; the detection pool only runs the retries of
a check that failed there. So "kill a detection worker mid-task" means two things here: kill the media
pool process while the upload's task is in its check (the classifier and watermark part), and kill the
detection pool process whenever a retry is running on it (recorded as none when there is none).
"""

import os
import signal
import time
from collections import Counter

from bench.surge_faults_load import Load
from bench.surge_faults_stack import FaultStack

SETTLE_SECONDS = float(os.environ.get("SETTLE_SECONDS", "240"))
MEDIA = ("media1", "media2")
RETRY_RECEIVED = r"tasks\.detect_media_item\[[0-9a-f-]+\] received"


def wait_for_uploads(stack: FaultStack, post_ids: list[int], timeout: float) -> dict:
    """Until every post is public or held (or the timeout): seconds taken and what is left."""
    started = time.monotonic()
    while True:
        states = stack.post_states(post_ids)
        waiting = [pk for pk in post_ids if states.get(pk) not in ("public", "held")]
        if not waiting or time.monotonic() - started > timeout:
            break
        time.sleep(1)
    lost = [pk for pk in post_ids if pk not in states]
    return {
        "uploads": len(post_ids),
        "public": sum(1 for pk in post_ids if states.get(pk) == "public"),
        "held": sum(1 for pk in post_ids if states.get(pk) == "held"),
        "lost": len(lost),
        "stuck": len(waiting) - len(lost),
        "stuck_post_ids": [pk for pk in waiting if pk not in lost],
        "settled_seconds": round(time.monotonic() - started, 1),
    }


def phases(stack: FaultStack, post_ids: list[int]) -> dict:
    return dict(Counter(stack.upload_phase(pk) for pk in post_ids))


IN_TASK = ("checking", "checked", "rendering")  # an upload's one task is running (past its fingerprint)


def busy_on_uploads(stack: FaultStack, workers: tuple[str, ...], post_ids: list[int]) -> tuple[list[int], dict]:
    """Pool processes of these workers mid-task (using CPU) while one of `post_ids` is being checked
    or rendered, so the task is most likely an upload's (up to a minute); and those uploads' phases."""
    deadline = time.monotonic() + 60
    busy, at = [], {}
    while time.monotonic() < deadline and not busy:
        busy = stack.busy_pool_children(*workers)
        at = phases(stack, post_ids)
        busy = busy if set(at) & set(IN_TASK) else []
    return busy, at


def kill_busy_pool_process(stack: FaultStack, *workers: str, post_ids: list[int]) -> dict:
    """kill -9 a pool process of these workers while it is mid-task on an upload."""
    busy, at_kill = busy_on_uploads(stack, workers, post_ids)
    for pid in busy[:1]:
        os.kill(pid, signal.SIGKILL)
    return {"killed_pids": busy[:1], "mid_task": bool(busy), "upload_phases_at_kill": at_kill}


def fault_kill_media_worker(stack: FaultStack, load: Load) -> dict:
    load.mark("kill_media_worker")
    post_ids = [stack.make_upload(size=(2400, 1800)) for _ in range(8)]
    killed = kill_busy_pool_process(stack, *MEDIA, post_ids=post_ids)
    # And a whole worker, main process included, while it holds an upload in its check: its unacked
    # task waits out the broker's visibility timeout (an hour), so the stalled-media sweep
    # (MEDIA_STALLED_SECONDS) and bin/stack's restart must recover it, check included. Uploads made
    # while it is down go to the other worker.
    whole = kill_in_check_phase(stack, size=(2400, 1800), whole_worker=True)
    more = [stack.make_upload(size=(1600, 1200)) for _ in range(3)]
    outcome = wait_for_uploads(stack, [*post_ids, whole["post_id"], *more], SETTLE_SECONDS)
    return {
        **outcome,
        "recovery_seconds": outcome["settled_seconds"],
        "pool_process_killed": killed,
        "whole_worker_killed": whole,
        **load.since("kill_media_worker"),
    }


def wait_until_media_idle(stack: FaultStack, timeout: float = 120) -> bool:
    """Both media workers up, their queue empty and no pool process busy: the next upload is the
    only work."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        up = all(stack.pool_children(name) for name in MEDIA)
        if up and stack.queue_lengths()["media"] == 0 and not stack.busy_pool_children(*MEDIA):
            return True
        time.sleep(0.5)
    return False


def kill_in_check_phase(
    stack: FaultStack, *, size: tuple[int, int], whole_worker: bool = False, settle: bool = False
) -> dict:
    """One upload made while the media pool is idle; the pool process that takes it up is the one
    whose CPU time grows. It is killed (with `whole_worker`, its whole worker, main process included)
    once the upload is fingerprinted and has no verdict nor renditions yet (`FaultStack.upload_phase`
    "checking"), which the phase read again right after the kill confirms. With `settle`, the
    upload is then waited for, and the seconds from the kill to public or held recorded."""
    idle = wait_until_media_idle(stack)
    # Each worker's processes, listed now so the kill itself is one system call per process: read
    # from /proc after the phase was seen, a busy box let the check finish first.
    families = {name: [stack.worker_main(name) or 0, *stack.pool_children(name)] for name in MEDIA}
    pool = [pid for family in families.values() for pid in family[1:]]
    before = stack.process_ticks(pool)
    post_id = stack.make_upload(size=size)
    made = time.monotonic()
    seen = Counter()
    record = {"post_id": post_id, "media_idle_before": idle, "killed_pids": []}
    while time.monotonic() - made < 120:
        phase = stack.upload_phase(post_id)
        seen[phase] += 1
        if phase == "checking":
            now = stack.process_ticks(pool)
            working = {pid: ticks - before.get(pid, 0) for pid, ticks in now.items() if ticks > before.get(pid, 0)}
            if working:
                pid = max(working, key=working.get)
                worker = next((name for name, family in families.items() if pid in family), None)
                killed = families[worker] if whole_worker and worker else [pid]
                for one in filter(None, killed):
                    os.kill(one, signal.SIGKILL)
                after = stack.upload_phase(post_id)
                record |= {
                    "worker": worker, "killed_pids": killed, "seconds_after_upload": round(time.monotonic() - made, 2),
                    "phases_polled_before_kill": dict(seen), "phase_right_after_kill": after,
                    "in_check_phase": after == "checking",
                }  # fmt: skip
                if settle:  # how long the killed upload took to end public or held, from its kill
                    settled = wait_for_uploads(stack, [post_id], SETTLE_SECONDS)
                    record["settled_seconds_after_kill"] = None if settled["stuck"] else settled["settled_seconds"]
                return record
        elif phase not in ("queued", "checking"):
            break  # the check finished between two looks: this upload was missed
        time.sleep(0.005)
    return record | {"phases_polled": dict(seen), "in_check_phase": False}


def kill_detection_retries(stack: FaultStack, *, seconds: float) -> dict:
    """For `seconds`, kill -9 the detection pool process whenever it is busy: under one pass it only
    runs retries of a check that failed on the media pool (or the stale-check sweep's re-runs)."""
    killed = []
    deadline = time.monotonic() + seconds
    queued = 0
    while time.monotonic() < deadline:
        queued = max(queued, stack.queue_lengths()["detection"])
        for pid in stack.busy_pool_children("detection")[:1]:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
    return {"watched_seconds": seconds, "killed_pids": killed, "retry_in_flight": bool(killed),
            "detection_queue_max": queued}  # fmt: skip


def fault_kill_detection_worker(stack: FaultStack, load: Load) -> dict:
    load.mark("kill_detection_worker")
    retries_before = stack.log_count(RETRY_RECEIVED)
    kills = int(os.environ.get("CHECK_KILLS", "3"))
    attempts = [kill_in_check_phase(stack, size=(2400, 1800), settle=True) for _ in range(kills)]
    post_ids = [attempt["post_id"] for attempt in attempts]
    # Uploads in flight meanwhile, so a retry (if the kills caused one) has a pool process to be on.
    post_ids += [stack.make_upload(size=(1200, 900)) for _ in range(3)]
    detection = kill_detection_retries(stack, seconds=float(os.environ.get("DETECTION_WATCH_SECONDS", "45")))
    outcome = wait_for_uploads(stack, post_ids, SETTLE_SECONDS)
    after_kills = [attempt["settled_seconds_after_kill"] for attempt in attempts if attempt["killed_pids"]]
    if stack.environment().get("MEDIA_DETECTION_ONE_PASS", "true").lower() in ("0", "false", "no", "off"):
        detection["note"] = "two pools: every check runs on the detection pool"
    return {
        **outcome,
        # Each killed upload is waited for before the next kill: the slowest of them, from its kill.
        "recovery_seconds": None if None in after_kills else max(after_kills, default=outcome["settled_seconds"]),
        "killed_in_check_phase": sum(1 for attempt in attempts if attempt["in_check_phase"]),
        "check_phase_kills": attempts,
        "detection_pool": detection,
        "detection_retries_received_this_step": stack.log_count(RETRY_RECEIVED) - retries_before,
        "detection_retries_received_whole_run": stack.log_count(RETRY_RECEIVED),
        **load.since("kill_detection_worker"),
    }
