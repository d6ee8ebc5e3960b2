"""The browser check in front of art: pages, feeds, search and files need a pass (shield.passes).

Without one, a page request gets the check page (its script earns the pass and comes back), a file
or script request a plain 403. Allowed search engines proven by their address skip it; the terms
files, sign-in and sign-up pages and static assets never need it. SHIELD_CHALLENGE_BITS = 0 turns
the check off, for an instance that already has bot protection in front of it.

Runs after ShieldMiddleware, so listed AI crawlers are refused by name before they are offered a
puzzle, and the address budgets still apply to clients holding a pass.
"""

import time

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string

from atelier.core.client_address import client_ip
from atelier.core.ratelimit import RateLimit
from atelier.protection.shield.gate import OPEN_PATHS
from atelier.protection.shield.models import Rule
from atelier.protection.shield.passes import PASS_COOKIE, new_challenge, pass_holder
from atelier.protection.shield.refusals import agent_name, count_refusal
from atelier.protection.shield.search_engines import is_verified_search_engine

# Places that are not art and that a person must reach without a pass: the check's own answer,
# signing in and up (and the links in their emails), and the health check.
OPEN_PREFIXES = ("/.shield/", "/accounts/")


def needs_pass(path: str) -> bool:
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return False
    return not path.startswith(settings.STATIC_URL)


class ShieldPassMiddleware:
    def __init__(self, get_response, clock=time.time):
        self.get_response = get_response
        self.clock = clock
        # A pass is one browser: its files are budgeted per pass, so a scraper that solved the puzzle
        # once cannot pull images faster than a person, and people sharing an address don't share one.
        self.media_limit = RateLimit("shield-media-pass", settings.SHIELD_PASS_MEDIA_PER_MINUTE, 60)

    def __call__(self, request):
        if settings.SHIELD_CHALLENGE_BITS <= 0 or not needs_pass(request.path):
            return self.get_response(request)
        user_agent = request.META.get("HTTP_USER_AGENT", "")
        address = client_ip(request)
        holder = pass_holder(request.COOKIES.get(PASS_COOKIE), address=address, user_agent=user_agent, now=self.clock())
        if holder:
            request.shield_pass = holder
            if request.path.startswith(settings.MEDIA_URL) and self.media_limit.hit(holder) > self.media_limit.limit:
                return self._too_many(user_agent, address, request.path, holder)
            return self.get_response(request)
        if is_verified_search_engine(user_agent, address):
            return self.get_response(request)
        return self._check(request, user_agent, address)

    def _too_many(self, user_agent: str, address: str, path: str, holder: str) -> HttpResponse:
        count_refusal(rule=Rule.RATE_LIMIT, agent=agent_name(user_agent), address=address, path=path)
        response = HttpResponse(
            "Too many images too fast from this browser. Try again in a minute.",
            status=429,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(self.media_limit.retry_after(holder))
        return response

    def _check(self, request, user_agent: str, address: str) -> HttpResponse:
        wants_page = request.method in ("GET", "HEAD") and not request.path.startswith(settings.MEDIA_URL)
        if not wants_page or request.headers.get("HX-Request"):
            if request.path.startswith(settings.MEDIA_URL):
                # A file without a pass is a scraper's request, or an embed on another site: a page
                # opened in a browser earns its pass before it asks for its images.
                count_refusal(rule=Rule.NO_PASS, agent=agent_name(user_agent), address=address, path=request.path)
            response = HttpResponse(
                "Open Atelier in a browser first: it checks once a day that you are not a scraper.",
                status=403,
                content_type="text/plain; charset=utf-8",
            )
        else:
            challenge = new_challenge(address=address, user_agent=user_agent, now=self.clock())
            context = {"challenge": challenge, "next": request.get_full_path()}
            response = HttpResponse(render_to_string("shield/check.html", context, request=request), status=403)
        response["Cache-Control"] = "no-store"
        response["Vary"] = "Cookie, User-Agent"
        return response
