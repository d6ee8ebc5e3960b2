"""Benchmark: the media worker's CPU per uploaded image, by task and by stage, for the pictures the
surge uploads (bench/surge_locust.py: 1-4 photographic JPEGs a post, 960-1152 × 720, quality 90,
4:4:4 chroma, drawn by bench/surge_pictures.py).

Run:  .venv/bin/python bench/media_cpu_per_image.py --baseline PATH [--posts N] [--s3-port PORT]
`--baseline` measures another checkout (main at the commit before a change) and this one, each in
its own process with this script, and writes both with the difference to
bench/results/media_cpu_per_image.json (media_cpu_per_image_s3.json with `--s3-port`). `--tree`
measures one checkout alone (`--out` names the file).

What runs: the real services and tasks on the embedded default (config.settings.test: SQLite, local
media files, Content Credentials on). Each post is created, given its images (`media_add_file`) and
published, as the surge's artists do; the tasks this queues are not run inline but collected (the
broker is Celery's in-memory one) and then run one by one, as the workers would, by queue:
- `renders_first`: the media queue drains before detection runs (renditions wait for no verdict,
  so each is signed afterwards by `resign_media_item`, and covers are drawn again once public);
- `verdicts_first`: detection drains first (the surge's case when the media queue is the longer
  one: renditions are signed as they are made);
- `one_pass`: production's default (MEDIA_DETECTION_ONE_PASS): one media task fingerprints and checks
  each upload, then renders it from the same decode, so the art-theft and AI checks count as media CPU.
Only tasks routed to the `media` queue are counted. CPU is process time (every thread: WebP and
AVIF encodes run in a pool), with the garbage collector off and BLAS/OpenMP at one thread.
Stages inside the tasks are timed with each call's thread CPU time (a wrapper around Pillow's
decode, resize and save, the C2PA signer and storage writes, counted once when nested), so a stage
is counted wherever it runs; "other" is the rest of the task (Django, SQLite, Python).
"""

import argparse
import functools
import gc
import itertools
import json
import os
import platform
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

HERE = Path(__file__).resolve().parents[1]
WIDTHS = (960, 1024, 1088, 1152)  # bench/surge_pictures.WIDTHS, in the checkout measured
HEIGHT = 720
ORDERS = ("renders_first", "verdicts_first", "one_pass")
PROFILE = None  # a cProfile.Profile with --profile (main thread only: encodes show as waits)
_SEEDS = itertools.count(1)  # each picture its own: the same one by two artists is held as a repost


class StageClock:
    """Thread CPU seconds per stage, summed over every thread; a stage inside another is the outer's."""

    def __init__(self):
        self.seconds = defaultdict(float)
        self.calls = defaultdict(int)
        self._lock = threading.Lock()
        self._local = threading.local()
        self.enabled = False  # on only while a media-queue task runs
        self.task = ""  # its name, which prefixes the stages

    def wrap(self, owner, attribute: str, stage):
        original = getattr(owner, attribute)
        clock = self

        def timed(*args, **kwargs):
            if not clock.enabled:
                return original(*args, **kwargs)
            name = f"{clock.task}:" + (stage(*args, **kwargs) if callable(stage) else stage)
            if getattr(clock._local, "inside", False):  # counted, its time is the outer call's
                with clock._lock:
                    clock.calls[name] += 1
                return original(*args, **kwargs)
            clock._local.inside = True
            started = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent = time.thread_time() - started
                clock._local.inside = False
                with clock._lock:
                    clock.seconds[name] += spent
                    clock.calls[name] += 1

        setattr(owner, attribute, timed)

    def snapshot(self) -> tuple[dict, dict]:
        with self._lock:
            return dict(self.seconds), dict(self.calls)


def _save_stage(image, fp=None, format=None, **params):
    fmt = (format or "").lower() or "file"
    long_side = max(image.size)
    band = "full" if long_side > 1000 else ("960" if long_side > 700 else ("640" if long_side > 400 else "320"))
    return f"encode_{fmt}_{band}"


def instrument(clock: StageClock) -> None:
    """Time the heavy calls, wherever they are made from (the bench only: production is untouched)."""
    import botocore.client
    from django.core.files.storage import FileSystemStorage
    from PIL import Image, ImageFile
    from storages.backends.s3 import S3Storage

    from atelier.media import content_credentials

    clock.wrap(ImageFile.ImageFile, "load", "decode")
    clock.wrap(Image.Image, "resize", "resize")
    clock.wrap(Image.Image, "reduce", "resize")
    clock.wrap(Image.Image, "save", _save_stage)
    clock.wrap(content_credentials, "sign", "c2pa_sign")
    # S3 requests are counted by operation (their CPU is in the storage call around them).
    clock.wrap(botocore.client.BaseClient, "_make_api_call", lambda client, operation, params: f"s3_{operation}")
    for backend in (FileSystemStorage, S3Storage):
        clock.wrap(backend, "save", "storage_write")
        clock.wrap(backend, "open", "storage_read")
        clock.wrap(backend, "exists", "storage_exists")
        clock.wrap(backend, "delete", "storage_delete")
        clock.wrap(backend, "listdir", "storage_list")
    try:  # the server-side copy that moves a rendition on S3 (checkouts from before it have none)
        from atelier.media.object_storage import ObjectStorage
    except ImportError:
        return
    clock.wrap(ObjectStorage, "copied_from", "storage_copy")


class Queues:
    """What the workers would be handed: every task published, kept by queue instead of sent."""

    def __init__(self):
        self.waiting = defaultdict(list)

    def published(self, sender=None, body=None, routing_key=None, headers=None, **kwargs):
        args, task_kwargs, _ = body
        self.waiting[routing_key or "default"].append((headers["task"], args, task_kwargs))

    def pop(self, queue: str):
        return self.waiting[queue].pop(0) if self.waiting[queue] else None


def run_order(order: str, posts: int, clock: StageClock, queues: Queues) -> dict:
    from django.test import override_settings

    with override_settings(MEDIA_DETECTION_ONE_PASS=order == "one_pass"):
        return _run_order(order, posts, clock, queues)


def _run_order(order: str, posts: int, clock: StageClock, queues: Queues) -> dict:
    from celery import current_app

    from atelier.accounts.models import User
    from atelier.posts import services
    from atelier.posts.models import Post, PostState

    handle = f"cpu{User.objects.count()}"
    artist = User.objects.create_user(handle=handle, email=f"{handle}@example.com", password="x" * 12)
    media_cpu = defaultdict(float)
    task_counts = defaultdict(int)
    stages_before, calls_before = clock.snapshot()
    other_queues_cpu = defaultdict(float)
    images = 0
    for index in range(posts):
        post = services.post_create_draft(author=artist)
        services.post_update_details(
            post=post, user=artist, title=f"Surge study {index}", description="", medium="digital_2d",
            category="illustration", tags=["surge"], software=["Krita"], is_mature=False, made_with_ai=False,
        )  # fmt: skip
        for n in range(1 + index % 4):  # 1-4 images a post, 2.5 on average, like the surge
            data = _pictures().distinct_picture(WIDTHS[(index + n) % len(WIDTHS)], HEIGHT, seed=next(_SEEDS))
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder, "image.jpg")
                path.write_bytes(data)
                services.media_add_file(post=post, user=artist, path=path)
            images += 1
        services.post_publish(post=post, user=artist)
        if Post.objects.get(pk=post.pk).state == PostState.PUBLIC:
            raise RuntimeError("public before any verdict: the gate is broken")
        first, second = ("media", "detection") if order == "renders_first" else ("detection", "media")
        while any(queues.waiting[q] for q in ("media", "detection", "default", "email")):
            queue = next(q for q in (first, second, "default", "email") if queues.waiting[q])
            name, args, kwargs = queues.pop(queue)
            task = current_app.tasks[name]
            gc.collect()
            clock.enabled, clock.task = queue == "media", name.rsplit(".", 1)[-1]
            started = time.process_time()
            if PROFILE is not None and queue == "media":
                PROFILE.enable()
            task.apply(args=args, kwargs=kwargs, throw=True)
            if PROFILE is not None:
                PROFILE.disable()
            spent = time.process_time() - started
            clock.enabled = False
            if queue == "media":
                media_cpu[name.rsplit(".", 1)[-1]] += spent
                task_counts[name.rsplit(".", 1)[-1]] += 1
            else:
                other_queues_cpu[queue] += spent
        state = Post.objects.get(pk=post.pk).state
        if state != PostState.PUBLIC:
            reasons = list(post.items.values_list("ai_check", "check_reason", "state"))
            raise RuntimeError(f"post {post.pk} ended {state}, not public: {reasons}")
    stages_after, calls_after = clock.snapshot()
    return {
        "posts": posts,
        "images": images,
        "media_cpu_ms_per_image": round(1000 * sum(media_cpu.values()) / images, 1),
        "media_tasks_ms_per_image": {k: round(1000 * v / images, 1) for k, v in sorted(media_cpu.items())},
        "media_task_runs": dict(task_counts),
        "other_queues_ms_per_image": {k: round(1000 * v / images, 1) for k, v in other_queues_cpu.items()},
        "media_stages_ms_per_image": _stages(stages_before, stages_after, images, sum(media_cpu.values())),
        "storage_requests_per_image": {
            k: round((calls_after[k] - calls_before.get(k, 0)) / images, 1)
            for k in sorted(calls_after)
            if ":s3_" in k and calls_after[k] > calls_before.get(k, 0)
        },
    }


def compare(args) -> None:
    """Before (`--baseline`) and after (this checkout), each measured in a fresh process."""
    import subprocess

    name = "media_cpu_per_image_s3.json" if args.s3_port else "media_cpu_per_image.json"
    runs = {}
    for label, tree in (("before", Path(args.baseline).resolve()), ("after", HERE)):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            command = [sys.executable, __file__, "--tree", str(tree), "--out", out.name, "--posts", str(args.posts)]
            command += ["--label", label] + (["--s3-port", str(args.s3_port)] if args.s3_port else [])
            subprocess.run(command, check=True)  # noqa: S603 - this script, this interpreter
            runs[label] = json.loads(Path(out.name).read_text())
    saved = {}
    for order in ORDERS:
        before, after = runs["before"]["orders"][order], runs["after"]["orders"][order]
        saved[order] = {
            "media_cpu_ms_per_image": [before["media_cpu_ms_per_image"], after["media_cpu_ms_per_image"]],
            "saved_ms_per_image": round(before["media_cpu_ms_per_image"] - after["media_cpu_ms_per_image"], 1),
            "saved_share": round(1 - after["media_cpu_ms_per_image"] / before["media_cpu_ms_per_image"], 3),
        }
        print(f"{order}: {before['media_cpu_ms_per_image']} → {after['media_cpu_ms_per_image']} ms per image")
    out = HERE / "bench" / "results" / name
    out.write_text(json.dumps({"before_after": saved, **runs}, indent=2) + "\n")
    print(f"wrote {out.relative_to(HERE)}")


def _start_s3(port: int):
    """moto's S3 server in its own process (its CPU is not the worker's), and the environment that
    makes the settings build S3 storages against it, as the production stack does (two buckets)."""
    import subprocess
    import urllib.request

    server = subprocess.Popen(  # noqa: S603 - moto's own server script from this environment
        [str(Path(sys.executable).with_name("moto_server")), "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(endpoint, timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    credentials = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_S3_REGION_NAME": "us-east-1"}
    os.environ.update(credentials)
    os.environ.update(
        AWS_S3_ENDPOINT_URL=endpoint, AWS_STORAGE_BUCKET_NAME="bench-public", AWS_PRIVATE_BUCKET_NAME="bench-private"
    )
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
    )
    for bucket in ("bench-public", "bench-private"):
        client.create_bucket(Bucket=bucket)
    return server


@functools.cache
def _pictures():
    """bench/surge_pictures.py of this checkout, whichever tree's code is measured."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("surge_pictures", HERE / "bench" / "surge_pictures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _stages(before: dict, after: dict, images: int, total: float) -> dict:
    spent = {k: after[k] - before.get(k, 0) for k in sorted(after) if after[k] > before.get(k, 0)}
    stages = {k: round(1000 * v / images, 1) for k, v in spent.items()}
    stages["other"] = round(1000 * (total - sum(spent.values())) / images, 1)
    return stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", default=str(HERE), help="checkout whose code is measured")
    parser.add_argument("--out", default=str(HERE / "bench" / "results" / "media_cpu_per_image.json"))
    parser.add_argument("--posts", type=int, default=12)
    parser.add_argument("--label", default="")
    parser.add_argument("--profile", default="", help="also write a cProfile of the media tasks here")
    parser.add_argument(
        "--s3-port", type=int, default=0, help="store files in S3 (moto's server on this port, its own process)"
    )
    parser.add_argument("--baseline", default="", help="checkout to compare this one with (before → after)")
    args = parser.parse_args()
    if args.baseline:
        return compare(args)
    tree = Path(args.tree).resolve()
    sys.path.insert(0, str(tree))  # atelier and config, from the measured one
    os.chdir(tree)
    store = _start_s3(args.s3_port) if args.s3_port else None

    import django

    django.setup()
    from celery import current_app
    from celery.signals import before_task_publish
    from django.db import connection
    from django.test.utils import setup_test_environment

    import atelier

    if Path(atelier.__file__).resolve().parents[1] != tree:
        raise SystemExit(f"atelier was imported from {atelier.__file__}, not {tree}")
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    current_app.conf.task_always_eager = False  # collected, then run one by one below
    queues = Queues()
    before_task_publish.connect(queues.published, weak=False)
    clock = StageClock()
    instrument(clock)

    global PROFILE
    run_order("renders_first", 2, clock, queues)  # warm-up: imports, the C2PA signer, the detector
    if args.profile:
        import cProfile

        PROFILE = cProfile.Profile()
    gc.disable()
    results = {}
    for order in ORDERS:
        results[order] = run_order(order, args.posts, clock, queues)
    gc.enable()
    if PROFILE is not None:
        PROFILE.dump_stats(args.profile)
    if store is not None:
        store.terminate()
        store.wait()
    commit = os.popen(f"git -C {tree} rev-parse HEAD").read().strip()  # noqa: S605 - a fixed command
    out = {
        "label": args.label,
        "tree": str(tree),
        "commit": commit,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "storage": "S3 (moto server, its own process)" if store else "local files",
        "pictures": f"bench/surge_pictures.distinct_picture, widths {WIDTHS} × {HEIGHT}, JPEG q90 4:4:4",
        "orders": results,
    }
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    for order in ORDERS:
        row = results[order]
        print(f"{order}: {row['media_cpu_ms_per_image']} ms of media CPU per image ({row['images']} images)")
        print("  tasks :", row["media_tasks_ms_per_image"], row["media_task_runs"])
        print("  stages:", row["media_stages_ms_per_image"])
        if row["storage_requests_per_image"]:
            print("  S3 requests:", row["storage_requests_per_image"])
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
