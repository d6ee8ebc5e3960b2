"""Which user agents are AI crawlers we refuse: the CrawlerAgent rows, cached for every request."""

import time

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

_KEY = "shield:crawler-tokens"
_SECONDS = 300
_local: dict = {"tokens": None, "until": 0.0}


def refused_tokens() -> list[str]:
    """Lower-cased tokens of the crawlers answered 403 (cached; every admin edit forgets it, and
    other processes see the edit within SHIELD_CRAWLER_LIST_LOCAL_SECONDS)."""
    from atelier.protection.shield.models import CrawlerAgent

    now = time.monotonic()
    if _local["tokens"] is not None and now < _local["until"]:
        return _local["tokens"]
    tokens = cache.get(_KEY)
    if tokens is None:
        tokens = [token.lower() for token in CrawlerAgent.objects.filter(refused=True).values_list("token", flat=True)]
        cache.set(_KEY, tokens, timeout=_SECONDS)
    # Every request asks; a process keeps its answer this long before asking the shared cache again.
    _local.update(tokens=tokens, until=now + settings.SHIELD_CRAWLER_LIST_LOCAL_SECONDS)
    return tokens


def matching_crawler(user_agent: str) -> str | None:
    """The refused crawler whose token the User-Agent contains, e.g. "GPTBot/1.1 (+https://…)" → "gptbot"."""
    lowered = user_agent.lower()
    return next((token for token in refused_tokens() if token in lowered), None)


def forget_refused_tokens(**kwargs) -> None:
    cache.delete(_KEY)
    _local.update(tokens=None, until=0.0)


def connect() -> None:
    from atelier.protection.shield.models import CrawlerAgent

    post_save.connect(forget_refused_tokens, sender=CrawlerAgent, dispatch_uid="shield.crawlers.saved")
    post_delete.connect(forget_refused_tokens, sender=CrawlerAgent, dispatch_uid="shield.crawlers.deleted")
