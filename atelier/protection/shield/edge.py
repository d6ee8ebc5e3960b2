"""The nginx edge's configuration, rendered from the same settings and data the app uses.

`edge_config_write` renders deploy/nginx/*.template into EDGE_CONFIG_DIR: the server (signature check
in the format of `signed_media`, do-not-train headers, budgets per pass or else per address, static and media serving,
the anonymous micro-cache) and `ai-crawlers.map`, the refused user agents from the same CrawlerAgent
rows robots.txt lists. An admin's edit of that list re-renders the map after commit and reloads nginx
(`connect`), so the edge never refuses a different list than the app.
"""

import logging
import re
import shlex
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.template import Context, Engine

from atelier.media import signed_media
from atelier.protection.shield.crawlers import refused_token_list, token_pattern
from atelier.protection.shield.models import CrawlerAgent, SearchEngineAgent
from atelier.protection.shield.signals import policy_url

logger = logging.getLogger(__name__)

TEMPLATES = Path(settings.BASE_DIR) / "deploy" / "nginx"
CRAWLER_MAP = "ai-crawlers.map"
# What a robots.txt token may hold; anything else is left out of the map (and logged), never quoted in.
_TOKEN = re.compile(r"^[A-Za-z0-9 ._/+-]{1,60}$")
_engine = Engine(autoescape=False)


def _render(template: str, context: dict) -> str:
    return _engine.from_string((TEMPLATES / template).read_text()).render(Context(context))


def _media_expires(window: int) -> str:
    """Cache-Control for a signed file: no longer than the URL stays valid.

    A URL expires at the end of the window after the one it was made in, so "until the end of the
    current window" is always within its life. nginx can name that moment only for day windows on a
    UTC clock (`expires @0h`, the next midnight); any other window asks browsers to revalidate.
    """
    if window == 86400 and time.localtime().tm_gmtoff == 0:
        return "expires @0h;"
    return 'add_header Cache-Control "no-cache" always;'


def edge_context(*, edge_dir: Path) -> dict:
    """Every value the templates use, from settings (the production environment variables)."""
    storage = settings.STORAGES["default"]
    object_store = storage["BACKEND"].endswith("S3Storage")
    context = {
        "edge_dir": edge_dir,
        "run_dir": edge_dir / "run",
        "log_dir": edge_dir / "log",
        "cache_dir": edge_dir / "cache",
        "standalone": settings.EDGE_STANDALONE,
        "worker_processes": settings.EDGE_WORKER_PROCESSES,
        "run_as": settings.EDGE_USER,
        "mime_types": settings.EDGE_MIME_TYPES,
        "access_log": settings.EDGE_ACCESS_LOG,
        "listen": settings.EDGE_LISTEN,
        "server_names": " ".join(settings.ALLOWED_HOSTS) or "_",
        "app_addresses": settings.EDGE_APP_ADDRESSES or [settings.EDGE_APP_ADDRESS],
        "forwarded_proto": settings.EDGE_FORWARDED_PROTO,
        "client_max_body_mb": settings.UPLOAD_MAX_CHUNK_BYTES // (1024 * 1024) + 5,
        "session_cookie": re.escape(settings.SESSION_COOKIE_NAME),
        "pages_per_minute": settings.SHIELD_PAGES_PER_MINUTE,
        "pages_burst": max(1, settings.SHIELD_PAGES_PER_MINUTE // 4),
        "media_per_minute": settings.SHIELD_MEDIA_PER_MINUTE,
        "media_burst": max(1, settings.SHIELD_MEDIA_PER_MINUTE // 4),
        "pass_media_per_minute": settings.SHIELD_PASS_MEDIA_PER_MINUTE,
        "pass_media_burst": max(1, settings.SHIELD_PASS_MEDIA_PER_MINUTE // 4),
        "page_cache_seconds": settings.EDGE_PAGE_CACHE_SECONDS,
        "pass_check": settings.SHIELD_CHALLENGE_BITS > 0,
        "media_cache_seconds": settings.EDGE_MEDIA_CACHE_SECONDS,
        "media_cache_mb": settings.EDGE_MEDIA_CACHE_MB,
        "media_url_key": signed_media.media_url_key(),
        "media_expires": _media_expires(settings.SHIELD_MEDIA_URL_WINDOW_SECONDS),
        "tdm_policy_url": policy_url(),
        "static_root": Path(settings.STATIC_ROOT),
        "object_store": object_store,
    }
    if object_store:
        endpoint = urlsplit(storage["OPTIONS"]["endpoint_url"] or "https://s3.amazonaws.com")
        context |= {
            "object_store_scheme": endpoint.scheme,
            "object_store_host": endpoint.netloc,
            "public_bucket": storage["OPTIONS"]["bucket_name"],
            "public_prefix": storage["OPTIONS"]["location"],
        }
    else:
        context["media_public_root"] = Path(storage["OPTIONS"]["location"])
    return context


def crawler_map() -> str:
    """The nginx `map` lines refusing each crawler the app refuses: the same tokens (allowed search
    engines left out) matched the same way, as product tokens of the lower-cased User-Agent."""
    lines = ["# Rendered from the CrawlerAgent list (admin → Crawler agents); robots.txt lists the same."]
    for token in refused_token_list():
        if not _TOKEN.match(token):
            logger.warning("Crawler token %r left out of the edge's map: unexpected characters", token)
            continue
        lines.append(f'"~*{token_pattern([token])}" 1;')
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> None:
    """Write beside and rename, so nginx never reads half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    partial.chmod(0o600)
    partial.replace(path)


def edge_config_write(*, edge_dir: Path) -> Path:
    """Render every edge file into `edge_dir`; returns the main config's path (for `nginx -c`)."""
    edge_dir = Path(edge_dir).resolve()
    for folder in ("run", "log", "cache", "conf.d"):
        (edge_dir / folder).mkdir(parents=True, exist_ok=True)
    context = edge_context(edge_dir=edge_dir)
    _write(edge_dir / CRAWLER_MAP, crawler_map())
    _write(edge_dir / "proxy-headers.conf", _render("proxy-headers.conf.template", context))
    main = edge_dir / "atelier.conf"
    _write(main, _render("atelier.conf.template", context))
    return main


def edge_reload() -> bool:
    """Ask the running nginx to re-read its files (EDGE_RELOAD_COMMAND). True when it said yes."""
    command = settings.EDGE_RELOAD_COMMAND or (
        f"{settings.EDGE_NGINX} -c {Path(settings.EDGE_CONFIG_DIR).resolve() / 'atelier.conf'} -s reload"
    )
    try:
        result = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=20, check=False)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired) as error:
        logger.error("Reloading the edge failed: %s", error)
        return False
    if result.returncode != 0:
        logger.error("Reloading the edge failed: %s", result.stderr.strip())
    return result.returncode == 0


def crawler_map_refresh() -> None:
    """After an admin edit of the crawler list: re-render the map and reload the edge, if this instance has one."""
    if not settings.EDGE_CONFIG_DIR:
        return
    _write(Path(settings.EDGE_CONFIG_DIR) / CRAWLER_MAP, crawler_map())
    edge_reload()


def _crawlers_changed(**kwargs) -> None:
    transaction.on_commit(crawler_map_refresh)


def connect() -> None:
    for model in (CrawlerAgent, SearchEngineAgent):
        name = model.__name__
        post_save.connect(_crawlers_changed, sender=model, dispatch_uid=f"shield.edge.{name}.saved")
        post_delete.connect(_crawlers_changed, sender=model, dispatch_uid=f"shield.edge.{name}.deleted")
