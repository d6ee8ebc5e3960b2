"""The capacity model computes from the measured JSON (bench/capacity_model.py), and the surge bench's
mix and locustfile load (bench/surge_mix.py, bench/surge_locust.py)."""

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bench import capacity_model as cm
from bench.surge_mix import Mix, percentile, surge_factor

pytestmark = pytest.mark.backend_free  # neither database nor cache: runs once (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[2]

SURGE = {
    "measured_at": "2026-12-04T22:00:00+00:00",
    "machine": {"cpus": 2, "loadavg_before": [1.0, 1.0, 1.0]},
    "calibration": {
        "anonymous": {"units": 1000, "cpu_s": {"gunicorn": 8.0, "nginx": 2.0, "postgres": 3.0}},
        "signed_in": {"units": 500, "cpu_s": {"gunicorn": 10.0, "nginx": 0.0, "postgres": 5.0}},
        "newcomer": {"units": 10, "cpu_s": {"gunicorn": 2.0, "celery-default,email": 0.5}},
        "artist": {
            "units": 4,
            "upload_images": 10,
            "cpu_s": {
                "gunicorn": 2.0,
                "seaweedfs": 0.5,
                "celery-media": 15.0,
                "celery-detection": 10.0,
                "postgres": 1.0,
            },
        },
    },
    "storage": {
        "database_bytes": 50_000_000,
        "people": 1000,
        "media_items": 500,
        "object_store": {"public": {"bytes": 600_000_000}, "private": {"bytes": 400_000_000}},
    },
    "image_view_bytes": 50_000,
}
# Round numbers, so the expected figures below can be worked out by hand.
ASSUMED = replace(
    cm.Assumptions(),
    daily_active_share=0.5,
    pages_per_active=86.4,
    anonymous_share=0.5,
    posts_per_active=0.0864,
    images_per_post=2.0,
    images_per_page=8.0,
    signups_per_day_share=0.00864,
    peak_to_average=2.0,
    target_utilisation=0.5,
    retention_days=365,
)


def test_per_unit_costs_come_from_the_calibration_and_storage():
    m = cm.measured_from(SURGE)

    assert m.web_s_per_anonymous_page == pytest.approx(0.010)  # (8 + 2) s / 1000 pages
    assert m.db_s_per_signed_in_page == pytest.approx(0.010)  # 5 s / 500
    assert m.worker_s_per_signup == pytest.approx(0.05)
    # Uploads are per image: 4 journeys carried 10 images.
    assert m.media_s_per_upload == pytest.approx(1.5)
    assert m.detection_s_per_upload == pytest.approx(1.0)
    assert m.web_s_per_upload == pytest.approx(0.25)  # gunicorn 2 + object store 0.5
    assert m.db_bytes_per_person == pytest.approx(50_000)
    assert m.object_bytes_per_image == pytest.approx(2_000_000)


def test_plan_for_100k_people():
    plan = cm.plan_for(100_000, cm.measured_from(SURGE), ASSUMED)

    # 50k active × 86.4 pages = 4.32M pages a day = 50/s on average, 100/s at the peak.
    assert plan["peak_pages_per_s"] == 100.0
    assert plan["peak_images_uploaded_per_s"] == 0.2
    # web: 50 × 0.01 + 50 × 0.02 + 0.02 sign-ups/s × 0.2 + 0.2 images/s × 0.25 = 1.554 busy cores
    assert plan["busy_cores"]["web"] == pytest.approx(1.55, abs=0.01)
    assert plan["cores"] == {"web": 4, "workers": 2, "db": 2}
    assert (plan["media_concurrency"], plan["detection_concurrency"], plan["gunicorn_processes"]) == (1, 1, 9)
    assert plan["db_bytes"] == 5_000_000_000
    assert plan["object_store_bytes_per_year"] == pytest.approx(8640 * 365 * 2_000_000, rel=1e-9)
    assert plan["cdn_egress_tb_per_month"] == pytest.approx(51.84)


def test_the_surge_week_scales_every_tier_and_costs_less_than_the_serverless_bill():
    _, plans = cm.build(SURGE, ASSUMED)
    small, large = plans["100k"], plans["700k"]

    assert large["peak_pages_per_s"] == pytest.approx(7 * small["peak_pages_per_s"])
    assert large["signups_per_day"] == 120_000
    assert large["cores"]["web"] > small["cores"]["web"]
    assert large["cost"]["serverless_month_usd"] == round(96_000 * 52 / 12)
    assert large["cost"]["aws_usd"] < large["cost"]["serverless_month_usd"]


def test_the_document_states_assumptions_prices_and_both_plans(tmp_path):
    m, plans = cm.build(SURGE, ASSUMED)
    text = cm.render(SURGE, m, ASSUMED, cm.Prices(), plans)

    assert "| daily active share | 0.5 |" in text
    assert cm.Prices().as_of in text
    assert f"| gunicorn processes (×4 threads) | {plans['100k']['gunicorn_processes']} |" in text


def test_upload_to_public_is_every_post_the_surge_started_when_the_database_was_read():
    journeys = {"upload_to_public": {"count": 28, "p50_s": 71.8, "p95_s": 151.8}}
    settled = {"started": 111, "public": 111, "not_public": {}, "p50_s": 161.0, "p95_s": 185.6, "max_s": 188.9}
    m, plans = cm.build(SURGE, ASSUMED)

    from_locust = cm.render(SURGE | {"surge": {"journeys": journeys}}, m, ASSUMED, cm.Prices(), plans)
    from_database = cm.render(
        SURGE | {"surge": {"journeys": journeys, "uploads_settled": settled}}, m, ASSUMED, cm.Prices(), plans
    )

    assert "p95 151.8 s over 28 posts" in from_locust
    assert "p50 161.0 s, p95 185.6 s over 111 of the 111 posts started" in from_database


def test_the_mix_splits_the_rate_and_the_surge_multiplies_only_signups_and_uploads():
    mix = Mix()
    base, peak = mix.rates(40), mix.rates(40, 7)

    assert base["anonymous"] + base["signed_in"] == pytest.approx(40)
    assert peak["anonymous"] == base["anonymous"]
    assert peak["newcomer"] == pytest.approx(7 * base["newcomer"])
    assert mix.users(40, 7)["artist"] >= mix.users(40)["artist"]
    schedule = [[0, 1], [10, 1], [20, 7], [30, 7], [31, 1]]
    assert [surge_factor(schedule, t) for t in (5, 15, 25, 40)] == [1, 4, 7, 1]
    assert percentile([5, 1, 4, 2, 3], 50) == 3
    assert percentile([], 95) is None


def test_the_locustfile_imports_with_one_class_per_kind_of_the_mix():
    code = (
        "import json, bench.surge_locust as s; "
        "print(json.dumps(sorted(c.kind for c in (s.AnonymousVisitor, s.SignedInReader, s.Newcomer, s.Artist))))"
    )
    env = os.environ | {"SURGE_RUN": "{}"}
    command = [sys.executable, "-c", code]
    output = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)  # noqa: S603

    assert json.loads(output.stdout.strip().splitlines()[-1]) == sorted(Mix().rates(1.0))
