from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from atelier.core.health import run_health_checks


@never_cache
@require_GET
def healthz(request):
    """Load balancers and operators poll this: 200 when database, cache and broker answer, else 503."""
    report = run_health_checks()
    return JsonResponse(report, status=200 if report["ok"] else 503)
