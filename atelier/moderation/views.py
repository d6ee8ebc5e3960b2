"""Moderation pages: the review queue and cases for moderators; reporting and appealing for everyone
else. Thin views over moderation.selectors (reading) and moderation.services (writing)."""

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from atelier.core.ratelimit import RateLimited, rate_limited_response
from atelier.media.storages import originals_storage
from atelier.moderation import selectors, services
from atelier.moderation.forms import AIReportForm, AppealForm, DecisionForm
from atelier.moderation.models import ProofKind
from atelier.posts.selectors import post_for_page


def _moderator(request):
    if not services.can_review(request.user):
        raise PermissionDenied("Only moderators can open the review queue.")


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", 1)))
    except ValueError:
        return 1


@login_required
def review_queue(request):
    _moderator(request)
    tab = request.GET.get("tab", "open")
    tab = tab if tab in selectors.QUEUE_TABS else "open"
    page = selectors.queue_page(tab=tab, page=_page_number(request))
    return render(request, "moderation/queue.html", {"page": page, "tab": tab})


@login_required
def review_case(request, case_id: int):
    _moderator(request)
    form = DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.case_decide(case_id=case_id, moderator=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Decision saved; the author has been told.")
                return redirect("moderation:queue")
        status = 400
    case = selectors.case_for_review(case_id=case_id)
    return render(request, "moderation/case.html", {"case": case, "post": case.post, "form": form}, status=status)


@login_required
def proof_file(request, file_id: int):
    proof = selectors.proof_file_for(file_id=file_id, viewer=request.user, may_review=services.can_review(request.user))
    storage = originals_storage()
    if not storage.exists(proof.stored_name):
        raise Http404("This file is no longer stored.")
    content_type = mimetypes.guess_type(proof.stored_name)[0] or "application/octet-stream"
    inline = proof.kind != ProofKind.LAYERED and content_type.startswith(("image/", "video/"))
    response = FileResponse(storage.open(proof.stored_name, "rb"), content_type=content_type)
    disposition = "inline" if inline else "attachment"
    extension = proof.stored_name.rsplit(".", 1)[-1]
    response["Content-Disposition"] = f'{disposition}; filename="proof-{proof.pk}.{extension}"'
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'"
    return response


@login_required
@require_POST
def report_ai(request, post_id: int):
    form = AIReportForm(request.POST)
    if not form.is_valid():
        return HttpResponse(
            "Keep the note under 1,000 characters.", status=400, content_type="text/plain; charset=utf-8"
        )
    try:
        services.post_report_ai(post_id=post_id, reporter=request.user, note=form.cleaned_data["note"])
    except PermissionDenied:
        raise Http404("No such post.") from None
    except RateLimited as error:
        return rate_limited_response(error)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(request, "Thank you. A moderator will look at this work; it stays up until they decide.")
    return redirect("posts:detail", post_id=post_id)


@login_required
def appeal(request, post_id: int):
    post = post_for_page(post_id=post_id, viewer=request.user)
    if post.author_id != request.user.pk:
        raise Http404("No such post.")
    case = selectors.case_for_author(post=post, viewer=request.user)
    if case is None:
        raise Http404("This post is not under review.")
    form = AppealForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.appeal_submit(
                    post_id=post.pk,
                    author=request.user,
                    message=form.cleaned_data["message"],
                    uploads=form.cleaned_data["files"],
                )
            except PermissionDenied as error:
                form.add_error(None, str(error))
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Your appeal is with a moderator. You'll be told when they decide.")
                return redirect(post.get_absolute_url() + "#review")
        status = 400
    return render(request, "moderation/appeal.html", {"post": post, "case": case, "form": form}, status=status)
