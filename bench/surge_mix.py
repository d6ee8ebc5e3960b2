"""What a day brings to Atelier, as numbers bench/surge.py and its locustfile share (no locust here).

A *rate* is page requests per second (images excluded: they ride along with the pages that show
them). The base mix splits it between anonymous visitors and signed-in people; sign-ups and uploads
are journeys per second, a share of the same rate, and the surge multiplies only those two.
Importing this module needs neither Django nor locust, so tests and the orchestrator can read it.
"""

import math
from dataclasses import dataclass
from itertools import pairwise

# Anonymous visitors' pages, by weight (a visit is one page and up to IMAGES_PER_PAGE of its images).
ANONYMOUS_PAGES = {"front": 3, "discover": 3, "profile": 2, "post": 4, "search": 1}
# Signed-in people: reading their feeds and notifications, and acting on what they read.
SIGNED_IN_PAGES = {"following": 4, "home": 2, "notifications": 2, "like": 2, "comment": 1, "follow": 1}
IMAGES_PER_PAGE = 4
SEARCH_WORDS = ["lighthouse", "harbour", "dragon", "portrait", "lighthuose", "stormy harbour", "forest", "garden"]


@dataclass(frozen=True)
class Mix:
    """Shares of the page rate, and journeys per page request for the two kinds the surge multiplies."""

    anonymous: float = 0.65
    signed_in: float = 0.35
    signups_per_page: float = 0.004  # one newcomer for every 250 pages read
    uploads_per_page: float = 0.002  # one post (1–4 images) for every 500 pages read
    # Each simulated person's own pace: a visitor reads a page every ~2 s, a signed-in reader every ~3 s.
    anonymous_seconds_per_page: float = 2.0
    signed_in_seconds_per_page: float = 3.0
    signup_journey_seconds: float = 8.0  # form, submit, wait for the mail, confirm, first page
    upload_journey_seconds: float = 45.0  # composer, tus, publish, polling until public

    def rates(self, rate: float, surge: float = 1.0) -> dict[str, float]:
        """Per class: pages/s for readers, journeys/s for newcomers and artists (times `surge`)."""
        return {
            "anonymous": rate * self.anonymous,
            "signed_in": rate * self.signed_in,
            "newcomer": rate * self.signups_per_page * surge,
            "artist": rate * self.uploads_per_page * surge,
        }

    def users(self, rate: float, peak_surge: float = 1.0) -> dict[str, int]:
        """How many simulated people each class needs to carry its rate at the surge's peak."""
        rates = self.rates(rate, peak_surge)
        return {
            "anonymous": max(2, math.ceil(rates["anonymous"] * self.anonymous_seconds_per_page)),
            "signed_in": max(2, math.ceil(rates["signed_in"] * self.signed_in_seconds_per_page)),
            "newcomer": max(1, math.ceil(rates["newcomer"] * self.signup_journey_seconds * 1.5)),
            "artist": max(1, math.ceil(rates["artist"] * self.upload_journey_seconds * 1.5)),
        }


def surge_factor(schedule: list[list[float]], elapsed: float) -> float:
    """The sign-up and upload multiplier `elapsed` seconds into a run: `schedule` is [[t, factor], …]
    with t ascending, linear between points, flat before the first and after the last."""
    if not schedule:
        return 1.0
    if elapsed <= schedule[0][0]:
        return schedule[0][1]
    for (t0, f0), (t1, f1) in pairwise(schedule):
        if elapsed <= t1:
            return f0 + (f1 - f0) * (elapsed - t0) / (t1 - t0) if t1 > t0 else f1
    return schedule[-1][1]


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0–100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def page_class(name: str) -> str:
    """The page class a request name belongs to: 'anon:post' → 'anon:post'; 'image' stays 'image'."""
    return name.split(" ")[0]
