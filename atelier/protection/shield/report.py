"""What was refused, aggregated: an artist's week, for the panel on their settings."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Sum
from django.utils import timezone

from atelier.protection.shield import refusals
from atelier.protection.shield.models import ClientKind, ProtectionCount, Rule


@dataclass
class Week:
    total: int
    by_rule: list[tuple[str, int]]
    by_agent: list[tuple[str, int]]
    by_client: list[tuple[str, int]]
    networks: int
    since: object


def artist_week(*, artist) -> Week:
    """The last 7 days of refusals of requests for this artist's work: four queries (after moving
    the refusals still in the cache into the table). Only clients that proved no account are ever
    counted, so her own browser and signed-in readers never appear here."""
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
    kinds = dict(ClientKind.choices)
    by_client = [
        (kinds.get(row["client"], row["client"]), row["total"])
        for row in rows.values("client").annotate(total=Sum("count")).order_by("-total")
    ]
    networks = rows.values("network").distinct().count()
    return Week(sum(total for _, total in by_rule), by_rule, by_agent, by_client, networks, since)
