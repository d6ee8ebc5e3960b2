"""Configuration is chosen by environment variables: the same code runs embedded and in production.

Settings modules run once per process, so the whole-module checks start a fresh Python with a
clean environment (nothing inherited from the test run's own DATABASE_URL / REDIS_URL).
"""

import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages

from atelier.media.object_storage import ObjectStorage
from atelier.media.signed_media import SignedFileSystemStorage, SignedS3Storage
from config.settings.environment import env_bool, env_int, env_list, env_str
from config.settings.storage import build_storages

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION_SECRET = "kq3x7Vn2p9Lr5Tz8Bw1Hd4Fj6Mc0Ys-RgUeAiOlPvNbQhXtKsWzCmJyDfGa_E"

PRINT_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "DATABASE": settings.DATABASES["default"],
    "CACHE": settings.CACHES["default"],
    "BROKER": settings.CELERY_BROKER_URL,
    "BROKER_OPTIONS": settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    "STORAGES": settings.STORAGES,
    "EMAIL_BACKEND": settings.EMAIL_BACKEND,
    "SESSION_COOKIE_SECURE": getattr(settings, "SESSION_COOKIE_SECURE", False),
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
}, default=str))
"""


def run_python(args: list[str], *, tmp_path: Path, settings_module: str, **env: str) -> subprocess.CompletedProcess:
    clean_env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(BASE_DIR),
        "ATELIER_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": settings_module,
        **env,
    }
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, *args], cwd=BASE_DIR, env=clean_env, capture_output=True, text=True, timeout=120
    )


def settings_in_fresh_process(tmp_path: Path, settings_module: str = "config.settings.default", **env: str) -> dict:
    result = run_python(["-c", PRINT_SETTINGS], tmp_path=tmp_path, settings_module=settings_module, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- Storages


def test_local_storages_are_two_folders_and_originals_have_no_url(tmp_path):
    built = build_storages(env={}, media_root=tmp_path, media_url="/media/")

    # Public renditions, private originals, and the renditions of posts not public now (posts.files).
    assert set(built) == {"default", "originals", "withheld"}
    public = SignedFileSystemStorage(**built["default"]["OPTIONS"])
    originals = FileSystemStorage(**built["originals"]["OPTIONS"])
    assert built["default"]["BACKEND"] == "atelier.media.signed_media.SignedFileSystemStorage"
    assert built["originals"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert Path(public.location) == tmp_path / "public"
    assert Path(originals.location) == tmp_path / "originals"
    assert public.url("a/b.webp").startswith("/media/a/b.webp?e=")
    assert built["originals"]["OPTIONS"]["base_url"] is None
    assert not Path(originals.location).is_relative_to(public.location)


def test_a_local_original_is_not_reachable_under_media(client, db):
    """FileSystemStorage falls back to MEDIA_URL for url(); what keeps originals private is the serving view."""
    if not settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
        pytest.skip("media is served by S3 in this configuration")
    name = storages["originals"].save("uploads/secret.png", ContentFile(b"original bytes"))
    public_name = storages["default"].save("renditions/shown.txt", ContentFile(b"rendition bytes"))

    assert client.get(f"/media/{name}").status_code == 403  # unsigned
    assert client.get(storages["default"].url(name)).status_code == 404  # signed, yet not in the public folder
    assert client.get(f"/media/../originals/{name}").status_code in (400, 403, 404)
    assert b"".join(client.get(storages["default"].url(public_name)).streaming_content) == b"rendition bytes"


S3_ENV = {
    "AWS_STORAGE_BUCKET_NAME": "atelier-art",
    "AWS_S3_REGION_NAME": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEY",
    "AWS_SECRET_ACCESS_KEY": "example-secret",
}


def test_s3_storages_when_a_bucket_is_named(tmp_path):
    built = build_storages(env=S3_ENV, media_root=tmp_path, media_url="/media/")

    public, originals = built["default"], built["originals"]
    assert public["BACKEND"] == "atelier.media.signed_media.SignedS3Storage"
    assert originals["BACKEND"] == built["withheld"]["BACKEND"] == "atelier.media.object_storage.ObjectStorage"
    assert public["OPTIONS"]["bucket_name"] == originals["OPTIONS"]["bucket_name"] == "atelier-art"
    assert (public["OPTIONS"]["location"], originals["OPTIONS"]["location"]) == ("public", "originals")
    assert public["OPTIONS"]["querystring_auth"] is False
    assert originals["OPTIONS"]["querystring_auth"] is True
    assert originals["OPTIONS"]["querystring_expire"] == 300
    assert originals["OPTIONS"]["default_acl"] == "private"
    assert public["OPTIONS"]["default_acl"] is None
    # Saving asks no HEAD for a free name first: every stored name carries a random token.
    assert public["OPTIONS"]["file_overwrite"] is originals["OPTIONS"]["file_overwrite"] is True
    # Shared caches keep a rendition an hour at most: a post that leaves public view takes its files along.
    assert public["OPTIONS"]["object_parameters"]["CacheControl"] == "public, max-age=3600"
    assert originals["OPTIONS"]["access_key"] == "AKIAEXAMPLEKEY"


def test_s3_public_urls_go_through_the_edge_signed_and_original_urls_are_signed_and_short_lived(tmp_path):
    built = build_storages(
        env={**S3_ENV, "AWS_PRIVATE_BUCKET_NAME": "atelier-private"}, media_root=tmp_path, media_url="/media/"
    )
    public = SignedS3Storage(**built["default"]["OPTIONS"])
    originals = ObjectStorage(**built["originals"]["OPTIONS"])

    public_url = urlsplit(public.url("renditions/a.webp"))
    original_url = urlsplit(originals.url("uploads/a.png"))

    assert public_url.netloc == ""  # the edge at MEDIA_URL (deploy/nginx), never the bucket itself
    assert public_url.path == "/media/renditions/a.webp"
    assert set(parse_qs(public_url.query)) == {"e", "s"}
    assert original_url.netloc.startswith("atelier-private.")
    assert original_url.path == "/originals/uploads/a.png"
    query = parse_qs(original_url.query)
    if "X-Amz-Signature" in query:  # signature version 4
        assert query["X-Amz-Expires"] == ["300"]
    else:  # botocore's default query signing for S3
        assert query["Signature"]
        assert 0 < int(query["Expires"][0]) - time.time() <= 301


def test_s3_with_an_endpoint_and_an_edge_on_another_host(tmp_path, settings):
    settings.MEDIA_URL = "https://cdn.example.com/media/"
    env = {**S3_ENV, "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000"}
    built = build_storages(env=env, media_root=tmp_path, media_url=settings.MEDIA_URL)

    assert built["default"]["OPTIONS"]["endpoint_url"] == "http://127.0.0.1:9000"
    public = SignedS3Storage(**built["default"]["OPTIONS"])
    assert public.url("a.webp").startswith("https://cdn.example.com/media/a.webp?e=")
    assert built["originals"]["OPTIONS"].get("custom_domain") is None


# --- Environment readers


def test_env_readers(monkeypatch):
    monkeypatch.setenv("ATELIER_T_STR", "value")
    monkeypatch.setenv("ATELIER_T_TRUE", " Yes ")
    monkeypatch.setenv("ATELIER_T_FALSE", "0")
    monkeypatch.setenv("ATELIER_T_EMPTY", "")
    monkeypatch.setenv("ATELIER_T_INT", "42")
    monkeypatch.setenv("ATELIER_T_LIST", " a.example , ,b.example,")
    monkeypatch.delenv("ATELIER_T_MISSING", raising=False)

    assert env_str("ATELIER_T_STR") == "value"
    assert env_str("ATELIER_T_MISSING", "fallback") == "fallback"
    assert env_bool("ATELIER_T_TRUE") is True
    assert env_bool("ATELIER_T_FALSE", True) is False
    assert env_bool("ATELIER_T_EMPTY", True) is True
    assert env_bool("ATELIER_T_MISSING") is False
    assert env_int("ATELIER_T_INT", 1) == 42
    assert env_int("ATELIER_T_EMPTY", 7) == 7
    assert env_list("ATELIER_T_LIST") == ["a.example", "b.example"]
    assert env_list("ATELIER_T_EMPTY", ["x"]) == ["x"]
    default = ["y"]
    env_list("ATELIER_T_MISSING", default).append("z")
    assert default == ["y"]


def test_a_malformed_integer_fails_loudly(monkeypatch):
    monkeypatch.setenv("ATELIER_T_INT", "many")

    with pytest.raises(ValueError):
        env_int("ATELIER_T_INT", 1)


# --- Whole settings modules in a fresh process


def test_embedded_default_is_sqlite_local_cache_and_filesystem_broker(tmp_path):
    values = settings_in_fresh_process(tmp_path)

    assert values["DEBUG"] is False  # the site's own 404/500 pages; bin/serve --dev turns it on
    assert values["DATABASE"]["ENGINE"] == "django.db.backends.sqlite3"
    assert values["DATABASE"]["NAME"] == str(tmp_path / "var" / "atelier.sqlite3")
    assert "journal_mode=WAL" in values["DATABASE"]["OPTIONS"]["init_command"]
    assert values["CACHE"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["BROKER"] == "filesystem://"
    assert values["BROKER_OPTIONS"]["data_folder_out"] == str(tmp_path / "var" / "broker" / "queue")
    assert (tmp_path / "var" / "broker" / "queue").is_dir()
    assert values["STORAGES"]["default"]["BACKEND"].endswith("FileSystemStorage")
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_database_and_redis_urls_select_postgresql_and_redis(tmp_path):
    values = settings_in_fresh_process(
        tmp_path,
        DATABASE_URL="postgres://atelier:pw@db.internal:5433/atelier_prod",
        REDIS_URL="redis://cache.internal:6379/2",
        EMAIL_HOST="smtp.example.com",
    )

    database = values["DATABASE"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["HOST"], database["PORT"], database["USER"]) == (
        "atelier_prod",
        "db.internal",
        5433,
        "atelier",
    )
    assert database["CONN_MAX_AGE"] == 60
    assert "init_command" not in json.dumps(database)
    assert values["CACHE"]["BACKEND"] == "atelier.core.redis_cache.PooledRedisCache"
    assert values["CACHE"]["LOCATION"] == "redis://cache.internal:6379/2"
    assert values["BROKER"] == "redis://cache.internal:6379/2"
    assert values["BROKER_OPTIONS"] == {"visibility_timeout": 3600}
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"


def test_an_explicit_broker_url_wins_over_redis(tmp_path):
    values = settings_in_fresh_process(
        tmp_path, REDIS_URL="redis://cache.internal:6379/2", CELERY_BROKER_URL="amqp://mq.internal//"
    )

    assert values["BROKER"] == "amqp://mq.internal//"
    assert values["CACHE"]["LOCATION"] == "redis://cache.internal:6379/2"


def test_a_bucket_name_selects_s3_in_the_settings(tmp_path):
    values = settings_in_fresh_process(tmp_path, AWS_STORAGE_BUCKET_NAME="atelier-art")

    assert values["STORAGES"]["default"]["BACKEND"] == "atelier.media.signed_media.SignedS3Storage"
    assert values["STORAGES"]["originals"]["OPTIONS"]["querystring_auth"] is True
    assert values["STORAGES"]["staticfiles"]["BACKEND"].startswith("whitenoise.")


@pytest.mark.parametrize("secret", [None, "insecure-embedded-default-key-change-me-in-production-0123456789"])
def test_production_refuses_to_start_without_a_secret_key(tmp_path, secret):
    env = {"SECRET_KEY": secret} if secret else {}

    result = run_python(["-c", PRINT_SETTINGS], tmp_path=tmp_path, settings_module="config.settings.production", **env)

    assert result.returncode != 0
    assert "ImproperlyConfigured: Set SECRET_KEY" in result.stderr
    assert result.stdout == ""


def test_production_is_strict_even_when_debug_is_asked_for(tmp_path):
    values = settings_in_fresh_process(
        tmp_path, "config.settings.production", SECRET_KEY=PRODUCTION_SECRET, DEBUG="true"
    )

    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000


def test_production_passes_the_deployment_checklist(tmp_path):
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path=tmp_path,
        settings_module="config.settings.production",
        SECRET_KEY=PRODUCTION_SECRET,
        ALLOWED_HOSTS="atelier.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_deployment_checklist_notices_a_weakened_production(tmp_path):
    """The previous test is meaningful only if the checklist can fail here."""
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path=tmp_path,
        settings_module="config.settings.production",
        SECRET_KEY=PRODUCTION_SECRET,
        SECURE_HSTS_SECONDS="0",
        SECURE_SSL_REDIRECT="false",
    )

    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout
    assert "security.W008" in result.stderr + result.stdout
