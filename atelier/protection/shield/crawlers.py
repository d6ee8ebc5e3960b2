"""Which user agents are AI crawlers we refuse: the CrawlerAgent rows less the search engines an
admin allows, matched as whole product tokens and cached for every request."""

import re
import time

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

from atelier.protection.shield.models import CrawlerAgent, SearchEngineAgent

_KEY = "shield:crawler-tokens"
_SECONDS = 300
_local: dict = {"tokens": None, "pattern": None, "until": 0.0}


def refused_tokens() -> list[str]:
    """Lower-cased tokens of the crawlers answered 403, longest first (cached; every admin edit
    forgets it, and other processes see the edit within SHIELD_CRAWLER_LIST_LOCAL_SECONDS)."""
    return _cached()[0]


def _cached() -> tuple[list[str], re.Pattern | None]:
    now = time.monotonic()
    if _local["tokens"] is not None and now < _local["until"]:
        return _local["tokens"], _local["pattern"]
    tokens = cache.get(_KEY)
    if tokens is None:
        tokens = refused_token_list()
        cache.set(_KEY, tokens, timeout=_SECONDS)
    pattern = re.compile(token_pattern(tokens)) if tokens else None
    # Every request asks; a process keeps its answer this long before asking the shared cache again.
    _local.update(tokens=tokens, pattern=pattern, until=now + settings.SHIELD_CRAWLER_LIST_LOCAL_SECONDS)
    return tokens, pattern


def refused_token_list() -> list[str]:
    """From the database: the refused crawlers' tokens, lower-cased, less the allowed search engines,
    longest first (so the longest name matches). The edge's map is rendered from the same list."""
    allowed = SearchEngineAgent.objects.filter(allowed=True).values_list("token", flat=True)
    listed = CrawlerAgent.objects.filter(refused=True).values_list("token", flat=True)
    allowed, listed = {token.lower() for token in allowed}, {token.lower() for token in listed}
    return sorted(listed - allowed, key=lambda token: (-len(token), token))


def token_pattern(tokens: list[str]) -> str:
    """A regular expression (Python's and PCRE's) finding any of `tokens` in a lower-cased User-Agent.

    A token counts only as a product token ("GPTBot/1.2", "(compatible; Spider)"), not inside another
    word or a URL: the list holds short names ("Spider", "Code", "YaK") that would otherwise match
    Baiduspider, its ".../search/spider.html" or a browser's own words."""
    alternatives = "|".join(map(re.escape, tokens))
    return rf"(?:^|(?<=[\s(;,+]))(?:{alternatives})(?=$|[\s/;,()+])"


def matching_crawler(user_agent: str) -> str | None:
    """The refused crawler the User-Agent names, e.g. "Mozilla/5.0 (compatible; GPTBot/1.1)" → "gptbot"."""
    _tokens, pattern = _cached()
    found = pattern.search(user_agent.lower()) if pattern else None
    return found.group(0) if found else None


def forget_refused_tokens(**kwargs) -> None:
    cache.delete(_KEY)
    _local.update(tokens=None, pattern=None, until=0.0)


def connect() -> None:
    for model in (CrawlerAgent, SearchEngineAgent):
        name = model.__name__
        post_save.connect(forget_refused_tokens, sender=model, dispatch_uid=f"shield.crawlers.{name}.saved")
        post_delete.connect(forget_refused_tokens, sender=model, dispatch_uid=f"shield.crawlers.{name}.deleted")
