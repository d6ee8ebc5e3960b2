"""bin/stack's process list scaled out by configuration, and its supervisor bringing back what dies.

The supervisor tests run real child processes and kill them with SIGKILL, as the OOM killer or an
operator's `kill -9` would.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.run_stack import app_addresses, process_plan
from deploy.stack import Supervisor

pytestmark = pytest.mark.backend_free  # neither database nor cache: runs once (tests/conftest.py)

SCALED = {"EDGE_APP_ADDRESS": "127.0.0.1:8481", "WEB_INSTANCES": "2", "MEDIA_WORKERS": "2", "WEB_PROCESSES": "3"}


def names(plan, word):
    return [name for name, _ in plan if word in name]


def test_two_instances_listen_on_consecutive_ports_and_the_edge_lists_both():
    assert app_addresses(SCALED) == ["127.0.0.1:8481", "127.0.0.1:8482"]
    assert app_addresses({"EDGE_APP_ADDRESS": "127.0.0.1:8481"}) == ["127.0.0.1:8481"]
    listed = {**SCALED, "EDGE_APP_ADDRESSES": " 10.0.0.5:8000, 10.0.0.6:8000 ,"}
    assert app_addresses(listed) == ["10.0.0.5:8000", "10.0.0.6:8000"]


def test_scaled_out_there_are_two_app_servers_two_media_workers_and_one_scheduler():
    plan = process_plan(SCALED)
    assert len(names(plan, "gunicorn")) == 2
    media = [command for name, command in plan if "Celery media" in name]
    assert len(media) == 2
    hostnames = {command[command.index("--hostname") + 1] for command in media}
    assert hostnames == {"media1@%h", "media2@%h"}  # distinct, or Celery's mingle sees one worker
    assert len(names(plan, "beat")) == 1  # a second beat would send every periodic task twice


@pytest.mark.parametrize("value", ["0", "", "-3"])
def test_nonsense_counts_still_start_one_of_each(value):
    plan = process_plan({"EDGE_APP_ADDRESS": "127.0.0.1:8481", "WEB_INSTANCES": value, "MEDIA_WORKERS": value})
    assert len(names(plan, "gunicorn")) == 1
    assert len(names(plan, "Celery media")) == 1


@pytest.mark.parametrize("value", ["two", "2.5", "1e3", "0x2"])
def test_a_count_that_is_not_a_number_is_refused_in_words(value):
    with pytest.raises(RuntimeError, match="WEB_INSTANCES must be a number of processes"):
        process_plan({"EDGE_APP_ADDRESS": "127.0.0.1:8481", "WEB_INSTANCES": value})


def test_a_worker_killed_with_sigkill_is_started_again():
    supervisor = Supervisor()
    first = supervisor.run("worker", [sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ))
    try:
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        supervisor.check()
        _, second = supervisor.children[0]
        assert second.pid != first.pid
        assert second.poll() is None
    finally:
        supervisor.stop_all()


def test_a_process_that_keeps_dying_stops_the_stack_instead_of_looping():
    supervisor = Supervisor()
    supervisor.run("broken", [sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ))
    try:
        with pytest.raises(RuntimeError, match="broken exited with 3"):
            for _ in range(Supervisor.RESTARTS_ALLOWED + 1):
                supervisor.children[0][1].wait()
                supervisor.check()
    finally:
        supervisor.stop_all()


# --- Background pools yield the CPU to the pages


def command_of(plan, word):
    return next(command for name, command in plan if word in name)


def test_media_detection_and_cloak_pools_run_at_a_lower_cpu_priority_than_the_pages():
    plan = process_plan({**SCALED, "CLOAK_AVAILABLE": "true"})
    background = [command for name, command in plan if any(f"{q} (" in name for q in ("media", "detection", "cloak"))]
    assert len(background) == 4  # media1, media2, detection, cloak
    for command in background:
        assert command[:3] == ["nice", "-n", "5"]
        assert command[3] == sys.executable
    # What people wait for keeps the normal priority: pages, confirmation mail, the scheduler.
    for word in ("gunicorn", "default,email", "beat"):
        assert "nice" not in command_of(plan, word)


def test_the_niceness_is_configurable_and_zero_turns_it_off():
    assert command_of(process_plan({**SCALED, "BACKGROUND_NICENESS": "19"}), "detection")[:3] == ["nice", "-n", "19"]
    assert command_of(process_plan({**SCALED, "BACKGROUND_NICENESS": " 7 "}), "media1")[:3] == ["nice", "-n", "7"]
    assert command_of(process_plan({**SCALED, "BACKGROUND_NICENESS": "0"}), "media1")[0] == sys.executable


@pytest.mark.parametrize("value", ["20", "-5", "ten", "1.5", "10; rm -rf /"])
def test_a_niceness_outside_linux_range_is_refused_in_words(value):
    with pytest.raises(RuntimeError, match="BACKGROUND_NICENESS must be a niceness from 0 to 19"):
        process_plan({**SCALED, "BACKGROUND_NICENESS": value})


def test_a_pool_started_from_the_plan_really_runs_at_that_niceness():
    """The plan's prefix in front of a stand-in for Celery (Python reporting its own priority): the
    kernel gives the process the lower priority, and Celery's pool processes inherit it."""
    command = command_of(process_plan({**SCALED, "BACKGROUND_NICENESS": "7"}), "detection")
    prefix = command[: command.index(sys.executable)]
    report = "import os; print(os.getpriority(os.PRIO_PROCESS, 0))"
    started = subprocess.run([*prefix, sys.executable, "-c", report], capture_output=True, text=True, check=True)  # noqa: S603
    assert int(started.stdout) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 7)


NO_AUTOGROUPS = not os.path.exists("/proc/self/autogroup")


def autogroup_niceness(pid: int) -> str:
    return Path(f"/proc/{pid}/autogroup").read_text().split()[-1]


@pytest.mark.skipif(NO_AUTOGROUPS, reason="this kernel groups CPU time by cgroup, not by session")
def test_the_supervisor_lowers_a_background_pools_whole_session_not_only_its_process():
    """Each child runs in its own session; where the kernel shares CPU between sessions (autogroups),
    the pool's session gets the niceness too, or the pool would still take as much CPU as the pages."""
    plan = process_plan({**SCALED, "BACKGROUND_NICENESS": "7"})
    background, page = command_of(plan, "detection"), command_of(plan, "gunicorn")
    stand_in = [sys.executable, "-c", "import time; time.sleep(60)"]
    supervisor = Supervisor()
    try:
        prefix = background[: background.index(sys.executable)]
        pool = supervisor.run("detection", [*prefix, *stand_in], dict(os.environ))
        app = supervisor.run("gunicorn", [*page[: page.index(sys.executable)], *stand_in], dict(os.environ))
        assert autogroup_niceness(pool.pid) == "7"
        assert autogroup_niceness(app.pid) == "0"
        assert os.getsid(pool.pid) == pool.pid != os.getsid(0)  # its own session, so its own autogroup
    finally:
        supervisor.stop_all()
