"""The gate in front of every page and file: AI crawlers get 403, bursts get 429 with Retry-After,
and every response carries the do-not-train signals (TDMRep headers; X-Robots-Tag on pages, images and video).

Order of checks, cheapest first, so a flood costs us little: the signal files are always served
(a crawler must be able to read that it is not welcome); then the User-Agent against the refused
crawlers; then the per-address and per-account request budgets. People browsing normally never
reach a limit: a feed page with its images is well under a tenth of a minute's budget.

Each count carries the read that comes next in the same Redis round trip: the address's count the
session's entry, the account's count the person's entries (core.cache_batch), so a signed-in page
starts with two round trips rather than four.
"""

import contextlib

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.middleware import get_user
from django.http import HttpResponse
from django.urls import reverse

from atelier.accounts.sessions import session_cache_key
from atelier.core.cache_batch import page_commands, person_keys, prefetched
from atelier.core.client_address import client_ip
from atelier.core.ratelimit import RateLimit
from atelier.protection.shield.counting import agent_name, count_refusal
from atelier.protection.shield.crawlers import matching_crawler
from atelier.protection.shield.models import Rule

# Always answered: the files that tell crawlers our terms, and the health check.
OPEN_PATHS = ("/robots.txt", "/ai.txt", "/.well-known/tdmrep.json", "/tdm-policy.json", "/do-not-train/", "/healthz")
NO_AI = "noai, noimageai"


def _is_media(path: str) -> bool:
    return path.startswith(settings.MEDIA_URL) or path.startswith(settings.STATIC_URL)


def _plain(status: int, text: str) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _too_many(request, limit: RateLimit) -> HttpResponse:
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    count_refusal(rule=Rule.RATE_LIMIT, agent=agent_name(user_agent), address=client_ip(request), path=request.path)
    response = _plain(429, "Too many requests. Slow down and try again in a minute.")
    response["Retry-After"] = str(limit.retry_after())
    return response


class ShieldMiddleware:
    """Before anything else that costs: crawler refusal, hotlinking, the per-address budgets, and
    the signal headers on every response (static files included)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.page_limit = RateLimit("shield-page-ip", settings.SHIELD_PAGES_PER_MINUTE, 60)
        self.media_limit = RateLimit("shield-media-ip", settings.SHIELD_MEDIA_PER_MINUTE, 60)

    def __call__(self, request):
        refused, (keys, found) = self._gate(request)
        if refused is not None:
            return self._signal(refused)
        with prefetched(keys, found) if keys else contextlib.nullcontext():
            return self._signal(self.get_response(request))

    def _gate(self, request) -> tuple[HttpResponse | None, tuple[list, dict]]:
        """A refusal, or None and what the budget's round trip read besides (the session's entry)."""
        nothing_read = ([], {})
        path = request.path
        if path in OPEN_PATHS:
            return None, nothing_read
        user_agent = request.META.get("HTTP_USER_AGENT", "")
        address = client_ip(request)
        if crawler := matching_crawler(user_agent):
            count_refusal(rule=Rule.AI_CRAWLER, agent=crawler, address=address, path=path)
            refusal = _plain(403, "AI crawlers are not allowed on Atelier. See /robots.txt and /tdm-policy.json.")
            return refusal, nothing_read
        if hotlinked := self._hotlinked(request, path):
            count_refusal(rule=Rule.HOTLINK, agent=agent_name(user_agent), address=address, path=path)
            return hotlinked, nothing_read
        if _is_media(path):
            if self.media_limit.hit(f"ip:{address}") > self.media_limit.limit:
                return _too_many(request, self.media_limit), nothing_read
            return None, nothing_read
        # A page with a session cookie reads its session next: in the same round trip as the count.
        session_key = session_cache_key(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
        keys = [session_key] if session_key else []
        count, found = self.page_limit.hit_and_get_many(f"ip:{address}", keys, undecoded=True)
        if count > self.page_limit.limit:
            return _too_many(request, self.page_limit), nothing_read
        return None, (keys, found)

    def _hotlinked(self, request, path: str) -> HttpResponse | None:
        """Optional (SHIELD_HOTLINK_ALLOWED_HOSTS): media asked for from another site's page.
        No Referer at all is allowed: browsers and apps often send none."""
        allowed = settings.SHIELD_HOTLINK_ALLOWED_HOSTS
        referer = request.META.get("HTTP_REFERER", "")
        if not allowed or not _is_media(path) or not referer:
            return None
        from urllib.parse import urlsplit

        host = (urlsplit(referer).hostname or "").lower()
        if host == request.get_host().split(":")[0].lower() or host in allowed:
            return None
        return _plain(403, "Images on Atelier can't be embedded on other sites.")

    def _signal(self, response):
        response.headers.setdefault("tdm-reservation", "1")
        response.headers.setdefault("tdm-policy", settings.SITE_URL + reverse("shield:tdm_policy"))
        content_type = response.headers.get("Content-Type", "")
        # Pages too, not only their meta tag: some readers look at headers alone.
        if content_type.startswith(("image/", "video/", "text/html")):
            response.headers["X-Robots-Tag"] = NO_AI
        return response


class ShieldAccountMiddleware:
    """The per-account page budget, after authentication: one account spread over many
    addresses (a scraper with a login) is still one budget."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.limit = RateLimit("shield-page-account", settings.SHIELD_ACCOUNT_PAGES_PER_MINUTE, 60)

    def __call__(self, request):
        if request.path in OPEN_PATHS or _is_media(request.path) or not hasattr(request, "user"):
            return self.get_response(request)
        signed_in_id = request.session.get(SESSION_KEY)
        if signed_in_id is None:
            request.user = get_user(request)  # anonymous, without a round trip
            return self.get_response(request)
        # The page is counted against the session's account, and the per-person entries pages read
        # (the person's record, their follows, hidden people, bookmarks, feed settings) fetched in the
        # same round trip, with whatever raw reads this page starts with (the first page of a Following
        # timeline); loading the person and the view's reads then answer from that batch.
        keys, commands = person_keys(signed_in_id), page_commands(request, signed_in_id)
        count, found = self.limit.hit_and_get_many(f"user:{signed_in_id}", keys, undecoded=True, commands=commands)
        with prefetched([*keys, *commands], found):
            # The view and templates get the plain object rather than the lazy one: a feed page looks
            # `user` up some 130 times, and the lazy proxy cost 1.5 % of its instructions (callgrind).
            request.user = get_user(request)
            if count > self.limit.limit:
                return _too_many(request, self.limit)
            return self.get_response(request)
