"""Production: the same code as the default, with secrets required and security switched fully on."""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import SECRET_KEY
from config.settings.environment import env_bool, env_int
from config.settings.secret_key import secret_key_refusal

DEBUG = False
if secret_key_refusal(SECRET_KEY):
    raise ImproperlyConfigured(
        f"Set SECRET_KEY (50+ random characters) for production: {secret_key_refusal(SECRET_KEY)}."
    )

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
