"""Reading moderation: the queue (a fixed number of queries per page) and one case with its evidence."""

from django.core.paginator import Paginator
from django.db.models import Count, F, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from atelier.media.models import MediaItem
from atelier.moderation.models import AIReport, Appeal, CaseStatus, Decision, ProofFile, ReviewCase, Strike

QUEUE_PAGE_SIZE = 30
QUEUE_TABS = {
    "open": (CaseStatus.OPEN,),
    "proof": (CaseStatus.PROOF_REQUESTED,),
    "decided": (CaseStatus.APPROVED, CaseStatus.CONFIRMED_AI),
}


def _strike_count():
    strikes = Strike.objects.filter(user_id=OuterRef("post__author_id")).order_by().values("user_id")
    return Coalesce(Subquery(strikes.annotate(total=Count("pk")).values("total")[:1]), 0)


def queue_page(*, tab: str = "open", page: int = 1):
    """One page of cases: appeals first, then what the detector labelled, then the most reported, then
    the detector's highest scores, oldest first; decided cases newest decision first. Two queries
    (count and page) at any length."""
    cases = (
        ReviewCase.objects.filter(status__in=QUEUE_TABS.get(tab, QUEUE_TABS["open"]))
        .select_related("post__author__profile")
        .annotate(author_strikes=_strike_count())
    )
    if tab == "decided":
        cases = cases.order_by("-decided_at", "-pk")
    else:
        cases = cases.order_by(
            F("appealed_at").desc(nulls_last=True),
            "-labelled",
            "-report_count",
            F("flag_score").desc(nulls_last=True),
            "opened_at",
            "pk",
        )
    return Paginator(cases, QUEUE_PAGE_SIZE).get_page(page)


def case_for_review(*, case_id: int) -> ReviewCase:
    """A case with everything the moderator weighs: the items with each signal's evidence, the
    appeals and their proof, the reports and the decisions so far."""
    items = MediaItem.objects.order_by("position", "pk").select_related("detection_verdict")
    case = (
        ReviewCase.objects.select_related("post__author__profile")
        .annotate(author_strikes=_strike_count())
        .prefetch_related(
            Prefetch("post__items", queryset=items.prefetch_related("detection_evidence")),
            Prefetch(
                "appeals",
                queryset=Appeal.objects.order_by("-created_at").prefetch_related(
                    Prefetch("files", queryset=ProofFile.objects.order_by("pk"))
                ),
            ),
            Prefetch("decisions", queryset=Decision.objects.order_by("-created_at").select_related("moderator")),
        )
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise Http404("No such case.")
    case.recent_reports = list(
        AIReport.objects.filter(post_id=case.post_id).select_related("reporter").order_by("-created_at")[:50]
    )
    return case


def case_for_author(*, post, viewer) -> ReviewCase | None:
    """The review of the viewer's own post, with its latest decision and appeal (None otherwise)."""
    if not viewer.is_authenticated or post.author_id != viewer.pk:
        return None
    return (
        ReviewCase.objects.filter(post=post)
        .prefetch_related(
            Prefetch("decisions", queryset=Decision.objects.order_by("-created_at")),
            Prefetch("appeals", queryset=Appeal.objects.order_by("-created_at").prefetch_related("files")),
        )
        .first()
    )


def proof_file_for(*, file_id: int, viewer, may_review: bool) -> ProofFile:
    """A proof file for a moderator or the author who sent it; 404 for anyone else."""
    proof = ProofFile.objects.select_related("appeal").filter(pk=file_id).first()
    if proof is None or not (may_review or (viewer.is_authenticated and proof.appeal.author_id == viewer.pk)):
        raise Http404("No such file.")
    return proof
