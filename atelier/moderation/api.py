"""Moderation endpoints of the JSON API (mobile clients): how the review of your own post stands, and
reporting someone else's post as AI-generated. Appeals with files go through the web form."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth

from atelier.core.api_schemas import ErrorOut, error_responses
from atelier.core.ratelimit import RateLimited
from atelier.moderation import selectors, services
from atelier.posts.selectors import post_for_page

router = Router(tags=["moderation"])


class DecisionOut(Schema):
    action: str
    note: str
    decided_at: str


class ReviewOut(Schema):
    held: bool
    reason: str
    status: str | None
    status_label: str | None
    appealed_at: str | None
    can_appeal: bool
    latest_decision: DecisionOut | None


class ReportIn(Schema):
    note: str = ""


class ReportOut(Schema):
    reported: bool
    message: str


@router.get(
    "/posts/{post_id}/review",
    response={200: ReviewOut, **error_responses(401, 404, 422)},
    auth=django_auth,
    summary="The review of your own post",
)
def post_review(request: HttpRequest, post_id: int):
    post = post_for_page(post_id=post_id, viewer=request.user)
    if post.author_id != request.user.pk:
        raise HttpError(404, "No such post.")
    case = selectors.case_for_author(post=post, viewer=request.user)
    decision = case.decisions.all()[0] if case and case.decisions.all() else None
    pending_appeal = bool(case and case.appealed_at and case.status == "open")
    return ReviewOut(
        held=post.is_held,
        reason=post.held_reason,
        status=case.status if case else None,
        status_label=case.get_status_display() if case else None,
        appealed_at=case.appealed_at.isoformat() if case and case.appealed_at else None,
        can_appeal=bool(case and (post.is_held or case.status == "proof") and not pending_appeal),
        latest_decision=DecisionOut(
            action=decision.action, note=decision.note, decided_at=decision.created_at.isoformat()
        )
        if decision
        else None,
    )


@router.post(
    "/posts/{post_id}/ai-report",
    # 400: the report was refused (ReportOut), or the body was not JSON at all (ErrorOut, from ninja).
    response={201: ReportOut, 400: ReportOut | ErrorOut, **error_responses(401, 403, 404, 422, 429)},
    auth=django_auth,
    summary="Report a published post as AI-generated",
)
def report_ai(request: HttpRequest, post_id: int, payload: ReportIn):
    if len(payload.note) > 1000:
        return Status(400, ReportOut(reported=False, message="Keep the note under 1,000 characters."))
    try:
        services.post_report_ai(post_id=post_id, reporter=request.user, note=payload.note)
    except PermissionDenied:
        raise HttpError(404, "No such post.") from None
    except RateLimited as error:
        raise HttpError(429, str(error)) from None
    except ValidationError as error:
        return Status(400, ReportOut(reported=False, message=" ".join(error.messages)))
    return Status(201, ReportOut(reported=True, message="Thank you. A moderator will look at this work."))
