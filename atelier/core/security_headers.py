"""Content-Security-Policy and Permissions-Policy on every response.

Django 5.2 has no CSP of its own. The policy is strict: scripts and styles only from our own
origin (no inline script, no inline style attributes in templates), nothing may frame us, and
forms may only post back to us, and frames only load the embed players named in
settings.CSP_FRAME_ORIGINS (Sketchfab, YouTube and Vimeo: atelier.media.embeds). When media is
served from another host (S3 or a CDN), that origin is allowed for images and video only.
"""

from urllib.parse import urlsplit

from django.conf import settings


def _media_origin() -> str:
    parts = urlsplit(settings.MEDIA_URL)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def build_content_security_policy() -> str:
    media = " ".join(filter(None, ["'self'", "data:", "blob:", _media_origin()]))
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": media,
        "media-src": media,
        "font-src": "'self'",
        "connect-src": "'self'",
        # Only the three embed players, and only after a visitor clicks an embed's facade.
        "frame-src": " ".join(settings.CSP_FRAME_ORIGINS),
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = build_content_security_policy()

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
