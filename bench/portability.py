"""Benchmark: importing a 1,000-post Instagram archive, and exporting the account again.

Run:  .venv/bin/python bench/portability.py [--posts 1000] [--small 250] [--no-postgres]

Generates Instagram-format archives (JSON layout of 2024 exports, mojibake captions, small real
JPEG/WebP/HEIC pictures drawn with Pillow, carousels, a few short MP4s made with PyAV), then in a
fresh process per case (so peak memory is that case's own) imports them through the real services
on the embedded default (SQLite, local files, filesystem broker) and on PostgreSQL:
- time to first preview: upload handed over → scanned, stored, counted, and the first 24 thumbnails;
- posts per second of the import worker (each post: the file streamed out of the ZIP, identified and
  decoded by the upload checks, stored, rows written, processing queued on the broker — renditions
  and detection are the media and detection queues' work, measured by bench/media_pipeline.py);
- peak worker memory while importing, above the process's footprint before it (VmHWM reset through
  /proc/self/clear_refs), for a small and the full archive: it must not grow with the archive;
- export of the same account: MB/s and peak memory.
Writes bench/results/portability.json.
"""

import argparse
import io
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_DB = "atelier_h_bench"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
GOAL_PREVIEW_SECONDS = 10


def _mojibake(text: str) -> str:
    return text.encode("utf-8").decode("latin-1")


def _picture(rng: random.Random, fmt: str) -> bytes:
    from PIL import Image, ImageDraw

    size = (rng.choice((320, 400, 480)), rng.choice((240, 300, 360)))
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        box = sorted(rng.randrange(size[0]) for _ in range(2)), sorted(rng.randrange(size[1]) for _ in range(2))
        draw.ellipse((box[0][0], box[1][0], box[0][1], box[1][1]), fill=tuple(rng.randrange(256) for _ in range(3)))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, quality=82) if fmt != "HEIF" else image.save(buffer, format=fmt)
    return buffer.getvalue()


def _clip(seconds: float = 1.0, size=(320, 240), fps: int = 24) -> bytes:
    """A short H.264 MP4 made with PyAV: a white bar moving over a two-colour field."""
    import av
    import numpy as np

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "clip.mp4")
        with av.open(str(path), "w", format="mp4") as output:
            stream = output.add_stream("libx264", rate=fps, options={"preset": "ultrafast"})
            stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
            for index in range(round(seconds * fps)):
                pixels = np.zeros((size[1], size[0], 3), np.uint8)
                pixels[: size[1] // 2] = (200, 60, 40)
                pixels[size[1] * 3 // 4 :, (index * 6) % size[0] : (index * 6) % size[0] + 6] = 255
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                frame.pts = index
                output.mux(stream.encode(frame))
            output.mux(stream.encode(None))
        return path.read_bytes()


def generate_archive(path: Path, posts: int, seed: int = 7) -> dict:
    """An Instagram JSON archive with `posts` posts: 1 in 10 a carousel of 3, 1 in 100 a video."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    rng = random.Random(seed)  # noqa: S311 - pictures, not secrets
    clip = _clip()
    entries, files = [], 0
    start = 1_420_070_400  # 2015-01-01
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number in range(posts):
            when = start + number * 86_400 * 3
            month = time.strftime("%Y%m", time.gmtime(when))
            caption = f"Étude nº {number} — café sketch ☕ #sketch #study{number % 7}"
            if number % 100 == 99:
                uris = [(f"media/posts/{month}/{number}_v.mp4", clip)]
            else:
                count = 3 if number % 10 == 9 else 1
                uris = []
                for index in range(count):
                    fmt = "WEBP" if number % 25 == 3 else ("HEIF" if number % 50 == 7 else "JPEG")
                    ext = {"WEBP": "webp", "HEIF": "heic", "JPEG": "jpg"}[fmt]
                    uris.append((f"media/posts/{month}/{number}_{index}.{ext}", _picture(rng, fmt)))
            for uri, data in uris:
                archive.writestr(uri, data, compress_type=zipfile.ZIP_STORED)
                files += 1
            media = [{"uri": uri, "creation_timestamp": when} for uri, _ in uris]
            if len(media) == 1:
                media[0]["title"] = _mojibake(caption)
                entries.append({"media": media})
            else:
                entries.append({"media": media, "title": _mojibake(caption), "creation_timestamp": when})
        archive.writestr("your_instagram_activity/content/posts_1.json", json.dumps(entries))
        for thread in range(20):
            archive.writestr(f"your_instagram_activity/messages/inbox/t{thread}/message_1.json", "{}")
    return {"posts": posts, "files": files, "bytes": path.stat().st_size}


# --- the child process: one measurement with a fresh database and media folder


def _peak_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _current_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def child(archive_path: str, do_export: bool) -> dict:
    import django
    from django.core.files import File

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from atelier.accounts.models import User
    from atelier.portability import exporting, previews, selectors, services
    from atelier.portability.models import ArchiveExport
    from atelier.portability.running import archive_import_run

    owner = User.objects.create_user(email="bench@example.com", handle="bench_artist", password="x" * 20)

    class Handed(File):
        """The upload as Django hands it to the view: already spooled to a file on disk."""

        def temporary_file_path(self):
            return self.file.name

    # As Django hands a big upload over: spooled to a temporary file, which the service may move.
    spooled = Path(os.environ["ATELIER_VAR_DIR"], "upload.zip")
    shutil.copyfile(archive_path, spooled)
    size = spooled.stat().st_size
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    with open(spooled, "rb") as handle:
        upload = Handed(handle, name="archive.zip")
        upload.size = size
        run = services.archive_import_create(owner=owner, upload=upload, source="instagram")
    selectors.preview_counts(run=run)
    works = selectors.preview_works(run=run)
    thumbnails = sum(previews.work_thumbnail(import_id=run.pk, work_id=row.pk) is not None for row in works[:24])
    preview_seconds = time.perf_counter() - started
    preview_cpu = _cpu_seconds() - cpu_before

    services.archive_import_start(run=run, user=owner, unticked=set(), kinds=set(), include_location=False)
    rss_before = _current_rss()
    _reset_peak()
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    while not archive_import_run(import_id=run.pk):
        pass
    import_seconds = time.perf_counter() - started
    import_cpu = _cpu_seconds() - cpu_before
    import_peak = _peak_rss()
    run.refresh_from_db()
    result = {
        "archive_bytes": size,
        "time_to_first_preview_seconds": round(preview_seconds, 3),
        "time_to_first_preview_cpu_seconds": round(preview_cpu, 3),
        "preview_thumbnails": thumbnails,
        "imported_posts": run.imported,
        "failed_posts": run.failed,
        "import_seconds": round(import_seconds, 2),
        "posts_per_second": round(run.imported / import_seconds, 1),
        "import_cpu_seconds": round(import_cpu, 2),
        "posts_per_cpu_second": round(run.imported / import_cpu, 1),
        "rss_before_import_mb": round(rss_before / 2**20, 1),
        "peak_rss_during_import_mb": round(import_peak / 2**20, 1),
        "peak_growth_during_import_mb": round((import_peak - rss_before) / 2**20, 1),
    }
    if do_export:
        export = ArchiveExport.objects.create(owner=owner)
        rss_before = _current_rss()
        _reset_peak()
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        exporting.archive_export_build(export_id=export.pk)
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
        export.refresh_from_db()
        result |= {
            "export_bytes": export.file_bytes,
            "export_seconds": round(seconds, 2),
            "export_mb_per_second": round(export.file_bytes / 2**20 / seconds, 1),
            "export_cpu_seconds": round(cpu, 2),
            "export_mb_per_cpu_second": round(export.file_bytes / 2**20 / cpu, 1),
            "peak_growth_during_export_mb": round((_peak_rss() - rss_before) / 2**20, 1),
        }
    return result


def _recreate_database() -> None:
    import psycopg

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
        connection.execute(f"CREATE DATABASE {PG_DB}")


def run_case(archive: Path, backend: str, do_export: bool) -> dict:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.default"
    env.pop("REDIS_URL", None)
    env["CELERY_BROKER_URL"] = ""
    env["DEBUG"] = "false"  # a worker runs without debug (which would keep every query in memory)
    with tempfile.TemporaryDirectory(prefix="atelier-bench-portability-") as var:
        env["ATELIER_VAR_DIR"] = var
        if backend == "postgresql":
            _recreate_database()
            env["DATABASE_URL"] = PG_URL
        else:
            env.pop("DATABASE_URL", None)
        args = [sys.executable, __file__, "--child", str(archive)] + (["--export"] if do_export else [])
        output = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True)  # noqa: S603
        if output.returncode:
            sys.exit(f"{backend} {archive.name} failed:\n{output.stderr[-4000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--small", type=int, default=250)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--postgres-small", action="store_true", help="also the small archive on PostgreSQL")
    parser.add_argument("--child")
    parser.add_argument("--export", action="store_true")
    options = parser.parse_args()
    if options.child:
        print(json.dumps(child(options.child, options.export)))
        return
    results = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_at_start": os.getloadavg(),
        }
    }
    with tempfile.TemporaryDirectory(prefix="atelier-bench-archives-") as folder:
        small, full = Path(folder, "small.zip"), Path(folder, "full.zip")
        results["archives"] = {
            "small": generate_archive(small, options.small),
            "full": generate_archive(full, options.posts),
        }
        print("archives:", json.dumps(results["archives"]), flush=True)
        cases = [("sqlite", small, False), ("sqlite", full, True)]
        if not options.no_postgres:
            cases += [("postgresql", small, False)] if options.postgres_small else []
            cases += [("postgresql", full, True)]
        results["cases"] = []
        for backend, archive, do_export in cases:
            measured = run_case(archive, backend, do_export)
            measured = {
                "backend": backend,
                "archive": archive.stem,
                "posts": results["archives"][archive.stem]["posts"],
            } | measured
            print(json.dumps(measured), flush=True)
            results["cases"].append(measured)
    for backend in {case["backend"] for case in results["cases"]}:
        by_size = {case["archive"]: case for case in results["cases"] if case["backend"] == backend}
        if len(by_size) < 2:
            continue
        results[f"{backend}_memory_flat"] = {
            "small_peak_growth_mb": by_size["small"]["peak_growth_during_import_mb"],
            "full_peak_growth_mb": by_size["full"]["peak_growth_during_import_mb"],
            "archive_size_ratio": round(
                results["archives"]["full"]["bytes"] / results["archives"]["small"]["bytes"], 1
            ),
        }
    results["machine"]["load_average_at_end"] = os.getloadavg()
    results["goal_time_to_first_preview_seconds"] = GOAL_PREVIEW_SECONDS
    results["preview_goal_met"] = all(
        c["time_to_first_preview_seconds"] <= GOAL_PREVIEW_SECONDS for c in results["cases"]
    )
    out = ROOT / "bench" / "results" / "portability.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
