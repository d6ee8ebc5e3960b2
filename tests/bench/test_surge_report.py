"""The surge bench's figures from its request log: pages apart from images, uploads and journeys;
429s counted as refusals, not errors (bench/surge_report.py)."""

import pytest

from bench.surge_report import read_log, summarize, timeline

pytestmark = pytest.mark.backend_free  # neither database nor cache: runs once (tests/conftest.py)


def test_summary_splits_pages_images_uploads_refusals_and_journeys(tmp_path):
    log = tmp_path / "surge.log"
    lines = [f"{100 + i * 0.1:.3f},anon:front,{10 + i},200,ok,5000" for i in range(20)]
    lines += ["101.000,anon:post,900.0,500,error,300", "101.500,anon:post,5.0,429,refused,100"]
    lines += ["102.000,image,3.0,200,ok,60000", "102.100,upload:tus_patch,400.0,204,ok,0"]
    lines += ["103.000,upload_to_public,20000.0,0,ok,0", "104.000,upload_to_public,40000.0,0,error,0"]
    log.write_text("\n".join(lines) + "\n")
    rows = read_log(log)

    summary = summarize(rows, 100.0, 110.0)

    assert summary["pages"]["requests"] == 22  # 20 front pages, the failed and the refused post page
    assert summary["pages"]["errors"] == 1 and summary["pages"]["refused_by_budgets"] == 1
    assert summary["pages"]["p50_ms"] == 20.0  # refusals leave the percentiles; 21 timings, the 11th
    assert summary["pages"]["p99_ms"] == 900.0
    assert summary["classes"]["anon:post"]["error_statuses"] == {"500": 1}
    assert summary["images"] == summary["classes"]["image"] and summary["images"]["mean_bytes"] == 60000
    assert summary["upload_requests"]["requests"] == 1
    assert summary["journeys"]["upload_to_public"] == {
        "count": 2,
        "failed": 1,
        "p50_s": 20.0,
        "p95_s": 20.0,
        "max_s": 20.0,
    }
    points = timeline(rows, 100.0, 110.0, 5.0)
    assert [p["pages_per_s"] for p in points] == [4.2, 0.0]  # 21 timed pages in the first 5 s
    assert points[0]["errors"] == 1
