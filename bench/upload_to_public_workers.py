"""Benchmark: upload accepted → post public with real Celery workers and the AI verdict gate.

Start one worker per queue first, against the database and Redis this script uses, e.g.
    celery -A config worker --queues media --concurrency 1 -n media@%h &
    celery -A config worker --queues detection --concurrency 1 -n detection@%h &
then run:  .venv/bin/python bench/upload_to_public_workers.py
Each file is uploaded and published at once; the script polls the rows every 20 ms and prints when
the item was rendered, when its check settled and when the post became public (seconds after the
upload was accepted). Rendering and detection run on their own queues, side by side.
"""

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.default")

FILES = {"1.9 MP PNG drawing": ("PNG", (1600, 1200)), "12 MP JPEG photo": ("JPEG", (4000, 3000))}
REPEATS = 3


def main() -> None:
    import django

    django.setup()
    from atelier.accounts.models import User
    from atelier.media.models import MediaItem
    from atelier.posts import services
    from atelier.posts.models import Post
    from bench.media_pipeline import photographic_jpeg
    from tests.conftest import image_bytes

    artist, _ = User.objects.get_or_create(handle="bench_worker", defaults={"email": "bench_worker@example.com"})
    results = {}
    for label, (fmt, size) in FILES.items():
        runs = []
        for _ in range(REPEATS):
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
            marks = {}
            while time.perf_counter() - started < 300 and "public" not in marks and "held" not in marks:
                row = MediaItem.objects.filter(pk=item.pk).values("state", "ai_check").get()
                state = Post.objects.filter(pk=post.pk).values_list("state", flat=True).get()
                now = round(time.perf_counter() - started, 3)
                if row["state"] == "ready":
                    marks.setdefault("rendered", now)
                if row["ai_check"] != "pending":
                    marks.setdefault("checked", now)
                if state in ("public", "held"):
                    marks[state] = now
                    marks.setdefault("rendered", now)
                    marks.setdefault("checked", now)
                time.sleep(0.02)
            runs.append(marks)
            print(label, marks, flush=True)
        results[label] = {
            "median_rendered_s": statistics.median(run.get("rendered", 0) for run in runs),
            "median_public_s": statistics.median(run.get("public", 0) for run in runs),
            "runs": runs,
        }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
