"""The AI crawlers refused (data admins edit) and the aggregated counts of what was refused."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class CrawlerSource(models.TextChoices):
    """Where a crawler row came from: `update_crawler_list` refreshes only the list's own rows, so
    an admin's additions and edits survive every refresh."""

    AI_ROBOTS_LIST = "list", "ai.robots.txt list"
    ADMIN = "admin", "Added or edited by an admin"


class CrawlerAgent(models.Model):
    """A named AI crawler's robots.txt user-agent token: listed as `Disallow: /` in robots.txt (for
    readers that only look for their own name) and, when `refused`, answered 403 on every page and
    file whose User-Agent names it."""

    token = models.CharField(max_length=60, unique=True, help_text="As in robots.txt, e.g. GPTBot.")
    operator = models.CharField(max_length=80, blank=True, help_text="Who runs it, for the report.")
    purpose = models.CharField(max_length=120, blank=True)
    refused = models.BooleanField(default=True, help_text="Answer 403 when its User-Agent comes anyway.")
    source = models.CharField(max_length=8, choices=CrawlerSource.choices, default=CrawlerSource.ADMIN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["token"]

    def __str__(self):
        return self.token


class SearchEngineAgent(models.Model):
    """A search engine's crawler an admin allows to index public pages and images. robots.txt
    disallows every other agent (`User-agent: *` included) from art, profiles, feeds and media."""

    token = models.CharField(max_length=60, unique=True, help_text="As in robots.txt, e.g. Googlebot.")
    name = models.CharField(max_length=80, blank=True, help_text="The search engine, for admins.")
    allowed = models.BooleanField(default=True, help_text="May index public pages and images.")
    hostnames = models.CharField(
        max_length=200,
        blank=True,
        help_text="Comma-separated domains its crawler's addresses resolve to (e.g. googlebot.com, google.com). "
        "A User-Agent claiming it skips the browser check only from such an address; empty: it never skips.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["token"]

    def __str__(self):
        return self.token


class Rule(models.TextChoices):
    AI_CRAWLER = "ai_crawler", "AI crawler refused"
    RATE_LIMIT = "rate_limit", "Too many requests"
    HOTLINK = "hotlink", "Hotlinking refused"
    NO_PASS = "no_pass", "File asked for without the browser check"
    BAD_SIGNATURE = "bad_signature", "Forged or expired link or pass"


class ClientKind(models.TextChoices):
    """What a refused client's User-Agent claims to be (shield.clients)."""

    AI_CRAWLER = "ai_crawler", "AI crawler on the list"
    LIBRARY = "library", "Library, command-line tool or other bot"
    HEADLESS = "headless", "Headless browser"
    BROWSER = "browser", "Browser-like"
    EMPTY = "empty", "No user agent"


class ProtectionCount(models.Model):
    """How many requests one rule refused, per day, user agent, network, kind of client and artist:
    one row per combination with a counter, not one row per request."""

    day = models.DateField()
    rule = models.CharField(max_length=16, choices=Rule.choices)
    agent = models.CharField(max_length=60, help_text="The crawler token, or the user agent's first word.")
    network = models.CharField(max_length=50, help_text="The caller's /24 (IPv4) or /48 (IPv6) network.")
    client = models.CharField(max_length=12, choices=ClientKind.choices, default=ClientKind.LIBRARY)
    artist = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["artist", "-day"], name="shield_counts_artist"),
            models.Index(fields=["-day", "rule"], name="shield_counts_day"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "rule", "agent", "network", "client", "artist"], name="shield_count_once_per_client"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.rule} {self.agent} {self.network}: {self.count}"
