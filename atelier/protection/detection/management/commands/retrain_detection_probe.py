"""`manage.py retrain_detection_probe`: fit a logistic-regression probe on the CLIP embeddings of work
moderators decided (approved = made by a person, confirmed = AI-generated), print its cross-validated
AUC next to the shipped head's on the same examples, and adopt it only when it is better."""

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from atelier.moderation.models import CaseStatus, ReviewCase
from atelier.protection.detection import probe
from atelier.protection.detection.models import DetectionProbe, ItemEmbedding, ItemVerdict, Verdict

MIN_PER_CLASS = 10
BACKGROUND = 5000  # recent undecided uploads the probe must not hide (probe.compare)


def undecided_background() -> np.ndarray:
    """Embeddings of the most recent items nothing flagged (verdict human, no review case)."""
    items = ItemVerdict.objects.filter(verdict=Verdict.HUMAN, item__post__review_case__isnull=True).values("item_id")
    rows = (ItemEmbedding.objects.filter(item_id__in=items).order_by("-created_at").values_list("vector", flat=True))[
        :BACKGROUND
    ]
    vectors = [np.frombuffer(bytes(vector), dtype=np.float32) for vector in rows]
    return np.stack(vectors) if vectors else np.zeros((0, 512), dtype=np.float32)


def decided_examples() -> tuple[np.ndarray, np.ndarray]:
    """(embeddings, labels) of every item of every post a moderator approved or confirmed as AI."""
    label_of = dict(
        ReviewCase.objects.filter(status__in=[CaseStatus.APPROVED, CaseStatus.CONFIRMED_AI]).values_list(
            "post_id", "status"
        )
    )
    rows = ItemEmbedding.objects.filter(item__post_id__in=list(label_of)).values_list("item__post_id", "vector")
    embeddings, labels = [], []
    for post_id, vector in rows.iterator():
        embeddings.append(np.frombuffer(bytes(vector), dtype=np.float32))
        labels.append(1 if label_of[post_id] == CaseStatus.CONFIRMED_AI else 0)
    if not embeddings:
        return np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=int)
    return np.stack(embeddings), np.array(labels, dtype=int)


class Command(BaseCommand):
    help = "Retrain the AI-image probe on moderators' decisions; adopt it when it beats the shipped head."

    def add_arguments(self, parser):
        parser.add_argument("--folds", type=int, default=5)

    def handle(self, *args, folds: int, **options):
        embeddings, labels = decided_examples()
        ai, human = int(labels.sum()), int((labels == 0).sum())
        if min(ai, human) < max(MIN_PER_CLASS, folds):
            raise CommandError(
                f"Not enough decisions to train on: {human} human and {ai} AI-generated examples; "
                f"at least {max(MIN_PER_CLASS, folds)} of each are needed."
            )
        background = undecided_background()
        result = probe.compare(embeddings, labels, k=folds, background=background)
        fit = result["probe"]
        adopt = bool(result["adopt"])
        with transaction.atomic():
            if adopt:
                DetectionProbe.objects.filter(adopted=True).update(adopted=False)
            row = DetectionProbe.objects.create(
                coef=np.asarray(fit.coef, dtype=np.float32).tobytes(),
                intercept=float(fit.intercept),
                threshold=float(fit.threshold),
                hold_threshold=float(fit.hold_threshold),
                cv_auc=float(fit.cv_auc),
                head_auc=float(result["head_auc"]),
                samples=len(labels),
                adopted=adopt,
            )
        hidden = result["background_hold_rate"]
        self.stdout.write(
            f"{len(labels)} examples ({human} human, {ai} AI-generated), {folds}-fold cross-validation\n"
            f"retrained probe AUC {fit.cv_auc:.4f}   shipped head AUC {result['head_auc']:.4f}\n"
            + (
                f"it would hide {hidden:.2%} of {len(background)} recent undecided uploads "
                f"(at most {probe.MAX_BACKGROUND_HOLD:.0%} allowed)\n"
                if hidden is not None
                else "no recent undecided uploads to check it against: not adopted\n"
            )
            + (
                f"Adopted probe {row.pk}: new uploads are scored with it (review threshold {fit.threshold:.4f}, "
                f"hold threshold {fit.hold_threshold:.4f})."
                if adopt
                else "Kept the shipped head: the probe did not beat it safely."
            )
        )
