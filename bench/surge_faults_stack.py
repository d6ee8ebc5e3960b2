"""The stack bench/surge_faults.py breaks: its own PostgreSQL, Redis and SeaweedFS, then bin/stack's
process list (deploy.run_stack) in front of them (the page load is bench/surge_faults_load.py).

The bench process is also a Django process of the same stack (same environment), so it makes
uploads through the same services a person's upload goes through and reads their states back.
"""

import http.client
import io
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.surge_faults_config import ENV_EXAMPLE, MEDIA_WORKERS, env_example, production_pools
from deploy.stack import ObjectStore, port_open, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
BASE_PORT = int(os.environ.get("FAULTS_BASE_PORT", "8300"))
# Twenty ports from BASE_PORT: the edge, two app servers, PostgreSQL, Redis, and SeaweedFS's S3 gateway
# with its master, volume and filer on the next three (their gRPC ports are these plus 10000).
EDGE, APP, PG, REDIS, S3 = BASE_PORT, BASE_PORT + 1, BASE_PORT + 10, BASE_PORT + 11, BASE_PORT + 12
REDIS_DB = 10


def _run_as_postgres(*command: str) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *command], check=True, capture_output=True)  # noqa: S603


class FaultStack:
    def __init__(self, work: Path):
        self.work = work
        self.stack_process: subprocess.Popen | None = None
        self.redis_process: subprocess.Popen | None = None
        self.writer_stop = threading.Event()
        self.secret_key = secrets.token_urlsafe(50)
        self.store = ObjectStore(
            data_dir=work / "weed", s3_port=S3, access_key="faultbench", secret_key=secrets.token_urlsafe(24),
            public_bucket="atelier-public", private_bucket="atelier-private",
            weed=str(Path(sys.executable).with_name("weed")),
        )  # fmt: skip

    # --- the services

    def environment(self) -> dict:
        return {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": self.secret_key,
            "ATELIER_VAR_DIR": str(self.work / "var"),
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{PG}/atelier_c_stack",
            "REDIS_URL": f"redis://127.0.0.1:{REDIS}/{REDIS_DB}",
            "EDGE_LISTEN": f"127.0.0.1:{EDGE}",
            "EDGE_APP_ADDRESS": f"127.0.0.1:{APP}",
            "WEB_INSTANCES": "2",
            "WEB_PROCESSES": "1",
            "WEB_THREADS": "4",
            "MEDIA_WORKERS": str(MEDIA_WORKERS),
            **production_pools(),
            "MEDIA_STALLED_SECONDS": "30",
            # One address drives the whole load, so the per-address budgets are lifted; the browser
            # check is off because this client runs no JavaScript.
            "SHIELD_PAGES_PER_MINUTE": "100000",
            "SHIELD_MEDIA_PER_MINUTE": "100000",
            "SHIELD_ACCOUNT_PAGES_PER_MINUTE": "100000",
            "SHIELD_CHALLENGE_BITS": "0",
            "AWS_STORAGE_BUCKET_NAME": self.store.public_bucket,
            "AWS_PRIVATE_BUCKET_NAME": self.store.private_bucket,
            "AWS_S3_ENDPOINT_URL": self.store.endpoint,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": self.store.access_key,
            "AWS_SECRET_ACCESS_KEY": self.store.secret_key,
            "EDGE_USER": "root" if os.geteuid() == 0 else "",
        }

    def configuration(self) -> dict:
        """What ran, as the stack's own settings read it (after `start`, this process is one of it)."""
        from django.conf import settings

        keep = ("WEB_INSTANCES", "WEB_PROCESSES", "WEB_THREADS", "MEDIA_WORKERS", "CELERY_MEDIA_CONCURRENCY",
                "CELERY_DETECTION_CONCURRENCY", "CELERY_DEFAULT_CONCURRENCY", "MEDIA_STALLED_SECONDS",
                "BACKGROUND_NICENESS")  # fmt: skip
        return {key: self.environment()[key] for key in keep} | {
            "MEDIA_DETECTION_ONE_PASS": settings.MEDIA_DETECTION_ONE_PASS,
            "pools_from": f"{ENV_EXAMPLE.relative_to(ROOT)} (media {env_example()['CELERY_MEDIA_CONCURRENCY']} "
            f"in one worker, spread over {MEDIA_WORKERS})",
            "cores": os.cpu_count(),
        }

    def start(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        os.chmod(self.work, 0o755)  # noqa: S103 - the postgres user reaches its data folder
        pg = self.work / "pg"
        pg.mkdir()
        shutil.chown(pg, "postgres") if os.geteuid() == 0 else None
        _run_as_postgres(str(PG_BIN / "initdb"), "-D", str(pg / "data"), "-U", "postgres", "--auth=trust")
        # Commit times (pg_xact_commit_timestamp) date when a flood post went public and got its
        # covers, as readers saw it (bench/surge_faults_covers).
        self.pg_options = (
            f"-p {PG} -k {pg} -c listen_addresses=127.0.0.1 -c max_connections=200 -c track_commit_timestamp=on"
        )
        self._pg_ctl("start")
        _run_as_postgres(
            str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(PG), "-U", "postgres", "atelier_c_stack"
        )
        self.redis_start()
        self.store.start()
        env = {**os.environ, **self.environment()}
        log = (self.work / "stack.log").open("ab")
        self.stack_process = subprocess.Popen(
            [sys.executable, "-m", "deploy.run_stack"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port("127.0.0.1", EDGE, process=self.stack_process, timeout=900)
        os.environ.update(self.environment())
        import django

        django.setup()
        self._seed()

    def stop(self) -> None:
        if self.stack_process and self.stack_process.poll() is None:
            self.stack_process.send_signal(signal.SIGTERM)
            try:
                self.stack_process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.stack_process.pid, signal.SIGKILL)
        self.store.stop()
        self.redis_stop()
        pg = self.work / "pg"
        if (pg / "data" / "postmaster.pid").exists():
            _run_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(pg / "data"), "-m", "fast", "-w", "stop")

    def _pg_ctl(self, action: str) -> None:
        pg = self.work / "pg"
        options = ["-o", self.pg_options, "-l", str(pg / "log")]
        _run_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(pg / "data"), *options, "-m", "fast", "-w", action)

    def postgres_restart(self) -> None:
        self._pg_ctl("restart")

    def redis_start(self) -> None:
        folder = self.work / "redis"
        folder.mkdir(exist_ok=True)
        command = ["redis-server", "--port", str(REDIS), "--bind", "127.0.0.1", "--dir", str(folder),
                   "--appendonly", "yes", "--save", ""]  # fmt: skip
        self.redis_process = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)  # noqa: S603
        wait_for_port("127.0.0.1", REDIS, process=self.redis_process)

    def redis_stop(self) -> None:
        """SIGTERM: Redis writes its append-only file and exits, as a service manager's stop does."""
        if self.redis_process and self.redis_process.poll() is None:
            self.redis_process.send_signal(signal.SIGTERM)
            self.redis_process.wait(30)

    def store_stop(self) -> None:
        self.store.stop()
        while port_open("127.0.0.1", S3):
            time.sleep(0.1)

    def store_start(self) -> None:
        self.store.start()

    # --- processes of the stack

    def _processes(self) -> list[tuple[int, int, str]]:
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            found.append((int(entry.name), parent, command))
        return found

    def worker_main(self, name: str) -> int | None:
        for pid, parent, command in self._processes():
            if f"--hostname {name}@%h" in command and parent == self.stack_process.pid:
                return pid
        return None

    def pool_children(self, name: str) -> list[int]:
        main = self.worker_main(name)
        return [pid for pid, parent, _ in self._processes() if parent == main]

    def kill_worker_whole(self, name: str) -> list[int]:
        main = self.worker_main(name)
        if main is None:
            return []
        pids = [main, *self.pool_children(name)]
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        return pids

    def pool_ticks(self, *names: str) -> dict[int, int]:
        """CPU ticks (user + system) used so far by each pool process of these workers."""
        return self.process_ticks([pid for name in names for pid in self.pool_children(name)])

    @staticmethod
    def process_ticks(pids: list[int]) -> dict[int, int]:
        """CPU ticks (user + system) used so far by each of these processes still alive."""
        ticks = {}
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks[pid] = int(fields[11]) + int(fields[12])
            except (OSError, ValueError, IndexError):
                continue
        return ticks

    def busy_pool_children(self, *names: str) -> list[int]:
        """The pool processes of these workers using CPU right now: the ones mid-task."""
        before = self.pool_ticks(*names)
        time.sleep(0.2)
        after = self.pool_ticks(*names)
        return [pid for pid, ticks in after.items() if ticks - before.get(pid, ticks) >= 5]

    def log_count(self, pattern: str) -> int:
        """How many lines of the stack's log (its supervisor's and every worker's) match `pattern`."""
        return len(re.findall(pattern, (self.work / "stack.log").read_text(errors="replace")))

    def restarts_seen(self) -> int:
        return self.log_count("starting it again")

    # --- data, through the services

    def _seed(self) -> None:
        from django.contrib.auth import get_user_model
        from django.utils import timezone

        from atelier.social.services import follow_create

        users = get_user_model().objects
        self.artist = users.create_user(email="artist@example.com", handle="faultartist", password=secrets.token_hex(8))
        self.reader = users.create_user(email="reader@example.com", handle="faultreader", password=secrets.token_hex(8))
        users.filter(pk__in=[self.artist.pk, self.reader.pk]).update(email_verified_at=timezone.now())
        follow_create(follower=self.reader, followee=self.artist)
        self.reader_cookie = self._session_cookie(self.reader)
        self.artist_cookie = self._session_cookie(self.artist)
        self.first_post = self.make_upload(size=(800, 600))
        deadline = time.monotonic() + 300
        while self.post_states([self.first_post]).get(self.first_post) != "public" and time.monotonic() < deadline:
            time.sleep(0.5)  # the pages the load reads exist before it starts

    def _session_cookie(self, user) -> str:
        from django.conf import settings
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.sessions.backends.cached_db import SessionStore

        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        token = secrets.token_hex(16)
        return f"{settings.SESSION_COOKIE_NAME}={store.session_key}; csrftoken={token}"

    def make_upload(self, *, size) -> int:
        """An artist's upload: a draft, one picture, published; processing and the AI check are queued."""
        from PIL import Image

        from atelier.posts import services

        image = Image.new("RGB", size, tuple(secrets.randbelow(256) for _ in range(3)))
        for x in range(0, size[0], 40):
            image.paste((x % 256, 90, 200 - x % 200), (x, 0, x + 20, size[1]))
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder, "upload.png")
            image.save(path)
            post = services.post_create_draft(author=self.artist)
            services.media_add_file(post=post, user=self.artist, path=path)
        services.post_update_details(
            post=post, user=self.artist, title=f"Study {post.pk}", description="", medium="", category="",
            tags=[], software=[], is_mature=False, made_with_ai=False,
        )  # fmt: skip
        services.post_publish(post=post, user=self.artist)
        return post.pk

    def post_states(self, post_ids) -> dict[int, str]:
        from django.db import close_old_connections

        from atelier.posts.models import Post

        close_old_connections()
        return dict(Post.objects.filter(pk__in=post_ids).values_list("pk", "state"))

    def upload_phase(self, post_id: int) -> str:
        """Where the one task of a single-picture upload stands (MEDIA_DETECTION_ONE_PASS runs the
        art-theft fingerprint, then the AI check, then the renditions): "queued" (no fingerprint
        yet), "checking" (fingerprinted, no verdict, renditions not begun: decoding and the
        classifier and watermark signals), "checked", "rendering" or "ready"."""
        from django.db import close_old_connections

        from atelier.media.models import MediaItem
        from atelier.protection.theft.models import Fingerprint

        close_old_connections()
        item = MediaItem.objects.filter(post_id=post_id).values("pk", "state", "ai_check").first()
        if item is None:
            return "lost"
        if item["state"] != "uploaded":
            return "rendering" if item["state"] == "processing" else item["state"]
        if item["ai_check"] != "pending":
            return "checked"
        return "checking" if Fingerprint.objects.filter(item_id=item["pk"]).exists() else "queued"

    def half_written_posts(self) -> int:
        """Published posts without a picture: what a write cut in half would leave."""
        from django.db.models import Count

        from atelier.posts.models import Post

        return Post.objects.exclude(state="draft").annotate(n=Count("items")).filter(n=0).count()

    def queue_lengths(self) -> dict:
        import redis

        client = redis.Redis(host="127.0.0.1", port=REDIS, db=REDIS_DB)
        return {queue: client.llen(queue) for queue in ("media", "detection", "default")}

    def start_writer(self) -> dict:
        """Artists keep uploading through a database restart: each attempt is whole or fails."""
        from django.db import close_old_connections

        record = {"attempted": 0, "failed": 0, "post_ids": []}
        self.writer_stop.clear()

        def write():
            while not self.writer_stop.is_set():
                record["attempted"] += 1
                try:
                    record["post_ids"].append(self.make_upload(size=(400, 300)))
                except Exception:  # the database went away mid-write: the transaction is rolled back
                    record["failed"] += 1
                    close_old_connections()
                    time.sleep(0.3)
                time.sleep(0.5)
            close_old_connections()

        record["thread"] = threading.Thread(target=write, daemon=True)
        record["thread"].start()
        return record

    def stop_writer(self, record: dict) -> dict:
        self.writer_stop.set()
        record.pop("thread").join(60)
        return record

    # --- tus through the edge

    def _request(self, method: str, path: str, headers: dict, body: bytes = b"") -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", EDGE, timeout=30)
        token = self.artist_cookie.rsplit("csrftoken=", 1)[1]
        connection.request(method, path, body=body, headers={
            "Cookie": self.artist_cookie, "X-CSRFToken": token, "Tus-Resumable": "1.0.0", **headers,
        })  # fmt: skip
        response = connection.getresponse()
        response.read()
        connection.close()
        return response

    def tus_create(self, *, length: int) -> str:
        response = self._request("POST", "/uploads/", {"Upload-Length": str(length), "Content-Length": "0"})
        if response.status != 201:
            raise RuntimeError(f"tus create answered {response.status}")
        return response.getheader("Location")

    def tus_patch(self, location: str, *, offset: int, size: int) -> dict:
        body = io.BytesIO(secrets.token_bytes(size)).getvalue()
        headers = {"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}
        response = self._request("PATCH", location, headers, body)
        return {
            "status": response.status,
            "retry_after": response.getheader("Retry-After"),
            "offset": response.getheader("Upload-Offset"),
        }

    def tus_offset(self, location: str) -> int:
        deadline = time.monotonic() + 60
        while True:
            response = self._request("HEAD", location, {})
            if response.status == 200 or time.monotonic() > deadline:
                return int(response.getheader("Upload-Offset") or -1)
            time.sleep(0.5)
