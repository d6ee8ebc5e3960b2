"""The production stack bench/surge.py drives: its environment file, its own database (copied from a
migrated template) and Redis DB, started as `bin/stack --env` starts it (deploy/run_stack.py)."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import Request, urlopen

import psycopg
import redis

from deploy.run_stack import stack_environment
from deploy.stack import port_open, split_address

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var" / "surge"
DATABASE = "atelier_b_stack"
TEMPLATE = f"{DATABASE}_template"
EDGE, APP, S3_PORT, BASELINE = "127.0.0.1:8280", "127.0.0.1:8281", "8282", "127.0.0.1:8290"
AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def write_env(args) -> Path:
    """The stack's production environment for this run, as a file `bin/stack --env` would read."""
    values = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "ATELIER_VAR_DIR": str(VAR),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": f"http://{EDGE}",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": args.redis_url,
        "CACHE_KEY_PREFIX": "atelier-surge",
        "EDGE_LISTEN": EDGE,
        "EDGE_APP_ADDRESS": APP,
        "STACK_S3_PORT": S3_PORT,
        "EDGE_ACCESS_LOG": "off",
        "WEB_PROCESSES": str(args.web_processes),
        "CLOAK_AVAILABLE": "false",
        "EMAIL_FILE_PATH": str(VAR / "mail"),
        "OMP_NUM_THREADS": "1",
    }
    if args.one_pass:
        # One task per upload renders and checks from one decode on every media process (the media
        # pool serves both; the detection pool keeps only retries and the sweep's re-runs).
        values |= {"MEDIA_DETECTION_ONE_PASS": "true", "CELERY_MEDIA_CONCURRENCY": str(args.one_pass)}
    else:  # two pools, each on its own queue
        values |= {"MEDIA_DETECTION_ONE_PASS": "false", "CELERY_MEDIA_CONCURRENCY": "2"}
    path = VAR / "env"
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    return path


def get(url: str, browser_pass: str = "") -> int:
    headers = {"User-Agent": AGENT} | ({"Cookie": f"atelier_pass={browser_pass}"} if browser_pass else {})
    try:
        with urlopen(Request(url, headers=headers), timeout=10) as response:  # noqa: S310 - loopback
            return response.status
    except Exception as error:
        return getattr(error, "code", 0)


def fresh_database(env: dict, *, template: str) -> None:
    """An empty database for this run: the stack migrates it, or (--template) it is copied from a
    migrated template (migrating from nothing takes minutes on a busy 2-core box) and the stack's
    own `migrate` adds only newer migrations."""
    admin = "postgres://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    if template == "off":
        return
    rebuild_template = template == "rebuild"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [TEMPLATE]).fetchone()
        if rebuild_template or not exists:
            conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
    if rebuild_template or not exists:
        print(f"Migrating the template database {TEMPLATE} (once) …", flush=True)
        template_env = env | {"DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{TEMPLATE}"}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=template_env, check=True
        )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {DATABASE} TEMPLATE {TEMPLATE}")


def start_stack(args) -> tuple[dict, subprocess.Popen]:
    if VAR.exists():
        shutil.rmtree(VAR)
    (VAR / "mail").mkdir(parents=True)
    env_file = write_env(args)
    redis.Redis.from_url(args.redis_url).flushdb()  # this run's own Redis DB: broker, cache, budgets
    for line in env_file.read_text().splitlines():
        key, _, value = line.partition("=")
        os.environ[key] = value
    env, _ = stack_environment(VAR)
    fresh_database(env, template=args.template)
    log = (VAR / "stack.log").open("w")
    stack = subprocess.Popen(
        [sys.executable, "-m", "deploy.run_stack"], cwd=ROOT, env=dict(os.environ), start_new_session=True,
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 900  # migrating a new database takes minutes on a busy 2-core box
    while not (port_open(*split_address(EDGE)) and get(f"http://{EDGE}/healthz") == 200):
        if stack.poll() is not None or time.monotonic() > deadline:
            if stack.poll() is None:
                os.killpg(stack.pid, signal.SIGINT)
                stack.wait(90)
            raise SystemExit(f"the stack did not start: see {VAR / 'stack.log'}")
        time.sleep(2)
    return env, stack
