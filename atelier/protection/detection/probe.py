"""A logistic-regression probe on CLIP embeddings, retrained from moderators' decisions.

Pure numpy (Newton steps with an L2 penalty: 513 unknowns, so each step is one small solve). The
site adopts a probe only when its k-fold cross-validated AUC beats the shipped head's AUC on the same
labelled embeddings (`compare`), so a probe fitted on a few dozen decisions cannot replace a head
fitted on a benchmark by luck. Labels: 1 = AI-generated, 0 = made by a person.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

MAX_FPR = 0.03  # the review threshold allows this share of human work queued, like the shipped head's
MAX_HOLD_FPR = 0.005  # the hold threshold: at most this share of human work hidden (the policy's 1 %, halved)


@dataclass
class ProbeFit:
    coef: np.ndarray
    intercept: float
    cv_auc: float
    threshold: float  # on out-of-fold scores: at most MAX_FPR of the human examples above it
    hold_threshold: float  # likewise at MAX_HOLD_FPR
    folds: int
    counts: dict = field(default_factory=dict)


def auc(scores, labels) -> float:
    """Area under the ROC curve: the chance a random AI example outscores a random human one (ties
    count half), by ranks (Mann–Whitney U)."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels).astype(bool)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if not positives or not negatives:
        raise ValueError("AUC needs both AI and human examples")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = scores[order]
    # Average ranks over ties.
    boundaries = np.flatnonzero(np.diff(sorted_scores)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(scores)]))
    for start, end in zip(starts, ends, strict=True):
        ranks[order[start:end]] = (start + end + 1) / 2
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60.0, 60.0)))


def fit_logistic(x, y, *, l2: float = 1.0, iterations: int = 50) -> tuple[np.ndarray, float]:
    """(coef, intercept) minimising log-loss + l2/2·|coef|² (the intercept is not penalised)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    design = np.hstack([x, np.ones((len(x), 1))])
    penalty = np.full(design.shape[1], l2)
    penalty[-1] = 0.0
    weights = np.zeros(design.shape[1])
    for _ in range(iterations):
        p = _sigmoid(design @ weights)
        gradient = design.T @ (p - y) + penalty * weights
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return weights[:-1].astype(np.float32), float(weights[-1])


def _folds(y: np.ndarray, k: int, seed: int) -> list[np.ndarray]:
    """Stratified: each fold gets its share of both classes."""
    rng = np.random.default_rng(seed)
    folds = [[] for _ in range(k)]
    for label in (0, 1):
        members = rng.permutation(np.flatnonzero(y == label))
        for index, chunk in enumerate(np.array_split(members, k)):
            folds[index].extend(chunk.tolist())
    return [np.array(sorted(fold), dtype=int) for fold in folds]


def out_of_fold_scores(x, y, *, k: int = 5, l2: float = 1.0, seed: int = 0) -> np.ndarray:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y).astype(int)
    if min(int((y == 0).sum()), int((y == 1).sum())) < k:
        raise ValueError(f"{k}-fold cross-validation needs at least {k} examples of each class")
    scores = np.empty(len(y))
    for held in _folds(y, k, seed):
        train = np.setdiff1d(np.arange(len(y)), held)
        coef, intercept = fit_logistic(x[train], y[train], l2=l2)
        scores[held] = _sigmoid(x[held] @ coef + intercept)
    return scores


def _threshold(scores: np.ndarray, y: np.ndarray, max_fpr: float = MAX_FPR) -> float:
    human = np.sort(scores[y == 0])
    allowed = int(np.floor(max_fpr * len(human)))
    # Just above the human score that would be the (allowed+1)-th false flag.
    return float(np.nextafter(human[len(human) - 1 - allowed], np.inf)) if len(human) else 0.5


def train_probe(embeddings, labels, *, k: int = 5, l2: float = 1.0, seed: int = 0) -> ProbeFit:
    """A probe fitted on all the examples, with its k-fold cross-validated AUC and review threshold."""
    x, y = np.asarray(embeddings, dtype=np.float64), np.asarray(labels).astype(int)
    oof = out_of_fold_scores(x, y, k=k, l2=l2, seed=seed)
    coef, intercept = fit_logistic(x, y, l2=l2)
    counts = {"ai": int((y == 1).sum()), "human": int((y == 0).sum())}
    hold = _threshold(oof, y, MAX_HOLD_FPR)
    return ProbeFit(coef, intercept, auc(oof, y), _threshold(oof, y), hold, k, counts)


def head_auc(embeddings, labels, head=None) -> float:
    """The shipped head's AUC on the same labelled embeddings (it is fixed, so no folds are needed)."""
    from atelier.protection.detection import classifier

    head = head or classifier.shipped_head()
    scores = [head.score(np.asarray(embedding, dtype=np.float32))[0] for embedding in embeddings]
    return auc(scores, labels)


MAX_BACKGROUND_HOLD = 0.01  # the policy's budget: share of undecided recent uploads a probe may hide


def background_hold_rate(fit: ProbeFit, background) -> float | None:
    """The share of `background` embeddings (recent uploads nobody flagged, nearly all human) that the
    probe would hide."""
    background = np.asarray(background, dtype=np.float64)
    if not len(background):
        return None
    scores = _sigmoid(background @ np.asarray(fit.coef, dtype=np.float64) + fit.intercept)
    return float((scores >= fit.hold_threshold).mean())


def compare(embeddings, labels, *, k: int = 5, head=None, background=None) -> dict:
    """Both AUCs and whether the site should switch to the retrained probe.

    Decisions are a biased sample: moderators see what the head already scored high. A probe fitted on
    them can beat the head on those very cases and still hide ordinary work it never saw (measured:
    38 % of the human corpus, bench/results/detection_eval.json). So it is adopted only when it also
    hides at most MAX_BACKGROUND_HOLD of `background`, the embeddings of recent undecided uploads."""
    fit = train_probe(embeddings, labels, k=k)
    shipped = head_auc(embeddings, labels, head)
    hidden = background_hold_rate(fit, background) if background is not None else None
    safe = hidden is not None and hidden <= MAX_BACKGROUND_HOLD
    return {"probe": fit, "probe_cv_auc": fit.cv_auc, "head_auc": shipped, "background_hold_rate": hidden,
            "adopt": fit.cv_auc > shipped and safe}  # fmt: skip


def save_probe(fit: ProbeFit, path, *, head_auc_value: float | None = None, name: str = "") -> Path:
    """Written in the format classifier.load_probe reads."""
    path = Path(path)
    path.write_text(
        json.dumps(
            {
                "name": name or f"probe {datetime.now(UTC):%Y-%m-%d}",
                "coef": [round(float(value), 7) for value in fit.coef],
                "intercept": fit.intercept,
                "threshold": fit.threshold,
                "hold_threshold": fit.hold_threshold,
                "cv_auc": fit.cv_auc,
                "head_auc": head_auc_value,
                "folds": fit.folds,
                "counts": fit.counts,
                "trained_at": datetime.now(UTC).isoformat(),
            }
        )
    )
    return path
