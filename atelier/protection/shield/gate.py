"""The gate in front of every page and file: AI crawlers get 403, bursts get 429 with Retry-After,
and every response carries the do-not-train signals (TDMRep headers; X-Robots-Tag on pages, images and video).

Order of checks, cheapest first, so a flood costs us little: the signal files are always served
(a crawler must be able to read that it is not welcome); then the User-Agent against the refused
crawlers; then the request budgets. People browsing normally never reach a limit: a feed page with
its images is well under a tenth of a minute's budget. The gate reads nothing for the page behind
it: each budget is one round trip of its own, and a refusal is counted in the cache
(shield.refusals), not in a table.

Budgets count on who the request proves to be (shield.identity), never on its address first: a
signed-in person on her account, a browser on its pass, and only a client proving neither on its
address. So an artist behind the same address as a busy scraper keeps her thumbnails, crop editors
and withheld files; and her own work is never refused to her by any budget. Refusals of signed-in
requests are not counted as scraping.
"""

import re
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import reverse

from atelier.core.client_address import client_ip
from atelier.core.ratelimit import Decision, RateLimit
from atelier.posts.models import Post
from atelier.protection.shield.crawlers import matching_crawler
from atelier.protection.shield.identity import Identity, identify
from atelier.protection.shield.models import Rule
from atelier.protection.shield.refusals import count_refusal, target_of
from atelier.protection.shield.search_engines import claimed_domains

# Always answered: the files that tell crawlers our terms, and the health check.
OPEN_PATHS = ("/robots.txt", "/ai.txt", "/.well-known/tdmrep.json", "/tdm-policy.json", "/do-not-train/", "/healthz")
NO_AI = "noai, noimageai"


# The edge's question about a pass (views.check_pass): over budget it must hear "no pass", since
# nginx's auth_request takes any answer but 2xx, 401 and 403 for an error.
EDGE_QUESTION = "/.shield/check"
# The check's answer: budgeted on its own (views.earn_pass, passes per address an hour), so a busy
# address's page budget never keeps a person from earning her pass.
EARN_PASS = "/.shield/pass"  # noqa: S105 - a path
# A post's files that are not public (drafts, checking, held), read through the app by their author.
_WITHHELD_FILE = re.compile(r"^/posts/(\d+)/files/")
_AUTHOR_SECONDS = 3600


# Places that are not art and that a person must reach without a pass: the check's own answer,
# signing in and up (and the links in their emails), and the health check.
OPEN_PREFIXES = ("/.shield/", "/accounts/")


def needs_pass(path: str) -> bool:
    """Whether the browser check (shield.checkpoint) stands in front of this path."""
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return False
    return not path.startswith(settings.STATIC_URL)


def _answered_by_the_check(who: Identity, path: str, user_agent: str) -> bool:
    """True when the browser check will answer this request with its page or a 403, never with
    art: no pass cookie at all, no account, and no claim to be a search engine (those are budgeted,
    then proven). Budgeting it on the address would only keep people behind a busy address from the
    check page. A pass cookie that does not verify is budgeted on the address: at the edge it skips
    the address's budget (nginx can't verify it), so the app's budget is what stops a flood of them."""
    return (
        settings.SHIELD_CHALLENGE_BITS > 0
        and not who.pass_cookie_sent
        and not who.signed_in
        and needs_pass(path)
        and not claimed_domains(user_agent)
    )


def is_media(path: str) -> bool:
    """Files: public renditions, static assets and the withheld files of a post."""
    return path.startswith((settings.MEDIA_URL, settings.STATIC_URL)) or bool(_WITHHELD_FILE.match(path))


def _plain(status: int, text: str) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _too_many(decision: Decision, text: str) -> HttpResponse:
    response = _plain(429, text)
    response["Retry-After"] = str(max(1, decision.retry_after))
    return response


def _author_of(path: str) -> str | None:
    """The account id whose work a post page or file, or a profile picture, is (cached: a post
    never changes author)."""
    target = target_of(path)
    if target.startswith("user:"):
        return target.removeprefix("user:")
    if not target.startswith("post:"):
        return None
    post_id = int(target.removeprefix("post:"))
    key = f"shield:post-author:{post_id}"
    author = cache.get(key)
    if author is None:
        author = Post.objects.filter(pk=post_id).values_list("author_id", flat=True).first() or 0
        cache.set(key, author, timeout=_AUTHOR_SECONDS)
    return str(author) if author else None


class ShieldMiddleware:
    """Before anything else that costs: crawler refusal, hotlinking, the budgets per account, per
    pass or per address, and the signal headers on every response (static files included)."""

    def __init__(self, get_response, clock=time.time):
        self.get_response = get_response
        self.clock = clock
        self.limits = {
            ("ip", False): RateLimit("shield-page-ip", settings.SHIELD_PAGES_PER_MINUTE, 60),
            ("ip", True): RateLimit("shield-media-ip", settings.SHIELD_MEDIA_PER_MINUTE, 60),
            # A pass is one browser: a scraper that solved the puzzle once pulls files no faster than
            # a person, and people sharing an address don't share a budget.
            ("pass", False): RateLimit("shield-page-pass", settings.SHIELD_PAGES_PER_MINUTE, 60),
            ("pass", True): RateLimit("shield-media-pass", settings.SHIELD_PASS_MEDIA_PER_MINUTE, 60),
            # One account spread over many addresses (a scraper with a login) is still one budget.
            ("user", False): RateLimit("shield-page-account", settings.SHIELD_ACCOUNT_PAGES_PER_MINUTE, 60),
            ("user", True): RateLimit("shield-media-account", settings.SHIELD_ACCOUNT_MEDIA_PER_MINUTE, 60),
        }

    def __call__(self, request):
        refused = self._gate(request)
        return self._signal(refused if refused is not None else self.get_response(request))

    def _gate(self, request) -> HttpResponse | None:
        """A refusal, or None when the request may go on."""
        path = request.path
        if path in OPEN_PATHS:
            return None
        user_agent = request.META.get("HTTP_USER_AGENT", "")
        if crawler := matching_crawler(user_agent):  # refused by name before anything is looked up
            count_refusal(
                rule=Rule.AI_CRAWLER, user_agent=user_agent, address=client_ip(request), path=path, crawler=crawler
            )
            return _plain(403, "AI crawlers are not allowed on Atelier. See /robots.txt and /tdm-policy.json.")
        who = identify(request, now=self.clock())
        request.shield_identity = who
        if hotlinked := self._hotlinked(request, path):
            self._count(who, Rule.HOTLINK, user_agent, path)
            return hotlinked
        return self._budget(who, path, user_agent)

    def _budget(self, who: Identity, path: str, user_agent: str) -> HttpResponse | None:
        if path == EARN_PASS or _answered_by_the_check(who, path, user_agent):
            return None
        media = is_media(path)
        limit = self.limits[(who.key.split(":", 1)[0], media)]
        decision = limit.check(who.key)
        if decision.allowed:
            return None
        if who.signed_in and media and _author_of(path) == who.user_id:
            return None  # her own work, however fast her composer asks for it
        if path == EDGE_QUESTION:
            return _plain(403, "Too many requests.")
        self._count(who, Rule.RATE_LIMIT, user_agent, path)
        if media:
            return _too_many(decision, "Too many requests for images. Wait a minute and reload the page.")
        return _too_many(decision, "Too many requests. Slow down and try again in a minute.")

    @staticmethod
    def _count(who: Identity, rule: str, user_agent: str, path: str) -> None:
        if not who.signed_in:  # a signed-in reader is a person we know, not a scraper
            count_refusal(rule=rule, user_agent=user_agent, address=who.address, path=path)

    def _hotlinked(self, request, path: str) -> HttpResponse | None:
        """Optional (SHIELD_HOTLINK_ALLOWED_HOSTS): media asked for from another site's page.
        No Referer at all is allowed: browsers and apps often send none."""
        allowed = settings.SHIELD_HOTLINK_ALLOWED_HOSTS
        referer = request.META.get("HTTP_REFERER", "")
        if not allowed or not path.startswith(settings.MEDIA_URL) or not referer:
            return None
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
