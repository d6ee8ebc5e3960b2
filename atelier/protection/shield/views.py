"""The do-not-train statements, the human-readable policy, and each artist's protection report."""

import time

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from atelier.core.client_address import client_ip
from atelier.core.ratelimit import RateLimit
from atelier.protection.shield import report, signals
from atelier.protection.shield.models import Rule
from atelier.protection.shield.passes import PASS_COOKIE, ChallengeFailed, check_answer, mint_pass, pass_holder
from atelier.protection.shield.refusals import count_refusal
from atelier.protection.shield.search_engines import is_verified_search_engine


def _text(body: str) -> HttpResponse:
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


@require_GET
@cache_control(public=True, max_age=3600)
def robots_txt(request):
    return _text(signals.robots_txt())


@require_GET
@cache_control(public=True, max_age=3600)
def ai_txt(request):
    return _text(signals.ai_txt())


@require_GET
@cache_control(public=True, max_age=3600)
def tdmrep_json(request):
    return JsonResponse(signals.tdmrep_json(), safe=False)


@require_GET
@cache_control(public=True, max_age=3600)
def tdm_policy(request):
    return JsonResponse(signals.tdm_policy(), content_type="application/ld+json")


@require_GET
def do_not_train(request):
    return render(request, "shield/do_not_train.html", {"policy_url": signals.policy_url()})


@login_required
def protection_report(request):
    return render(request, "shield/report.html", {"week": report.artist_week(artist=request.user)})


def _passes_per_address() -> RateLimit:
    """Passes one address may earn an hour (SHIELD_PASSES_PER_HOUR): every person behind a busy
    address earns hers, while a scraper can't turn one address into hundreds of pass budgets."""
    return RateLimit("shield-pass-earned", settings.SHIELD_PASSES_PER_HOUR, 3600)


# No CSRF token: the check page is shown before any session exists, and what is posted is a puzzle
# we signed for this very client, usable once; a forged post could only give someone a pass.
@csrf_exempt
@require_POST
@never_cache
def earn_pass(request):
    """The check page's answer: a solved puzzle earns the day's pass cookie, then back to the page."""
    address, user_agent = client_ip(request), request.META.get("HTTP_USER_AGENT", "")
    now = time.time()
    decision = _passes_per_address().check(address)
    if not decision.allowed:
        count_refusal(rule=Rule.RATE_LIMIT, user_agent=user_agent, address=address, path=request.path)
        response = HttpResponse(
            "Too many browser checks from this address. Try again later.",
            status=429,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(max(1, decision.retry_after))
        return response
    try:
        check_answer(
            token=request.POST.get("token", ""),
            nonce=request.POST.get("nonce", ""),
            address=address,
            user_agent=user_agent,
            now=now,
        )
    except ChallengeFailed as failure:
        return HttpResponse(f"{failure} ", status=400, content_type="text/plain; charset=utf-8")
    target = request.POST.get("next", "")
    same_site = url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure())
    target = target if same_site else "/"
    response = HttpResponseRedirect(target, status=303)
    value, lifetime = mint_pass(address=address, user_agent=user_agent, now=now)
    response.set_cookie(
        PASS_COOKIE,
        value,
        max_age=lifetime,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


@require_GET
def check_pass(request):
    """The edge's question (nginx auth_request, cached there a minute per client): may this client
    have art? 204 for a valid pass or a search engine its address proves, 403 otherwise.

    A 403 for a file is counted as a refusal (X-Original-URI says which file): once per client a
    minute at most, since the edge remembers the answer, so the report's count of files refused at
    the edge is a floor, not every request."""
    address, user_agent = client_ip(request), request.META.get("HTTP_USER_AGENT", "")
    cookie = request.COOKIES.get(PASS_COOKIE)
    holder = pass_holder(cookie, address=address, user_agent=user_agent, now=time.time())
    allowed = holder is not None or is_verified_search_engine(user_agent, address)
    asked_for = request.headers.get("X-Original-URI", "").split("?", 1)[0]
    who = getattr(request, "shield_identity", None)
    if not allowed and asked_for.startswith(settings.MEDIA_URL) and not (who and who.signed_in):
        rule = Rule.BAD_SIGNATURE if cookie else Rule.NO_PASS
        count_refusal(rule=rule, user_agent=user_agent, address=address, path=asked_for)
    response = HttpResponse(status=204 if allowed else 403)
    if not allowed:
        response["X-Atelier-No-Pass"] = "1"  # the edge answers the file 403 by it, not as a missing object
    return response
