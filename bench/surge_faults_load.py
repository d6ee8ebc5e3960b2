"""A light steady page load through the edge for bench/surge_faults.py: a few threads reading the
front page, Discover, a profile and a post anonymously, and Following and Home signed in, timing
each answer, so every fault step can say what readers saw during and after it."""

import http.client
import threading
import time
from collections import Counter
from typing import TypedDict

from bench.surge_faults_stack import EDGE, FaultStack


class PageLoadSummary(TypedDict, total=False):
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float


class Load:
    """A few threads reading pages through the edge, anonymous and signed in, without pause."""

    def __init__(self, stack: FaultStack, *, threads: int):
        self.stack = stack
        self.threads = threads
        self.records: list[tuple[float, str, int, float]] = []
        self.marks: dict[str, float] = {}
        self.stopping = threading.Event()

    def _targets(self) -> list[tuple[str, str, dict]]:
        anonymous = {}
        signed_in = {"Cookie": self.stack.reader_cookie}
        return [
            ("front", "/", anonymous),
            ("discover", "/feed/discover/", anonymous),
            ("profile", "/@faultartist/", anonymous),
            ("post", f"/posts/{self.stack.first_post}/", anonymous),
            ("following", "/feed/following/", signed_in),
            ("home_signed_in", "/", signed_in),
        ]

    def _run(self, offset: int) -> None:
        targets = self._targets()
        index = offset
        while not self.stopping.is_set():
            kind, path, headers = targets[index % len(targets)]
            index += 1
            began = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", EDGE, timeout=15)
                connection.request("GET", path, headers={"User-Agent": "Mozilla/5.0 fault-bench", **headers})
                response = connection.getresponse()
                response.read()
                status = response.status
                connection.close()
            except OSError:
                status = 0
            self.records.append((time.time(), kind, status, (time.perf_counter() - began) * 1000))
            time.sleep(0.05)

    def start(self) -> None:
        self.workers = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(self.threads)]
        for worker in self.workers:
            worker.start()

    def stop(self) -> None:
        self.stopping.set()
        for worker in self.workers:
            worker.join(20)

    def mark(self, name: str) -> None:
        self.marks[name] = time.time()

    def statuses_since(self, name: str) -> dict:
        return dict(Counter(str(status) for at, _, status, _ in list(self.records) if at >= self.marks[name]))

    def first_success_after(self, moment: float, timeout: float = 120) -> float | None:
        """Seconds from `moment` until a page answered 200 again."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for at, _, status, _ in reversed(list(self.records)):
                if at < moment:
                    break
                if status == 200:
                    return round(at - moment, 1)
            time.sleep(0.2)
        return None

    def between(self, first: str, last: str) -> PageLoadSummary:
        """The pages read from mark `first` until mark `last`."""
        return self.since(first, until=self.marks[last])

    def since(self, name: str, *, outage_seconds: float | None = None, until: float | None = None) -> PageLoadSummary:
        start, end = self.marks[name], until or float("inf")
        rows = [row for row in list(self.records) if start <= row[0] < end]
        times = sorted(ms for _, _, status, ms in rows if status == 200)

        def pct(p):
            return round(times[min(len(times) - 1, int(p * len(times)))], 1) if times else 0.0

        summary = {
            "requests": len(rows),
            "errors": sum(1 for _, _, status, _ in rows if status == 0 or status >= 500),
            "p50_ms": pct(0.5),
            "p95_ms": pct(0.95),
            "statuses": dict(Counter(str(status) for _, _, status, _ in rows)),
        }
        if outage_seconds is not None:
            cut = start + outage_seconds
            summary["errors_during"] = sum(1 for at, _, s, _ in rows if at < cut and (s == 0 or s >= 500))
            summary["errors_after"] = sum(1 for at, _, s, _ in rows if at >= cut and (s == 0 or s >= 500))
        return summary
