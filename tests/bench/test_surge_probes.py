"""The surge's CPU meter (bench/surge_probes.CpuMeter) counts a process that exits between its two
snapshots, as gunicorn's workers do when recycled after max-requests: a real process tree, a parent
that reaps a child which burns CPU on both sides of the first snapshot."""

import subprocess
import sys
import time

import pytest

from bench.surge_probes import CpuMeter, cpu_seconds, spread

pytestmark = pytest.mark.backend_free  # neither database nor cache: runs once (tests/conftest.py)

# The parent (its command line says gunicorn, as kind_of reads it) starts a worker that burns CPU
# until `stop` exists, then reaps it and sleeps until killed.
PARENT = """
import pathlib, subprocess, sys, time
stop = pathlib.Path(sys.argv[1])
worker = subprocess.Popen([sys.executable, "-c", '''
import pathlib, sys
stop = pathlib.Path(sys.argv[1])
while not stop.exists():
    sum(range(20000))
''', str(stop), "gunicorn-worker"])
worker.wait()
pathlib.Path(str(stop) + ".reaped").touch()
time.sleep(60)
"""


def _wait_for(condition, seconds=20.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_a_worker_that_exits_between_the_snapshots_is_counted_from_the_first(tmp_path):
    stop = tmp_path / "stop"
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(stop), "gunicorn"])  # noqa: S603
    try:
        meter = CpuMeter(parent.pid, None)
        _wait_for(lambda: len(meter.snapshot()) == 2)
        worker = next(pid for pid in meter.snapshot() if pid != parent.pid)
        _wait_for(lambda: cpu_seconds(worker)[0] >= 0.3)  # it has spent some before the first snapshot
        before = meter.snapshot()
        spent_before = before[worker][1]
        _wait_for(lambda: cpu_seconds(worker)[0] >= spent_before + 0.5)
        last_seen = cpu_seconds(worker)[0]
        stop.touch()
        _wait_for((tmp_path / "stop.reaped").exists)
        after = meter.snapshot()
        assert worker not in after
        spent_between = CpuMeter.delta(before, after)["gunicorn"]
        # At least what it was seen spending after the first snapshot, and not what it spent before.
        assert last_seen - spent_before <= spent_between < last_seen - spent_before + 0.3
    finally:
        parent.kill()
        parent.wait()


def test_the_spread_lists_each_live_app_process_most_first():
    before = {10: ("gunicorn", 1.0, 0.0, 1), 11: ("gunicorn", 2.0, 0.0, 1), 12: ("nginx", 5.0, 0.0, 1)}
    after = {
        10: ("gunicorn", 4.5, 0.0, 1),  # 3.5 s between the snapshots
        11: ("gunicorn", 2.25, 0.0, 1),  # 0.25 s
        13: ("gunicorn", 1.0, 0.0, 1),  # started since (a recycled worker): all it spent
        12: ("nginx", 9.0, 0.0, 1),  # another kind: left out
    }
    assert spread(before, after, "gunicorn") == [3.5, 1.0, 0.25]
    assert spread(before, after, "celery-media") == []
