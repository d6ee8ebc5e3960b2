"""The frame-stack room each request runs in (atelier.core.stack_room): without it, CPython 3.11 maps
and unmaps a 16 KB chunk every time a call chain crosses a chunk boundary; with it, none."""

import resource
import sys

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client

from atelier.core.stack_room import call_with_stack_room, with_stack_room

pytestmark = pytest.mark.skipif(
    not ((3, 11) <= sys.version_info[:2] < (3, 13)), reason="later CPythons cache a chunk themselves"
)


def descend(depth: int) -> int:
    return 0 if depth == 0 else descend(depth - 1) + 1


def dive_many_times() -> None:
    for _ in range(400):
        descend(250)  # ~250 small frames: past at least one 16 KB chunk boundary from any test's depth


def page_faults_during(function) -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    function()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_a_call_chain_crossing_a_chunk_boundary_maps_memory_every_time_without_room():
    dive_many_times()  # warm: anything else this process maps once is mapped now
    assert page_faults_during(dive_many_times) >= 400  # a fresh chunk (at least one new page) per dive


def test_with_room_the_same_dives_map_memory_once():
    call_with_stack_room(dive_many_times)
    assert page_faults_during(lambda: call_with_stack_room(dive_many_times)) < 40  # the one chunk's pages


@pytest.mark.django_db
def test_the_wrapped_site_serves_pages_as_before():
    application = with_stack_room(get_wsgi_application())
    statuses = []
    environ = Client()._base_environ(PATH_INFO="/", REQUEST_METHOD="GET")
    # As Django's test client does: the test's transaction must outlive the request.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        body = b"".join(application(environ, lambda status, headers: statuses.append(status)))
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)
    assert statuses == ["200 OK"] and b"<!doctype html>" in body.lower()
