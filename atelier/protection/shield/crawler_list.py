"""The named AI crawlers, kept from the ai.robots.txt project's list (MIT licence, notice in
`data/ai-robots.LICENSE`): a copy ships in `data/ai-robots.json` and seeds a new instance;
`manage.py update_crawler_list` refreshes it from the project's published JSON.

The list's rows are refreshed; an admin's own rows and every row an admin edited are left alone
(`CrawlerAgent.source`). A token the list drops stays listed: being refused by mistake costs a
crawler less than an artist's work taken by one.
"""

import json
import re
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from atelier.protection.shield.models import CrawlerAgent, CrawlerSource

BUNDLED_LIST = Path(__file__).resolve().parent / "data" / "ai-robots.json"
PUBLISHED_LIST_URL = "https://raw.githubusercontent.com/ai-robots-txt/ai.robots.txt/main/robots.json"
MAX_LIST_BYTES = 2 * 1024 * 1024
FETCH_TIMEOUT_SECONDS = 10
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._/-]{0,59}")
_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_UNKNOWN = "unclear at this time."


class CrawlerListError(ValueError):
    """The list could not be read: nothing was changed."""


@dataclass(frozen=True)
class ListedCrawler:
    token: str
    operator: str
    purpose: str


@dataclass(frozen=True)
class SyncResult:
    added: int
    updated: int
    kept_admin_rows: int


def _plain(text, limit: int) -> str:
    """Markdown links to their text, "Unclear at this time." to nothing, cut to the column's size."""
    text = _MARKDOWN_LINK.sub(r"\1", str(text or "")).strip()
    return "" if text.lower() == _UNKNOWN else text[:limit]


def parse_crawler_list(raw: bytes | str) -> list[ListedCrawler]:
    """The list's JSON object {token: {operator, function, …}} as crawlers, validated: a token must
    be a plausible robots.txt user-agent (no newlines or colons that would inject robots.txt lines)."""
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise CrawlerListError(f"The crawler list is not JSON: {error}") from error
    if not isinstance(document, dict) or not document:
        raise CrawlerListError("The crawler list must be a non-empty JSON object of user-agent tokens.")
    crawlers = []
    for token, facts in document.items():
        if not isinstance(token, str) or not TOKEN_SHAPE.fullmatch(token):
            raise CrawlerListError(f"Not a user-agent token: {token!r}")
        facts = facts if isinstance(facts, dict) else {}
        crawlers.append(
            ListedCrawler(
                token=token, operator=_plain(facts.get("operator"), 80), purpose=_plain(facts.get("function"), 120)
            )
        )
    return crawlers


def bundled_crawler_list() -> list[ListedCrawler]:
    return parse_crawler_list(BUNDLED_LIST.read_bytes())


def fetch_crawler_list(url: str = PUBLISHED_LIST_URL) -> list[ListedCrawler]:
    """Download and parse the published list. The URL is an admin's choice (a command argument),
    never taken from uploaded content; the body is capped and the wait is short."""
    if not url.startswith(("https://", "http://")):
        raise CrawlerListError("The list URL must be http:// or https://.")
    request = urllib.request.Request(url, headers={"User-Agent": "Atelier crawler-list updater"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310
            body = response.read(MAX_LIST_BYTES + 1)
    except OSError as error:
        raise CrawlerListError(f"Could not download the crawler list: {error}") from error
    if len(body) > MAX_LIST_BYTES:
        raise CrawlerListError("The crawler list is larger than 2 MB; refusing it.")
    return parse_crawler_list(body)


@transaction.atomic
def sync_crawler_list(crawlers: list[ListedCrawler]) -> SyncResult:
    """Add the list's new tokens (exact spellings: the list names some in two cases, for readers that
    compare case-sensitively) and refresh the operator and purpose of the list's own rows; rows
    an admin added or edited keep what the admin wrote (including whether they are refused)."""
    existing = {agent.token: agent for agent in CrawlerAgent.objects.select_for_update()}
    added = updated = kept = 0
    for crawler in crawlers:
        agent = existing.get(crawler.token)
        if agent is None:
            existing[crawler.token] = CrawlerAgent.objects.create(
                token=crawler.token,
                operator=crawler.operator,
                purpose=crawler.purpose,
                source=CrawlerSource.AI_ROBOTS_LIST,
            )
            added += 1
        elif agent.source == CrawlerSource.ADMIN:
            kept += 1
        elif (agent.operator, agent.purpose) != (crawler.operator, crawler.purpose):
            agent.operator, agent.purpose = crawler.operator, crawler.purpose
            agent.save(update_fields=["operator", "purpose"])
            updated += 1
    return SyncResult(added=added, updated=updated, kept_admin_rows=kept)
