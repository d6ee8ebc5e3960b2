"""The browser check in front of art: pages, feeds, search and files need a pass (shield.passes).

Without one, a page request gets the check page (its script earns the pass and comes back), a file
or script request a plain 403. Allowed search engines proven by their address skip it; the terms
files, sign-in and sign-up pages and static assets never need it. SHIELD_CHALLENGE_BITS = 0 turns
the check off, for an instance that already has bot protection in front of it.

Runs after ShieldMiddleware, so listed AI crawlers are refused by name before they are offered a
puzzle, and every request was already budgeted there (on its pass when it holds one).
"""

import time

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string

from atelier.protection.shield.gate import needs_pass
from atelier.protection.shield.identity import Identity, identify
from atelier.protection.shield.models import Rule
from atelier.protection.shield.passes import new_challenge
from atelier.protection.shield.refusals import count_refusal
from atelier.protection.shield.search_engines import is_verified_search_engine


class ShieldPassMiddleware:
    """Art only for a pass holder (or a proven search engine). Budgets are the gate's: it has
    already counted this request on its pass, its account or its address."""

    def __init__(self, get_response, clock=time.time):
        self.get_response = get_response
        self.clock = clock

    def __call__(self, request):
        if settings.SHIELD_CHALLENGE_BITS <= 0 or not needs_pass(request.path):
            return self.get_response(request)
        user_agent = request.META.get("HTTP_USER_AGENT", "")
        who = getattr(request, "shield_identity", None) or identify(request, now=self.clock())
        if who.pass_signature:
            request.shield_pass = who.pass_signature
            return self.get_response(request)
        if is_verified_search_engine(user_agent, who.address):
            return self.get_response(request)
        return self._check(request, user_agent, who)

    def _check(self, request, user_agent: str, who: Identity) -> HttpResponse:
        wants_page = request.method in ("GET", "HEAD") and not request.path.startswith(settings.MEDIA_URL)
        if not wants_page or request.headers.get("HX-Request"):
            if request.path.startswith(settings.MEDIA_URL) and not who.signed_in:
                # A file without a pass is a scraper's request, or an embed on another site: a page
                # opened in a browser earns its pass before it asks for its images. A pass that
                # does not verify was forged, or moved to another network or browser.
                rule = Rule.BAD_SIGNATURE if who.pass_cookie_sent else Rule.NO_PASS
                count_refusal(rule=rule, user_agent=user_agent, address=who.address, path=request.path)
            response = HttpResponse(
                "Open Atelier in a browser first: it checks once a day that you are not a scraper.",
                status=403,
                content_type="text/plain; charset=utf-8",
            )
        else:
            challenge = new_challenge(address=who.address, user_agent=user_agent, now=self.clock())
            context = {"challenge": challenge, "next": request.get_full_path()}
            response = HttpResponse(render_to_string("shield/check.html", context, request=request), status=403)
        response["Cache-Control"] = "no-store"
        response["Vary"] = "Cookie, User-Agent"
        return response
