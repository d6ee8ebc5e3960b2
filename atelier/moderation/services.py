"""Writing moderation: opening cases, reports, appeals with process proof, and decisions.

Who may do what is decided here. Every decision is logged (`Decision`) and told to the author in
the same transaction, so a rolled-back decision leaves neither a log line nor a notification.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from atelier.core.ratelimit import RateLimit, RateLimited
from atelier.media.intake import upload_as_local_path
from atelier.media.storages import delete_stored_files
from atelier.moderation import proofs
from atelier.moderation.models import (
    Action,
    AIReport,
    Appeal,
    CaseStatus,
    Decision,
    ProofFile,
    ReviewCase,
    Strike,
)
from atelier.notifications.models import Verb
from atelier.notifications.services import notify_review
from atelier.posts import media_checks, visibility
from atelier.posts.models import Post, PostState

REVIEW_PERMISSION = "moderation.review_case"
_DECISION_VERBS = {
    Action.APPROVE: Verb.APPROVED,
    Action.CONFIRM_AI: Verb.CONFIRMED_AI,
    Action.REQUEST_PROOF: Verb.PROOF_REQUESTED,
    Action.TAKE_DOWN: Verb.TAKEN_DOWN,
}
_DECISION_STATUS = {
    Action.APPROVE: CaseStatus.APPROVED,
    Action.CONFIRM_AI: CaseStatus.CONFIRMED_AI,
    Action.REQUEST_PROOF: CaseStatus.PROOF_REQUESTED,
    Action.TAKE_DOWN: CaseStatus.TAKEN_DOWN,
}


def can_review(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(REVIEW_PERMISSION))


def case_open_from_detection(*, post: Post, reason: str, labelled: bool, flag_score: float | None = None) -> ReviewCase:
    """The detector's check holds an item of `post` (the hold itself is the check's, through
    posts.media_checks): put it in the queue with why, and tell its author once per opening.

    A post a moderator already approved is not held again for the same kind of evidence: the
    caller checks `approved_by_moderator` first (see protection.detection.services)."""
    with transaction.atomic():
        case, created = ReviewCase.objects.select_for_update().get_or_create(post=post)
        newly_open = created or not case.is_pending
        case.labelled = case.labelled or labelled
        if flag_score is not None:
            case.flag_score = max(case.flag_score or 0.0, flag_score)
        case.detection_reason = reason
        if not case.is_pending:
            case.status, case.opened_at, case.decided_at = CaseStatus.OPEN, timezone.now(), None
        case.save()
        if newly_open:
            notify_review(post=post, verb=Verb.HELD, note=reason)
    return case


def case_queue_from_detection(*, post: Post, reason: str, flag_score: float | None) -> ReviewCase:
    """A detector's score put `post` in the review band: queue it, ranked by the score, WITHOUT hiding
    it or telling its author (nothing has happened to their work yet). A case already open keeps its
    other reasons; the highest score wins. Evidence without a score (a watermark read only in its
    "likely" band) queues the case unranked, or leaves the score it has."""
    with transaction.atomic():
        case, _ = ReviewCase.objects.select_for_update().get_or_create(post=post)
        if flag_score is not None:
            case.flag_score = max(case.flag_score or 0.0, flag_score)
        case.detection_reason = case.detection_reason or reason
        if not case.is_pending:
            case.status, case.opened_at, case.decided_at = CaseStatus.OPEN, timezone.now(), None
        case.save()
    return case


def case_open_unchecked(*, post: Post, reason: str) -> ReviewCase:
    """The AI check of `post` could not run through its whole retry budget (protection.detection.sweep):
    a person checks the work by hand. The post stays private (checking) meanwhile; its author is told
    once per opening that the check failed, that it is still retried and that a moderator will look."""
    with transaction.atomic():
        case, created = ReviewCase.objects.select_for_update().get_or_create(post=post)
        newly_open = created or not case.is_pending
        case.detection_reason = reason
        if not case.is_pending:
            case.status, case.opened_at, case.decided_at = CaseStatus.OPEN, timezone.now(), None
        case.save()
        if newly_open:
            notify_review(post=post, verb=Verb.UNCHECKED, note=reason)
    return case


def approved_by_moderator(post_id: int) -> bool:
    return ReviewCase.objects.filter(post_id=post_id, status=CaseStatus.APPROVED).exists()


def post_report_ai(*, post_id: int, reporter, note: str = "") -> AIReport:
    """Anyone signed in who can see a published post may report it as AI-generated, once.

    The post stays up until a moderator decides; the report joins (or re-opens) its case."""
    post = Post.objects.visible_to(reporter).filter(pk=post_id).first()
    if post is None or not post.is_public:
        raise PermissionDenied("You can only report published work you can see.")
    if post.author_id == reporter.pk:
        raise ValidationError("You can't report your own work.")
    limit = RateLimit("ai-report", settings.AI_REPORTS_PER_HOUR, 3600)
    if not (decision := limit.check(f"user:{reporter.pk}")).allowed:
        raise RateLimited("You've sent many reports this hour. Thank you — try again later.", decision.retry_after)
    try:
        with transaction.atomic():
            report = AIReport.objects.create(post=post, reporter=reporter, note=note.strip()[:1000])
            case, _ = ReviewCase.objects.select_for_update().get_or_create(post=post)
            case.report_count = F("report_count") + 1
            if not case.is_pending:
                case.status, case.opened_at, case.decided_at = CaseStatus.OPEN, timezone.now(), None
            case.save()
    except IntegrityError:
        raise ValidationError("You've already reported this work. A moderator will look at it.") from None
    return report


def appeal_submit(*, post_id: int, author, message: str, uploads=()) -> Appeal:
    """The author of a held post asks a moderator to look again, with optional process proof.

    Every file is checked before anything is stored, so a refused file loses nothing: the form
    comes back with the message the author typed and says which file was refused and why."""
    case = (
        ReviewCase.objects.filter(post_id=post_id, post__author=author)
        .exclude(post__state=PostState.TAKEN_DOWN)
        .first()
    )
    if case is None or (not case.post.is_held and case.status != CaseStatus.PROOF_REQUESTED):
        raise PermissionDenied("Only the author of a held post can appeal.")
    if case.status == CaseStatus.OPEN and case.appealed_at:
        raise ValidationError("Your appeal is already with a moderator. You'll be told when they decide.")
    message = message.strip()
    if not message:
        raise ValidationError("Tell the moderator how you made this work.")
    uploads = list(uploads)
    if len(uploads) > settings.MODERATION_PROOF_MAX_FILES:
        raise ValidationError(f"Attach up to {settings.MODERATION_PROOF_MAX_FILES} files.")
    stored: list[tuple[proofs.CheckedProof, str]] = []
    try:
        for upload in uploads:
            with upload_as_local_path(upload) as path:
                try:
                    checked = proofs.check_proof_file(path)
                except ValidationError as error:
                    raise ValidationError(f"{upload.name}: {' '.join(error.messages)}") from None
                stored.append((checked, proofs.store_proof(case_id=case.pk, path=path, checked=checked)))
        with transaction.atomic():
            appeal = Appeal.objects.create(case=case, author=author, message=message)
            ProofFile.objects.bulk_create(
                ProofFile(appeal=appeal, kind=checked.kind, format=checked.format, stored_name=name, size=checked.size)
                for checked, name in stored
            )
            ReviewCase.objects.filter(pk=case.pk).update(
                status=CaseStatus.OPEN, appealed_at=timezone.now(), decided_at=None
            )
    except BaseException:
        delete_stored_files([], [name for _, name in stored])
        raise
    return appeal


def case_decide(*, case_id: int, moderator, action: str, note: str, strike: bool = False) -> Decision:
    """A moderator's decision: approve (publish), confirm AI (hidden; optional strike), ask for proof,
    or take down (a repost of someone else's work)."""
    if not can_review(moderator):
        raise PermissionDenied("Only moderators can decide cases.")
    if action not in Action.values:
        raise ValidationError("Choose approve, confirm AI-generated, ask for process proof, or take down.")
    note = note.strip()
    if not note:
        raise ValidationError("Say why: the author reads this.")
    if strike and action != Action.CONFIRM_AI:
        raise ValidationError("A strike goes only with a confirmed AI-generated decision.")
    with transaction.atomic():
        case = ReviewCase.objects.select_for_update().select_related("post__author").filter(pk=case_id).first()
        if case is None:
            raise ValidationError("This case no longer exists.")
        post = case.post
        if post.author_id == moderator.pk:
            raise PermissionDenied("You can't decide a case about your own work.")
        decision = Decision.objects.create(case=case, moderator=moderator, action=action, note=note, strike=strike)
        if strike:
            Strike.objects.create(user=post.author, decision=decision)
        if action == Action.APPROVE:
            # The checks the moderator reviewed let the work through; the gate decides the rest.
            media_checks.post_checks_cleared_by_moderator(post_id=post.pk)
            if post.is_held:
                visibility.release(post_id=post.pk, actor=moderator, note=note)
            elif post.is_checking:
                visibility.refresh(post.pk)  # a check that could not run, cleared by hand
        elif action == Action.CONFIRM_AI:
            reason = f"A moderator confirmed this work as AI-generated: {note}"
            media_checks.post_checks_said_ai_by_moderator(post_id=post.pk, reason=reason)
            visibility.hold(post_id=post.pk, reason=reason, actor=moderator, restate=True)
        elif action == Action.TAKE_DOWN:
            # A repost of someone else's work (protection.theft shows both in the case): gone for good.
            visibility.take_down(post_id=post.pk, actor=moderator, reason=f"Taken down by a moderator: {note}")
        elif post.is_held:
            visibility.hold(
                post_id=post.pk, reason=f"A moderator asks for process proof: {note}", actor=moderator, restate=True
            )
        case.status = _DECISION_STATUS[action]
        case.decided_at = timezone.now()
        case.save(update_fields=["status", "decided_at"])
        post.refresh_from_db()
        notify_review(post=post, verb=_DECISION_VERBS[action], note=note)
    return decision
