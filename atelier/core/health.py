"""Reachability checks for /healthz: each returns (ok, detail) and never raises."""

import os
import time
import uuid

from django.core.cache import cache, caches
from django.db import connection


def _timed(check):
    started = time.perf_counter()
    try:
        detail = check()
        ok = True
    except Exception as error:  # a health check reports failures, it does not propagate them
        ok, detail = False, f"{type(error).__name__}: {error}"
    return {"ok": ok, "detail": detail, "ms": round((time.perf_counter() - started) * 1000, 1)}


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def check_cache():
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("value written to the cache could not be read back")
    cache.delete(key)
    return caches["default"].__class__.__name__


def check_broker():
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)
        driver = conn.transport.driver_name
        if driver == "filesystem":
            # Connecting to the filesystem transport always succeeds; what matters is the folder.
            folder = conn.transport_options["data_folder_out"]
            if not os.access(folder, os.W_OK):
                raise RuntimeError(f"broker folder {folder} is not writable")
        return driver


def run_health_checks() -> dict:
    checks = {"database": _timed(check_database), "cache": _timed(check_cache), "broker": _timed(check_broker)}
    return {"ok": all(c["ok"] for c in checks.values()), "checks": checks}
