"""What time it is, for code that counts time windows (rate limits, the detection sweep's deadlines).

Rate limits read the clock named by the RATE_LIMIT_CLOCK setting: the system clock in every
deployment. A test sets a clock it moves by hand (tests/clock.py), so a window can be crossed in
a microsecond instead of slept out; a RateLimit may also be given its own clock.
"""

import time
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""


class SystemClock:
    def now(self) -> float:
        return time.time()


system_clock = SystemClock()


@lru_cache(maxsize=4)
def _named(path: str) -> Clock:
    return import_string(path)


def configured_clock() -> Clock:
    """settings.RATE_LIMIT_CLOCK: a dotted path to a clock, or a clock object."""
    configured = settings.RATE_LIMIT_CLOCK
    return _named(configured) if isinstance(configured, str) else configured
