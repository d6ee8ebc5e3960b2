"""From the locustfile's request log to figures: percentiles per page class, journeys, a timeline of
p95 per group and the queue backlog, and the plot bench/results/surge.png."""

from pathlib import Path

from bench.surge_mix import percentile

# Page requests (the goals' "pages"); tus transfers and attaching a file are upload requests, and
# images are the edge's, each reported on its own.
UPLOAD_REQUESTS = ("upload:tus_create", "upload:tus_patch", "upload:media_add")
GROUPS = {"anonymous": "anon:", "signed in": "in:", "sign-up": "signup:", "artist": "upload:"}


def read_log(path: Path) -> list[tuple[float, str, float, int, str, int]]:
    """(time, name, ms, status, outcome, bytes) per request the locustfile logged."""
    rows = []
    if not path.exists():
        return rows
    for line in path.read_text().splitlines():
        t, name, ms, status, outcome, size = line.split(",")
        rows.append((float(t), name, float(ms), int(status), outcome, int(size)))
    return rows


def is_page(name: str) -> bool:
    return name.split(":")[0] in ("anon", "in", "signup", "upload") and name not in UPLOAD_REQUESTS


def figures(rows: list, seconds: float | None = None) -> dict:
    times = [r[2] for r in rows if r[4] != "refused"]
    out = {
        "requests": len(rows),
        "p50_ms": _round(percentile(times, 50)),
        "p95_ms": _round(percentile(times, 95)),
        "p99_ms": _round(percentile(times, 99)),
        "errors": sum(r[4] == "error" for r in rows),
        "refused_by_budgets": sum(r[4] == "refused" for r in rows),
    }
    if seconds:
        out["rps"] = round(len(rows) / seconds, 2)
    if rows:
        out["mean_bytes"] = round(sum(r[5] for r in rows) / len(rows))
    errors = {}
    for r in rows:
        if r[4] == "error":
            errors[str(r[3])] = errors.get(str(r[3]), 0) + 1
    if errors:
        out["error_statuses"] = errors
    return out


def summarize(rows: list, start: float, end: float) -> dict:
    """Per request name, per page group, all pages together, images, upload requests and journeys."""
    rows = [r for r in rows if start <= r[0] <= end]
    # From the first request: locust takes a few seconds to start, which is not the site's time.
    seconds = max(1.0, end - max(start, min((r[0] - r[2] / 1000 for r in rows), default=start)))
    requests = [r for r in rows if not r[1].endswith("_to_public") and not r[1].endswith("_to_confirmed")]
    names = sorted({r[1] for r in requests})
    pages = [r for r in requests if is_page(r[1])]
    out = {
        "seconds": round(seconds, 1),
        "classes": {name: figures([r for r in requests if r[1] == name], seconds) for name in names},
        "groups": {
            group: figures([r for r in pages if r[1].startswith(prefix)], seconds) for group, prefix in GROUPS.items()
        },
        "pages": figures(pages, seconds),
        "images": figures([r for r in requests if r[1] == "image"], seconds),
        "upload_requests": figures([r for r in requests if r[1] in UPLOAD_REQUESTS], seconds),
        "journeys": {},
    }
    for name in ("upload_to_public", "publish_to_public", "signup_to_confirmed"):
        done = [r for r in rows if r[1] == name]
        ok = [r[2] / 1000 for r in done if r[4] == "ok"]
        out["journeys"][name] = {
            "count": len(done),
            "failed": len(done) - len(ok),
            "p50_s": _round(percentile(ok, 50)),
            "p95_s": _round(percentile(ok, 95)),
            "max_s": _round(max(ok) if ok else None),
        }
    return out


def timeline(rows: list, start: float, end: float, bucket: float) -> list[dict]:
    points = []
    t = start
    while t < end:
        inside = [r for r in rows if t <= r[0] < t + bucket and is_page(r[1]) and r[4] != "refused"]
        point = {"t": round(t - start, 1), "pages_per_s": round(len(inside) / bucket, 2)}
        for group, prefix in GROUPS.items():
            point[group] = _round(percentile([r[2] for r in inside if r[1].startswith(prefix)], 95))
        point["errors"] = sum(r[4] == "error" for r in inside)
        points.append(point)
        t += bucket
    return points


def plot(path: Path, points: list[dict], queues: list[dict], start: float, marks: dict[str, float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (top, bottom) = plt.subplots(2, 1, figsize=(11, 8), sharex=True)
    xs = [p["t"] for p in points]
    for group in GROUPS:
        top.plot(xs, [p[group] for p in points], marker=".", label=f"p95 {group}")
    top.axhline(200, color="grey", linestyle=":", label="200 ms (base-rate goal)")
    top.axhline(500, color="grey", linestyle="--", label="500 ms (surge goal)")
    top.set_ylabel("p95 per 10 s (ms)")
    top.set_yscale("log")
    top.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), fontsize=8, ncol=6, frameon=False)
    qx = [q["t"] - start for q in queues]
    for name in ("media", "detection", "default", "posts_checking"):
        bottom.plot(qx, [q[name] for q in queues], label=name.replace("_", " "))
    bottom.set_ylabel("queued tasks / posts checking")
    bottom.set_xlabel("seconds into the surge run")
    bottom.legend(loc="upper left", fontsize=8)
    if queues and "cpu_busy" in queues[0]:
        busy = bottom.twinx()
        busy.plot(qx, [100 * q["cpu_busy"] for q in queues], color="black", alpha=0.35, label="CPU busy (whole box)")
        busy.set_ylim(0, 105)
        busy.set_ylabel("CPU busy, % of 2 cores")
        busy.legend(loc="upper right", fontsize=8)
    for axis in (top, bottom):
        for label, at in marks.items():
            axis.axvline(at, color="red", alpha=0.4)
            if axis is top:
                axis.annotate(
                    f" {label}", (at, 0.02), xycoords=("data", "axes fraction"), fontsize=8, va="bottom", rotation=90
                )
    top.set_title("Atelier surge: sign-ups and uploads 1× → 7× while browsing continues (2-core box)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _round(value):
    return None if value is None else round(value, 1)
