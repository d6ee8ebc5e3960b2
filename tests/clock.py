"""A clock the test moves by hand, for code that reads the configured clock (atelier.core.clock)."""


class ManualClock:
    def __init__(self, start: float = 1_800_000_000.0):
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds
