"""Room on CPython 3.11's frame stack for a whole request, so rendering a page does not map and unmap
memory hundreds of times.

CPython 3.11 keeps Python frames in 16 KB chunks and frees a chunk the moment the stack unwinds out
of it (python/cpython gh-142183; 3.13 and 3.14 got a one-chunk cache). A template whose recursion keeps
crossing a chunk boundary therefore maps and unmaps a chunk every time: strace of a feed page under
load showed 384 mmap/munmap pairs per request (192 for the same template from memory), 387 page
faults and 3.4 ms of kernel time per page, a fifth of the CPU. Which pages thrash depends on how deep
the stack happens to be when they render, so the cost came and went with unrelated changes.

`with_stack_room(app)` starts each request in a frame that reserves RESERVED_SLOTS value-stack
slots: CPython gives that frame a fresh chunk sized in powers of two (16 KB doubled until the frame
and 8 KB of overhead fit), 128 KB, and the request's own frames fill the ~54 KB above it. One mapping
per request instead of hundreds (bench/feeds.py: 6 page faults per request, kernel time 0.3 ms). A
request deeper than that just gets further chunks, as before.
"""

import sys

RESERVED_SLOTS = 8400  # 66 KB of 8-byte slots: the smallest reservation that earns a 128 KB chunk


def _call(function, *args):
    return function(*args)


if (3, 11) <= sys.version_info[:2] < (3, 13):  # 3.13+ caches a chunk; 3.11 is what we run
    # A larger value stack than the code needs is never used, only reserved: behaviour is unchanged.
    _call.__code__ = _call.__code__.replace(co_stacksize=_call.__code__.co_stacksize + RESERVED_SLOTS)


def call_with_stack_room(function, *args):
    """`function(*args)` with the frame stack room described above."""
    return _call(function, *args)


def with_stack_room(application):
    """A WSGI application that serves each request with that room."""

    def roomy_application(environ, start_response):
        return _call(application, environ, start_response)

    return roomy_application
