"""The do-not-train statements, the human-readable policy, and each artist's protection report."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from atelier.protection.shield import report, signals


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
