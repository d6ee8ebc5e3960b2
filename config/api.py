"""The JSON API: one router per app, mounted here; the OpenAPI schema is generated at /api/v1/openapi.json."""

from ninja import NinjaAPI

from atelier.accounts.api import router as accounts_router
from atelier.jobs.api import router as jobs_router
from atelier.moderation.api import router as moderation_router
from atelier.posts.api import router as posts_router

api = NinjaAPI(title="Atelier API", version="1", urls_namespace="api", docs_url=None)
api.add_router("/", accounts_router)
api.add_router("/", posts_router)
api.add_router("/", jobs_router)
api.add_router("/", moderation_router)
