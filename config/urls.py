from django.contrib import admin
from django.urls import include, path, re_path

from atelier.core.views import healthz
from atelier.feeds.views import home
from atelier.media.serving import serve_public_media
from config.api import api

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^media/(?P<path>.+)$", serve_public_media, name="media"),
    path("uploads/", include("atelier.uploads.urls")),
    path("", include("atelier.posts.urls")),
    path("", include("atelier.feeds.urls")),
    path("", include("atelier.accounts.urls")),
    path("", include("atelier.accounts.mfa.urls")),
    path("", include("atelier.albums.urls")),
    path("", include("atelier.social.urls")),
    path("", include("atelier.notifications.urls")),
    path("", include("atelier.search.urls")),
    path("", include("atelier.jobs.urls")),
    path("", include("atelier.protection.shield.urls")),
    path("", include("atelier.moderation.urls")),
    path("", include("atelier.portability.urls")),
    path("", include("atelier.protection.cloak.urls")),
    path("", include("atelier.protection.theft.urls")),
]

# A backing service down answers 503 with Retry-After; anything else is the 500 page (core.outage).
handler500 = "atelier.core.outage.server_error"
