"""The JSON API: one router per app, mounted here; the OpenAPI schema is generated at /api/v1/openapi.json.

Bodies are checked before any endpoint sees them: a body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413
with a JSON error, and a JSON body must be an object (every input schema is one), so an array or a
bare string is refused instead of being read as "no fields given" and accepted with defaults.
"""

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.template.defaultfilters import filesizeformat
from ninja import NinjaAPI
from ninja.parser import Parser

from atelier.accounts.api import router as accounts_router
from atelier.jobs.api import router as jobs_router
from atelier.moderation.api import router as moderation_router
from atelier.posts.api import router as posts_router


class ObjectBodyParser(Parser):
    """JSON bodies, which must be objects. Ninja answers what this raises with a 400."""

    def parse_body(self, request):
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data


api = NinjaAPI(title="Atelier API", version="1", urls_namespace="api", docs_url=None, parser=ObjectBodyParser())
api.add_router("/", accounts_router)
api.add_router("/", posts_router)
api.add_router("/", jobs_router)
api.add_router("/", moderation_router)


@api.exception_handler(RequestDataTooBig)
def body_too_large(request, exc):
    limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return api.create_response(
        request, {"detail": f"The request body is too large (the limit is {limit})."}, status=413
    )
