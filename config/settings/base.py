"""Settings shared by every configuration.

Everything that differs between the embedded default and production is chosen here by
environment variables (DATABASE_URL, REDIS_URL, CELERY_BROKER_URL, AWS_STORAGE_BUCKET_NAME, ...),
so production is configuration, not a fork. `default.py`, `test.py` and `production.py` only
change what must differ for their audience (debug, security strictness, speed of hashing).
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from config.settings.environment import env_bool, env_int, env_list, env_str
from config.settings.storage import build_storages

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("ATELIER_VAR_DIR", str(BASE_DIR / "var")))

# Required in production (production.py refuses a weak one); the embedded default makes its own (default.py).
SECRET_KEY = env_str("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_NAME = "Atelier"
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.forms",
    "django_htmx",
    "template_partials",
    "ninja",
    "atelier.core",
    "atelier.media",
    "atelier.accounts",
    "atelier.accounts.mfa",
    "atelier.uploads",
    "atelier.posts",
    "atelier.social",
    "atelier.albums",
    "atelier.feeds",
    "atelier.notifications",
    "atelier.search",
    "atelier.jobs",
    "atelier.protection.shield",
    "atelier.protection.detection",
    "atelier.protection.cloak",
    "atelier.protection.theft",
    "atelier.moderation",
    "atelier.portability",
    "atelier.demo",  # demo content for bin/serve (manage.py seed_demo ...); nothing imports it
]

MIDDLEWARE = [
    "atelier.core.request_logging.RequestLoggingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "atelier.core.security_headers.SecurityHeadersMiddleware",
    "atelier.protection.shield.gate.ShieldMiddleware",
    "atelier.protection.shield.checkpoint.ShieldPassMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff and moderators reach the admin and the review queue only after a second factor.
    "atelier.accounts.mfa.middleware.StaffSecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # The object store down: a clear 503 for requests that write files (atelier.media.outage).
    "atelier.media.outage.StoreOutageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# Every form renders through the project's field templates (atelier/templates/forms/), so sign-up,
# settings, the composer, jobs and moderation share one look: toggles, chips, segmented choices.
FORM_RENDERER = "atelier.core.forms_rendering.AtelierFormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "atelier" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "atelier.core.context_processors.site",
            ],
            # `ago` ("just now", "3 hours ago") in every template without a {% load %}.
            "builtins": ["atelier.core.templatetags.presentation"],
        },
    },
]

# --- Database: SQLite file by default, PostgreSQL when DATABASE_URL says so.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'atelier.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; the timeout rides out short write locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (also the store of rate-limit counters): Redis when REDIS_URL is set, else process-local.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "atelier.core.redis_cache.PooledRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "atelier"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "atelier"}}

# Django's cached_db sessions (database, read through the cache), refusing malformed cookie values.
SESSION_ENGINE = "atelier.accounts.sessions"
# What "now" is for rate limits (atelier.core.clock): the system clock; tests set one they move.
RATE_LIMIT_CLOCK = "atelier.core.clock.system_clock"

# --- Accounts
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["atelier.accounts.backends.EmailOrHandleBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# argon2id at OWASP's profile (atelier/accounts/hashers.py); older argon2 and PBKDF2 hashes are
# re-hashed with it at their next sign-in. Django's own Argon2PasswordHasher must not be listed too.
PASSWORD_HASHERS = [
    "atelier.accounts.hashers.OwaspArgon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "handle")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
EMAIL_VERIFICATION_MAX_AGE = env_int("EMAIL_VERIFICATION_MAX_AGE", 3 * 24 * 3600)
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 24 * 3600)
# Failed sign-ins: per account identifier and per client address, counted in the cache.
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 5)
LOGIN_FAILURES_PER_IP = env_int("LOGIN_FAILURES_PER_IP", 30)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)
SIGNUPS_PER_IP_PER_HOUR = env_int("SIGNUPS_PER_IP_PER_HOUR", 10)
COMMENTS_PER_MINUTE = env_int("COMMENTS_PER_MINUTE", 20)
PASSWORD_RESETS_PER_EMAIL_PER_HOUR = env_int("PASSWORD_RESETS_PER_EMAIL_PER_HOUR", 3)
PASSWORD_RESETS_PER_IP_PER_HOUR = env_int("PASSWORD_RESETS_PER_IP_PER_HOUR", 20)
# Passkeys are bound to this WebAuthn relying-party id (a domain, never an IP address); empty: the
# host each request came to, which is right for a site answering on one name.
WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID", "")
# Behind a proxy, the number of trusted proxies in X-Forwarded-For; 0 means use REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# --- Email: console by default, SMTP when EMAIL_HOST is set, files when EMAIL_FILE_PATH is.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Atelier <no-reply@atelier.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if env_str("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env_str("EMAIL_HOST")
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 15)
elif env_str("EMAIL_FILE_PATH"):
    # Each message as a file in this folder: a staging instance, or a load test that reads the links.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Files: public renditions and private originals are separate storages.
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "atelier" / "static",
    # Front-end libraries come from npm (package-lock.json); served straight from node_modules.
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/cropperjs", BASE_DIR / "node_modules" / "cropperjs" / "dist"),
    ("vendor/tus-js-client", BASE_DIR / "node_modules" / "tus-js-client" / "dist"),
    ("vendor/sortablejs", BASE_DIR / "node_modules" / "sortablejs"),
    ("vendor/js-sha256", BASE_DIR / "node_modules" / "js-sha256" / "build"),
]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = env_str("MEDIA_URL", "/media/")
# How long browsers and shared caches may keep a public rendition: a post that leaves public view
# has its files moved out of public storage, and a cached copy should not outlive that for long.
MEDIA_SHARED_CACHE_SECONDS = env_int("MEDIA_SHARED_CACHE_SECONDS", 3600)
STORAGES = {
    **build_storages(env=os.environ, media_root=MEDIA_ROOT, media_url=MEDIA_URL),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploads above this are spooled to disk rather than held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 400
PROFILE_IMAGE_MAX_BYTES = env_int("PROFILE_IMAGE_MAX_BYTES", 20 * 1024 * 1024)
PROFILE_IMAGE_MAX_PIXELS = env_int("PROFILE_IMAGE_MAX_PIXELS", 50_000_000)
# Post media limits (issue 3): images are refused from the header, before any pixel is decoded.
POST_IMAGE_MAX_BYTES = env_int("POST_IMAGE_MAX_BYTES", 50 * 1024 * 1024)
POST_IMAGE_MAX_PIXELS = env_int("POST_IMAGE_MAX_PIXELS", 100_000_000)
POST_VIDEO_MAX_BYTES = env_int("POST_VIDEO_MAX_BYTES", 500 * 1024 * 1024)
POST_VIDEO_MAX_SECONDS = env_int("POST_VIDEO_MAX_SECONDS", 10 * 60)
# Process proof attached to an appeal (moderation): up to this many files of this size each.
MODERATION_PROOF_MAX_BYTES = env_int("MODERATION_PROOF_MAX_BYTES", 200 * 1024 * 1024)
MODERATION_PROOF_MAX_FILES = env_int("MODERATION_PROOF_MAX_FILES", 5)
AI_REPORTS_PER_HOUR = env_int("AI_REPORTS_PER_HOUR", 10)
# Art-theft detection: "is my work posted here?" searches per person per hour (protection.theft).
IMAGE_SEARCHES_PER_HOUR = env_int("IMAGE_SEARCHES_PER_HOUR", 30)
VIDEO_MAX_HEIGHT = env_int("VIDEO_MAX_HEIGHT", 1080)
# Animated GIFs: frames × pixels is what costs memory and time, so both are capped.
ANIMATION_MAX_FRAMES = env_int("ANIMATION_MAX_FRAMES", 1000)
ANIMATION_MAX_TOTAL_PIXELS = env_int("ANIMATION_MAX_TOTAL_PIXELS", 400_000_000)
ANIMATION_LONG_SIDE = env_int("ANIMATION_LONG_SIDE", 1280)

# --- Resumable uploads (tus, atelier.uploads): received bytes are chunk objects in the originals storage.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 500 * 1024 * 1024)
UPLOAD_IMAGE_MAX_BYTES = env_int("UPLOAD_IMAGE_MAX_BYTES", 50 * 1024 * 1024)
UPLOAD_VIDEO_MAX_BYTES = env_int("UPLOAD_VIDEO_MAX_BYTES", 500 * 1024 * 1024)
# One PATCH body at most; uploads.js sends 20 MB chunks, so files up to 20 MB go in one request.
UPLOAD_MAX_CHUNK_BYTES = env_int("UPLOAD_MAX_CHUNK_BYTES", 20 * 1024 * 1024)
# An upload with no progress for this long (or finished but never used) is refused and purged.
UPLOAD_EXPIRY_SECONDS = env_int("UPLOAD_EXPIRY_SECONDS", 24 * 3600)
# Chunks of a claimed upload are kept this long after the claim, then purged.
UPLOAD_CLAIMED_RETENTION_SECONDS = env_int("UPLOAD_CLAIMED_RETENTION_SECONDS", 3600)
UPLOAD_CREATIONS_PER_HOUR = env_int("UPLOAD_CREATIONS_PER_HOUR", 300)

# --- Celery: a broker on the local filesystem by default, Redis (or CELERY_BROKER_URL) in production.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = "default"
# One queue per kind of work, so a slow job of one kind never starves another.
CELERY_TASK_ROUTES = {
    "atelier.core.tasks.send_*": {"queue": "email"},
    "atelier.accounts.tasks.render_*": {"queue": "media"},
    "atelier.uploads.tasks.*": {"queue": "default"},
    "atelier.posts.tasks.*": {"queue": "media"},
    "atelier.media.tasks.*": {"queue": "media"},
    "atelier.notifications.tasks.*": {"queue": "email"},
    "atelier.jobs.tasks.send_*": {"queue": "email"},
    # The sweep runs where detection's own backlog or outage cannot hold it up.
    "atelier.protection.detection.tasks.sweep_stale_checks": {"queue": "default"},
    "atelier.protection.detection.tasks.render_and_detect_*": {"queue": "media"},
    "atelier.protection.detection.tasks.*": {"queue": "detection"},
    "atelier.protection.cloak.tasks.cloak_*": {"queue": "cloak"},
    "atelier.protection.cloak.tasks.uncloak_*": {"queue": "media"},
    "atelier.jobs.tasks.*": {"queue": "default"},
    "atelier.portability.tasks.*": {"queue": "default"},
}
# --- Archive import and export (atelier.portability). The archive's size is checked on upload; its
# directory before any member is read (members, unpacked total, packed:unpacked ratio); each file
# then goes through the same limits as an upload, and the originals an account keeps are capped.
PORTABILITY_ARCHIVE_MAX_BYTES = env_int("PORTABILITY_ARCHIVE_MAX_BYTES", 4 * 1024**3)
PORTABILITY_ZIP_MAX_MEMBERS = env_int("PORTABILITY_ZIP_MAX_MEMBERS", 200_000)
PORTABILITY_ZIP_MAX_TOTAL_BYTES = env_int("PORTABILITY_ZIP_MAX_TOTAL_BYTES", 8 * 1024**3)
PORTABILITY_ZIP_MAX_RATIO = env_int("PORTABILITY_ZIP_MAX_RATIO", 100)
PORTABILITY_JSON_MAX_BYTES = env_int("PORTABILITY_JSON_MAX_BYTES", 64 * 1024**2)
PORTABILITY_STORAGE_QUOTA_BYTES = env_int("PORTABILITY_STORAGE_QUOTA_BYTES", 20 * 1024**3)
PORTABILITY_IMPORTS_PER_DAY = env_int("PORTABILITY_IMPORTS_PER_DAY", 20)
PORTABILITY_EXPORTS_PER_DAY = env_int("PORTABILITY_EXPORTS_PER_DAY", 3)
PORTABILITY_SLICE_SECONDS = env_int("PORTABILITY_SLICE_SECONDS", 240)
PORTABILITY_EXPORT_KEEP_SECONDS = env_int("PORTABILITY_EXPORT_KEEP_SECONDS", 7 * 24 * 3600)
PORTABILITY_SCANNED_KEEP_SECONDS = env_int("PORTABILITY_SCANNED_KEEP_SECONDS", 2 * 24 * 3600)
# The protections and the edge have their own files; their names are settings like the rest.
from config.settings.edge import *  # noqa: E402, F403
from config.settings.protection import *  # noqa: E402, F403

CELERY_TASK_TIME_LIMIT = 300
# An uploaded or processing media item untouched this long lost its task (a worker killed whole, an
# enqueue that failed while the broker was down): posts.tasks.requeue_stalled_media hands it out
# again. Longer than any image takes in a queue; videos report progress, which keeps them fresh.
MEDIA_STALLED_SECONDS = env_int("MEDIA_STALLED_SECONDS", 900)
# How long replaced renditions and covers stay after the swap (media.tasks.replaced_files_delete_later):
# long enough for a page rendered just before it to load its images; under the Redis broker's
# visibility timeout (3600 s), past which a delayed task would be handed out twice.
MEDIA_REPLACED_FILES_GRACE_SECONDS = env_int("MEDIA_REPLACED_FILES_GRACE_SECONDS", 600)
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BEAT_SCHEDULE: dict = {
    "purge-expired-uploads": {"task": "atelier.uploads.tasks.purge_expired_uploads", "schedule": 3600.0},
    "send-daily-digests": {
        "task": "atelier.notifications.tasks.send_daily_digests",
        "schedule": crontab(hour=8, minute=0),
    },
    "close-expired-jobs": {"task": "atelier.jobs.tasks.close_expired_jobs", "schedule": 3600.0},
    "send-job-alerts": {"task": "atelier.jobs.tasks.send_job_alerts", "schedule": crontab(hour=7, minute=30)},
    "sweep-stale-checks": {
        "task": "atelier.protection.detection.tasks.sweep_stale_checks",
        "schedule": float(DETECTION_SWEEP_EVERY_SECONDS),
    },
    "requeue-stalled-cloaks": {"task": "atelier.protection.cloak.tasks.requeue_stalled_cloaks", "schedule": 600.0},
    "purge-portability-files": {"task": "atelier.portability.tasks.purge_portability_files", "schedule": 3600.0},
    "requeue-stalled-media": {
        "task": "atelier.posts.tasks.requeue_stalled_media",
        "schedule": max(10.0, MEDIA_STALLED_SECONDS / 3),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Security headers that are the same everywhere (the strict ones switch on in production.py).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Origins the Content-Security-Policy lets frames load: the embed players of atelier.media.embeds
# (EMBED_FRAME_ORIGINS; tests keep the two equal).
CSP_FRAME_ORIGINS = ("https://sketchfab.com", "https://www.youtube-nocookie.com", "https://player.vimeo.com")
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), browsing-topics=(), interest-cohort=()"
)

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "atelier.core.log_format.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        # The filesystem broker has no host; kombu warns about that on every connection.
        "kombu.connection": {"level": "ERROR"},
    },
}
