"""bin/stack's process list scaled out by configuration, and its supervisor bringing back what dies.

The supervisor tests run real child processes and kill them with SIGKILL, as the OOM killer or an
operator's `kill -9` would.
"""

import os
import signal
import sys

import pytest

from deploy.run_stack import app_addresses, process_plan
from deploy.stack import Supervisor

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
