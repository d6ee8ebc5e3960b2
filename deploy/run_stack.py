"""`bin/stack`'s process list: what a local trial leaves unset gets a value, then every process starts.

Run as `python -m deploy.run_stack` (bin/stack does, after installing the locks, nginx and SeaweedFS).
The same processes are listed in deploy/Procfile for process managers.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

from deploy.stack import (
    ROOT,
    Edge,
    ObjectStore,
    Supervisor,
    ensure_postgres,
    ensure_redis,
    kept_secret,
    say,
    split_address,
    wait_for_port,
)

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def stack_environment(var_dir: Path) -> tuple[dict, ObjectStore | None]:
    """The production variables, with a working value for each one a local trial leaves unset."""
    env = dict(os.environ)
    stack_dir = var_dir / "stack"
    stack_dir.mkdir(parents=True, exist_ok=True)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    env.setdefault("ATELIER_VAR_DIR", str(var_dir))
    if not env.get("SECRET_KEY"):
        env["SECRET_KEY"] = kept_secret(stack_dir, "secret_key", 50)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/atelier")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    env.setdefault("EDGE_LISTEN", "127.0.0.1:8480")
    env.setdefault("EDGE_APP_ADDRESS", "127.0.0.1:8481")
    env.setdefault("EDGE_CONFIG_DIR", str(stack_dir / "edge"))
    env.setdefault("TRUSTED_PROXY_COUNT", "1")  # nginx's X-Forwarded-For names the client
    host, port = split_address(env["EDGE_LISTEN"])
    if host in LOOPBACK:
        # A trial on this machine over plain HTTP: no HTTPS redirect, no HSTS for localhost.
        env.setdefault("SITE_URL", f"http://localhost:{port}")
        env.setdefault("SECURE_SSL_REDIRECT", "false")
        env.setdefault("SECURE_HSTS_SECONDS", "0")
    env.setdefault("CSRF_TRUSTED_ORIGINS", env.get("SITE_URL", ""))
    store = None
    if not env.get("AWS_STORAGE_BUCKET_NAME"):
        store = ObjectStore(
            data_dir=stack_dir / "seaweedfs",
            s3_port=int(env.get("STACK_S3_PORT", "8482")),
            access_key=kept_secret(stack_dir, "s3_access_key", 12),
            secret_key=kept_secret(stack_dir, "s3_secret_key", 30),
            public_bucket="atelier-public",
            private_bucket="atelier-private",
            weed=str(Path(sys.executable).with_name("weed")),
        )
        env |= {
            "AWS_STORAGE_BUCKET_NAME": store.public_bucket,
            "AWS_PRIVATE_BUCKET_NAME": store.private_bucket,
            "AWS_S3_ENDPOINT_URL": store.endpoint,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": store.access_key,
            "AWS_SECRET_ACCESS_KEY": store.secret_key,
        }
    return env, store


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], env=env, cwd=ROOT, check=True)  # noqa: S603


# The pools whose work nobody waits for at a page: they run at BACKGROUND_NICENESS.
BACKGROUND_QUEUES = ("media", "detection", "cloak")


def niceness(env: dict) -> int:
    """BACKGROUND_NICENESS (default 5, 0 = same priority as the pages; Linux's range 0–19): how much
    lower the CPU priority of the media, detection and cloak pools is than the app servers'. On a box
    where both want every core, a flood of uploads then slows its own queue, not the pages; idle CPU
    still goes to the workers, so the queue drains at full speed when nobody is reading.
    Why 5 (bench/results/surge*.json, 7x sign-ups and uploads over the base page rate on 2 cores): at 10
    the pages kept p95 184 ms but upload-to-public reached p95 83 s; at 5, pages 154 ms and uploads
    64 s. A 500-upload flood: page p95 74 ms at 0, 34 ms at 10."""
    raw = (env.get("BACKGROUND_NICENESS") or "5").strip()
    if not raw.isdigit() or int(raw) > 19:
        raise RuntimeError(f"BACKGROUND_NICENESS must be a niceness from 0 to 19, not {raw!r}")
    return int(raw)


def worker(queues: str, concurrency: str, name: str, nice: int = 0) -> list[str]:
    prefix = ["nice", "-n", str(nice)] if nice else []  # pool processes inherit it from the main process
    return [
        *prefix, sys.executable, "-m", "celery", "-A", "config", "worker", "--queues", queues,
        "--concurrency", concurrency, "--loglevel", "INFO", "--hostname", f"{name}@%h",
    ]  # fmt: skip


def count(env: dict, name: str) -> int:
    """A process count from the environment: at least 1; anything but a number stops with a sentence."""
    raw = (env.get(name) or "1").strip()
    if not raw.lstrip("-").isdigit():
        raise RuntimeError(f"{name} must be a number of processes, not {raw!r}")
    return max(1, int(raw))


def app_addresses(env: dict) -> list[str]:
    """Where the app-server instances listen: EDGE_APP_ADDRESSES when set, else WEB_INSTANCES (default
    1) consecutive ports from EDGE_APP_ADDRESS's. Written back to EDGE_APP_ADDRESSES for the edge."""
    listed = [address.strip() for address in env.get("EDGE_APP_ADDRESSES", "").split(",") if address.strip()]
    if listed:
        return listed
    host, port = split_address(env["EDGE_APP_ADDRESS"])
    return [f"{host}:{port + offset}" for offset in range(count(env, "WEB_INSTANCES"))]


def process_plan(env: dict) -> list[tuple[str, list[str]]]:
    """Every long-running process of the stack, named: the app-server instances, the Celery pools
    (MEDIA_WORKERS media processes; media, detection and cloak at BACKGROUND_NICENESS), and exactly
    one beat however many of the others run, since a second scheduler would send every periodic task
    twice."""
    processes = env.get("WEB_PROCESSES", str(2 * (os.cpu_count() or 1) + 1))
    plan = []
    for address in app_addresses(env):
        command = [
            sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", address,
            "--workers", processes, "--worker-class", "gthread", "--threads", env.get("WEB_THREADS", "4"),
            "--max-requests", "10000", "--max-requests-jitter", "1000", "--graceful-timeout", "20",
            "--keep-alive", "75",  # longer than the edge's upstream keepalive_timeout (60 s)
            "--forwarded-allow-ips", "127.0.0.1",
        ]  # fmt: skip
        plan.append((f"gunicorn ({processes} processes) on {address}", command))
    pools = [("default,email", "DEFAULT", "2", "main")]
    media_workers = count(env, "MEDIA_WORKERS")
    pools += [
        ("media", "MEDIA", "2", "media" if media_workers == 1 else f"media{n}") for n in range(1, media_workers + 1)
    ]
    pools += [("detection", "DETECTION", "1", "detection")]
    if env.get("CLOAK_AVAILABLE", "").lower() in ("1", "true", "yes", "on"):
        pools += [("cloak", "CLOAK", "1", "cloak")]
    background = niceness(env)
    for queues, key, default, name in pools:
        concurrency = env.get(f"CELERY_{key}_CONCURRENCY", default)
        nice = background if queues in BACKGROUND_QUEUES else 0
        label = f"Celery {name}: {queues} (concurrency {concurrency}" + (f", nice {nice})" if nice else ")")
        plan.append((label, worker(queues, concurrency, name, nice)))
    plan.append(("Celery beat", [sys.executable, "-m", "celery", "-A", "config", "beat"]))
    return plan


def main(argv: list[str]) -> int:
    var_dir = Path(os.environ.get("ATELIER_VAR_DIR") or ROOT / "var").resolve()
    env, store = stack_environment(var_dir)
    if argv[:1] == ["manage"]:
        # `bin/stack manage createsuperuser`: a management command with the stack's environment.
        return subprocess.run([sys.executable, "manage.py", *argv[1:]], env=env, cwd=ROOT, check=False).returncode  # noqa: S603
    supervisor = Supervisor()

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)  # also when started in the background, where SIGINT starts ignored
    try:
        ensure_postgres(env["DATABASE_URL"], var_dir / "stack", supervisor)
        ensure_redis(env["REDIS_URL"], var_dir / "stack", supervisor)
        if store is not None:
            say(f"Starting SeaweedFS (S3 on {store.endpoint})")
            store.start()
            supervisor.add("SeaweedFS", store)
        say("Preparing the database and static files")
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        env["EDGE_APP_ADDRESSES"] = ",".join(app_addresses(env))
        manage(env, "edge_config")
        config = Path(env["EDGE_CONFIG_DIR"]).resolve() / "atelier.conf"
        edge = Edge(config=config, nginx=env.get("EDGE_NGINX", "nginx"))
        for name, command in process_plan(env):
            supervisor.run(name, command, env)
        for address in app_addresses(env):
            wait_for_port(*split_address(address), timeout=60)
        say(f"Starting nginx on {env['EDGE_LISTEN']}")
        edge.start(env["EDGE_LISTEN"])
        supervisor.add("nginx", edge)
        say(f"Atelier is served on {env.get('SITE_URL') or 'http://' + env['EDGE_LISTEN']} (Ctrl-C stops everything)")
        supervisor.wait()
    except KeyboardInterrupt:
        pass
    except (RuntimeError, subprocess.CalledProcessError) as error:
        print(f"bin/stack: {error}", file=sys.stderr)
        return 1
    finally:
        supervisor.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
