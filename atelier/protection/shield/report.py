"""What was refused, aggregated: an artist's week, for the panel on their settings."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Sum
from django.utils import timezone

from atelier.protection.shield import refusals
from atelier.protection.shield.models import ProtectionCount, Rule


@dataclass
class Week:
    total: int
    by_rule: list[tuple[str, int]]
    by_agent: list[tuple[str, int]]
    networks: int
    since: object


def artist_week(*, artist) -> Week:
    """The last 7 days of refusals of requests for this artist's work: three queries (after moving
    the refusals still in the cache into the table)."""
    refusals.flush()
    since = timezone.localdate() - timedelta(days=6)
    rows = ProtectionCount.objects.filter(artist=artist, day__gte=since)
    labels = dict(Rule.choices)
    by_rule = [
        (labels.get(row["rule"], row["rule"]), row["total"])
        for row in rows.values("rule").annotate(total=Sum("count")).order_by("-total")
    ]
    by_agent = [
        (row["agent"], row["total"])
        for row in rows.values("agent").annotate(total=Sum("count")).order_by("-total")[:10]
    ]
    networks = rows.values("network").distinct().count()
    return Week(sum(total for _, total in by_rule), by_rule, by_agent, networks, since)
