"""The capacity model (issue 19): docs/capacity.md from what bench/surge.py measured.

    .venv/bin/python bench/capacity_model.py [--surge bench/results/surge.json] [--out docs/capacity.md]

From the surge run's calibration (CPU seconds per page, per sign-up, per upload, by process kind)
and its storage figures (database and object-store bytes per person and per image), and from the
assumptions stated below (how many people are active, what they do, how peaky a day is), it computes
processes, cores, database size and object-store bytes for 100k and 700k people, the configuration
change between the two, and a monthly cost from list prices stated with the date they were assumed.
Every figure in the document is computed here; nothing is typed in by hand.
"""

import argparse
import json
import math
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVERLESS_WEEK_USD = 96_000  # what the platform Atelier replaces reportedly paid in one week


@dataclass(frozen=True)
class Assumptions:
    daily_active_share: float = 0.35  # of registered people, on an ordinary day
    pages_per_active: float = 40.0  # page views (not images) per active person per day
    anonymous_share: float = 0.65  # of page views, as in the bench's mix
    posts_per_active: float = 0.08  # posts published per active person per day
    images_per_post: float = 2.5  # the bench's artists upload 1–4
    images_per_page: float = 6.0  # images a page view pulls through the edge/CDN (no browser cache)
    signups_per_day_share: float = 0.01  # new people per day as a share of the base (ordinary growth)
    peak_to_average: float = 3.0  # busiest hour's rate over the day's average
    target_utilisation: float = 0.6  # cores are sized so the peak uses this share of them
    cores_per_server: int = 8  # the machine size the plan buys (see PRICES)
    db_cache_share: float = 0.25  # of the database that should fit in memory
    retention_days: int = 365  # the object store is sized for a year of uploads on top of the seed


@dataclass(frozen=True)
class Prices:
    """Public list prices, as assumed on the date given (check them before buying)."""

    as_of: str = "2025-10 list prices (not re-checked on the run's date)"
    server_name: str = "Hetzner CCX33 (8 dedicated vCPU, 32 GB)"
    server_month_usd: float = 57.0  # €52.49 at ~1.09 $/€
    db_server_name: str = "Hetzner CCX43 (16 dedicated vCPU, 64 GB)"
    db_server_month_usd: float = 114.0
    object_store_tb_month_usd: float = 6.5  # Hetzner Object Storage, per TB-month beyond the base
    cdn_tb_usd: float = 5.0  # a CDN's bulk egress per TB (Bunny/Cloudflare-class pricing)
    aws_server_name: str = "AWS c7i.2xlarge on demand, us-east-1 (8 vCPU)"
    aws_server_month_usd: float = 260.0  # $0.357/h × 730 h
    aws_db_month_usd: float = 775.0  # r7i.4xlarge on demand, $1.058/h × 730 h
    aws_s3_tb_month_usd: float = 23.0  # S3 Standard, $0.023/GB-month
    aws_cdn_tb_usd: float = 85.0  # CloudFront, first 10 TB, $0.085/GB


@dataclass
class Measured:
    """Per unit, from the surge run: CPU seconds by tier, bytes per person and per image."""

    web_s_per_anonymous_page: float
    web_s_per_signed_in_page: float
    db_s_per_anonymous_page: float
    db_s_per_signed_in_page: float
    web_s_per_signup: float
    worker_s_per_signup: float
    web_s_per_upload: float
    media_s_per_upload: float
    detection_s_per_upload: float
    db_s_per_upload: float
    db_bytes_per_person: float
    object_bytes_per_image: float
    image_view_bytes: float
    source: dict = field(default_factory=dict)


def measured_from(surge: dict) -> Measured:
    cal = surge["calibration"]

    def per_unit(kind: str, *tiers: str) -> float:
        cpu, units = cal[kind]["cpu_s"], max(1, cal[kind]["units"])
        return sum(cpu.get(tier, 0.0) for tier in tiers) / units

    storage = surge["storage"]
    images = max(1, storage["media_items_distinct"] if "media_items_distinct" in storage else storage["media_items"])
    object_bytes = sum(bucket["bytes"] for bucket in storage["object_store"].values())
    uploads = max(1, cal["artist"]["units"])
    images_per_upload = (cal["artist"].get("upload_images") or uploads) / uploads
    return Measured(
        web_s_per_anonymous_page=per_unit("anonymous", "gunicorn", "nginx"),
        web_s_per_signed_in_page=per_unit("signed_in", "gunicorn", "nginx"),
        db_s_per_anonymous_page=per_unit("anonymous", "postgres"),
        db_s_per_signed_in_page=per_unit("signed_in", "postgres"),
        web_s_per_signup=per_unit("newcomer", "gunicorn", "nginx"),
        worker_s_per_signup=per_unit("newcomer", "celery-default,email"),
        web_s_per_upload=per_unit("artist", "gunicorn", "nginx", "seaweedfs") / images_per_upload,
        media_s_per_upload=per_unit("artist", "celery-media") / images_per_upload,
        detection_s_per_upload=per_unit("artist", "celery-detection") / images_per_upload,
        db_s_per_upload=per_unit("artist", "postgres") / images_per_upload,
        db_bytes_per_person=storage["database_bytes"] / max(1, storage["people"]),
        object_bytes_per_image=object_bytes / images,
        image_view_bytes=surge.get("image_view_bytes", 60_000),
        source={"images_per_upload_journey": round(images_per_upload, 2), "object_store_images": images},
    )


def plan_for(people: int, m: Measured, a: Assumptions, *, signups_per_day: float | None = None) -> dict:
    """Rates, cores and bytes for `people` registered; `signups_per_day` overrides ordinary growth
    (the surge week: 600k newcomers in five days)."""
    active = people * a.daily_active_share
    pages_day = active * a.pages_per_active
    peak_pages = pages_day / 86400 * a.peak_to_average
    anonymous, signed_in = peak_pages * a.anonymous_share, peak_pages * (1 - a.anonymous_share)
    images_day = active * a.posts_per_active * a.images_per_post
    peak_images = images_day / 86400 * a.peak_to_average
    signups = people * a.signups_per_day_share if signups_per_day is None else signups_per_day
    peak_signups = signups / 86400 * a.peak_to_average
    web_busy = anonymous * m.web_s_per_anonymous_page + signed_in * m.web_s_per_signed_in_page
    web_busy += peak_signups * m.web_s_per_signup + peak_images * m.web_s_per_upload
    db_busy = anonymous * m.db_s_per_anonymous_page + signed_in * m.db_s_per_signed_in_page
    db_busy += peak_images * m.db_s_per_upload
    media_busy, detection_busy = peak_images * m.media_s_per_upload, peak_images * m.detection_s_per_upload
    worker_busy = media_busy + detection_busy + peak_signups * m.worker_s_per_signup

    def cores(busy: float) -> int:
        return max(1, math.ceil(busy / a.target_utilisation))

    web_cores, worker_cores, db_cores = cores(web_busy), cores(worker_busy), cores(db_busy)
    db_bytes = people * m.db_bytes_per_person
    object_bytes = images_day * a.retention_days * m.object_bytes_per_image + people * m.db_bytes_per_person * 0
    egress_month = pages_day * a.images_per_page * m.image_view_bytes * 30
    return {
        "people": people,
        "active_per_day": round(active),
        "peak_pages_per_s": round(peak_pages, 1),
        "peak_images_uploaded_per_s": round(peak_images, 2),
        "signups_per_day": round(signups),
        "busy_cores": {
            "web": round(web_busy, 2),
            "db": round(db_busy, 2),
            "media": round(media_busy, 2),
            "detection": round(detection_busy, 2),
            "workers": round(worker_busy, 2),
        },
        "cores": {"web": web_cores, "workers": worker_cores, "db": db_cores},
        "gunicorn_processes": 2 * web_cores + 1,
        "media_concurrency": cores(media_busy),
        "detection_concurrency": cores(detection_busy),
        "app_servers": math.ceil(web_cores / a.cores_per_server),
        "worker_servers": math.ceil(worker_cores / a.cores_per_server),
        "db_connections_at_peak": (2 * web_cores + 1) * 4 + cores(worker_busy),
        "db_bytes": round(db_bytes),
        "db_memory_gb": round(db_bytes * a.db_cache_share / 2**30, 1),
        "object_store_bytes_per_year": round(object_bytes),
        "cdn_egress_tb_per_month": round(egress_month / 1e12, 2),
    }


def monthly_cost(plan: dict, p: Prices) -> dict:
    servers = plan["app_servers"] + plan["worker_servers"]
    db = math.ceil(plan["cores"]["db"] / 16)
    store_tb = plan["object_store_bytes_per_year"] / 1e12
    egress = plan["cdn_egress_tb_per_month"]
    hetzner = servers * p.server_month_usd + db * p.db_server_month_usd + store_tb * p.object_store_tb_month_usd
    hetzner += egress * p.cdn_tb_usd
    aws = servers * p.aws_server_month_usd + db * p.aws_db_month_usd + store_tb * p.aws_s3_tb_month_usd
    aws += egress * p.aws_cdn_tb_usd
    serverless_month = SERVERLESS_WEEK_USD * 52 / 12
    return {
        "servers": servers,
        "db_servers": db,
        "hetzner_usd": round(hetzner),
        "aws_usd": round(aws),
        "serverless_month_usd": round(serverless_month),
        "aws_share_of_serverless": round(aws / serverless_month, 4),
    }


def render(surge: dict, m: Measured, a: Assumptions, p: Prices, plans: dict[str, dict]) -> str:
    from bench.capacity_doc import document

    return document(surge=surge, measured=asdict(m), assumptions=asdict(a), prices=asdict(p), plans=plans)


def build(surge: dict, a: Assumptions | None = None, p: Prices | None = None) -> tuple[Measured, dict]:
    a, p = a or Assumptions(), p or Prices()
    m = measured_from(surge)
    plans = {
        "100k": plan_for(100_000, m, a),
        "700k": plan_for(700_000, m, a, signups_per_day=600_000 / 5),
    }
    for plan in plans.values():
        plan["cost"] = monthly_cost(plan, p)
    return m, plans


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--surge", default=str(ROOT / "bench" / "results" / "surge.json"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "capacity.md"))
    args = parser.parse_args()
    surge = json.loads(Path(args.surge).read_text())
    a, p = Assumptions(), Prices()
    m, plans = build(surge, a, p)
    Path(args.out).write_text(render(surge, m, a, p, plans))
    print(json.dumps(plans, indent=2))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
