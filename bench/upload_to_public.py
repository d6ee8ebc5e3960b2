"""Benchmark: upload accepted → post public, with the AI verdict gating publication (issue 17).

Run:  .venv/bin/python bench/upload_to_public.py
For each file, an artist uploads it and publishes at once; then the two queued tasks run as two
workers would run them, side by side (rendering on `media`, detection on `detection`, each in its own
thread with its own database connection). It prints when the renditions were ready (the moment the
post went public before the gate) and when the post actually became public, and the difference: the
time the gate adds. Also the two tasks run one after the other (a single worker serving both queues).
Writes bench/results/upload_to_public.json. Uses a throwaway SQLite database and media folder.
"""

import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("OMP_NUM_THREADS", "1")

REPEATS = 3
FILES = {"1.9 MP PNG drawing": ("PNG", (1600, 1200)), "12 MP JPEG photo": ("JPEG", (4000, 3000))}


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    from atelier.accounts.models import User
    from atelier.posts import services
    from atelier.posts.items import media_item_process
    from atelier.posts.models import Post, PostState
    from atelier.posts.tasks import process_media_item
    from atelier.protection.detection.services import media_item_detect
    from atelier.protection.detection.tasks import detect_media_item
    from bench.media_pipeline import photographic_jpeg
    from tests.conftest import image_bytes

    queued = []
    # The broker: the bench plays both workers, so tasks are held here instead of run inline.
    process_media_item.delay = lambda item_id, version: queued.append(("process", item_id, version))
    detect_media_item.delay = lambda item_id: queued.append(("detect", item_id))
    artist = User.objects.create_user(handle="bench_artist", email="bench@example.com", password="x" * 12)

    def upload(fmt, size) -> tuple[Post, object, float]:
        data = photographic_jpeg(*size) if fmt == "JPEG" else image_bytes(fmt, size)
        post = services.post_create_draft(author=artist)
        services.post_update_details(
            post=post, user=artist, title="Bench", description="", medium="", category="", tags=[],
            software=[], is_mature=False, made_with_ai=False,
        )  # fmt: skip
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder, "upload")
            path.write_bytes(data)
            started = time.perf_counter()
            item = services.media_add_file(post=post, user=artist, path=path)
        services.post_publish(post=post, user=artist)
        if Post.objects.get(pk=post.pk).state != PostState.CHECKING:
            raise RuntimeError("published before any verdict: the gate is broken")
        return post, item, started

    def public_at(post_id) -> float:
        """Both tasks have returned: the post is public now, or the check held it (a bench failure)."""
        state = Post.objects.get(pk=post_id).state
        if state != PostState.PUBLIC:
            raise RuntimeError(f"the bench image ended {state}, not public")
        return max(marks_of[post_id].values())

    results, marks_of = {}, {}
    for label, (fmt, size) in FILES.items():
        runs = {"parallel": [], "serial": []}
        for mode in ("parallel", "serial"):
            for _ in range(REPEATS):
                queued.clear()
                post, item, started = upload(fmt, size)
                marks = marks_of[post.pk] = {}

                def render(item=item, marks=marks):
                    media_item_process(item_id=item.pk, version=item.version)
                    marks["rendered"] = time.perf_counter()
                    connection.close()

                def detect(item=item, marks=marks):
                    media_item_detect(item_id=item.pk)
                    marks["detected"] = time.perf_counter()
                    connection.close()

                if mode == "parallel":
                    threads = [threading.Thread(target=render), threading.Thread(target=detect)]
                    for thread in threads:
                        thread.start()
                    for thread in threads:
                        thread.join()
                else:
                    render()
                    detect()
                public = public_at(post.pk)
                runs[mode].append(
                    {
                        "rendered_s": round(marks["rendered"] - started, 3),
                        "detected_s": round(marks["detected"] - started, 3),
                        "public_s": round(public - started, 3),
                        "added_by_gate_s": round(max(0.0, marks["detected"] - marks["rendered"]), 3),
                    }
                )
        results[label] = {
            mode: {
                "median_rendered_s": statistics.median(r["rendered_s"] for r in rs),
                "median_public_s": statistics.median(r["public_s"] for r in rs),
                "median_added_by_gate_s": statistics.median(r["added_by_gate_s"] for r in rs),
                "runs": rs,
            }
            for mode, rs in runs.items()
        }
        for mode in ("parallel", "serial"):
            row = results[label][mode]
            print(
                f"{label:20} {mode:8} rendered {row['median_rendered_s']:.2f} s · public {row['median_public_s']:.2f} s"
                f" · added by the gate {row['median_added_by_gate_s']:.2f} s"
            )
    out = {"host": platform.platform(), "cpus": os.cpu_count(), "repeats": REPEATS, "results": results}
    (ROOT / "bench" / "results" / "upload_to_public.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
