"""Writing jobs, applications, reports and moderation. Every rule of who may do what lives here."""

from datetime import datetime, time

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from atelier.core.email import queue_templated_email
from atelier.core.html import render_user_markdown
from atelier.core.ratelimit import RateLimit, RateLimited
from atelier.jobs.choices import ApplicationStatus, ApplyMethod, JobStatus, LocationMode
from atelier.jobs.models import DEFAULT_LIFETIME, Application, ApplicationPiece, Job, JobReport, ModerationEntry
from atelier.posts.models import Post

REPORTS_PER_HOUR = 10
APPLICATIONS_PER_HOUR = 30


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _require_studio(user) -> None:
    if not user.is_authenticated or not user.is_studio:
        raise PermissionDenied("Only studio accounts can post jobs. Artists can apply to them.")


def _require_owner(job: Job, user) -> None:
    if job.studio_id != getattr(user, "pk", None):
        raise Http404("No such job.")


def _end_of_day(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(23, 59)))


@transaction.atomic
def job_save(*, studio, data: dict, job: Job | None = None) -> Job:
    """Create (job None) or edit a job from a valid JobForm's cleaned data."""
    _require_studio(studio)
    if job is None:
        job = Job(studio=studio)
    else:
        _require_owner(job, studio)
        if job.status == JobStatus.REMOVED:
            raise ValidationError("This job was taken down by the moderators and can't be edited.")
    for name, value in data.items():
        if name != "expires_at":
            setattr(job, name, value)
    job.expires_at = _end_of_day(data["expires_at"])
    job.title = job.title.strip()
    job.description_html = render_user_markdown(job.description)
    # What the form hides doesn't apply, whatever a hidden field still held: no city for a remote
    # job, no link or address for another way to apply, no currency or period without an amount.
    if job.apply_method != ApplyMethod.URL:
        job.apply_url = ""
    if job.apply_method != ApplyMethod.EMAIL:
        job.apply_email = ""
    if job.location_mode == LocationMode.REMOTE:
        job.city = ""
    if job.salary_min is None and job.salary_max is None:
        job.salary_currency, job.salary_period = "", ""
    if job.status == JobStatus.CLOSED and job.expires_at > timezone.now() and job.closed_at is None:
        job.status = JobStatus.OPEN
    job.full_clean(exclude=["studio", "description_html"])
    job.save()
    return job


def job_renew(*, job: Job, user) -> Job:
    """Open the job again for DEFAULT_LIFETIME from now (closed, expired or still open)."""
    _require_owner(job, user)
    if job.status == JobStatus.REMOVED:
        raise ValidationError("This job was taken down by the moderators and can't be renewed.")
    job.expires_at = timezone.now() + DEFAULT_LIFETIME
    job.status, job.closed_at = JobStatus.OPEN, None
    job.save(update_fields=["expires_at", "status", "closed_at", "updated_at"])
    return job


def job_close(*, job: Job, user) -> Job:
    _require_owner(job, user)
    if job.status == JobStatus.OPEN:
        job.status, job.closed_at = JobStatus.CLOSED, timezone.now()
        job.save(update_fields=["status", "closed_at", "updated_at"])
    return job


def jobs_close_expired() -> int:
    """The periodic task: open jobs past their expiry close (their page stays, marked closed)."""
    now = timezone.now()
    return Job.objects.filter(status=JobStatus.OPEN, expires_at__lte=now).update(status=JobStatus.CLOSED, closed_at=now)


@transaction.atomic
def job_take_down(*, job: Job, moderator, reason: str) -> Job:
    if not moderator.is_staff:
        raise PermissionDenied("Only moderators can take jobs down.")
    if not reason.strip():
        raise ValidationError("Say why the job is taken down; the log keeps it.")
    job.status, job.removed_at = JobStatus.REMOVED, timezone.now()
    job.save(update_fields=["status", "removed_at", "updated_at"])
    ModerationEntry.objects.create(job=job, moderator=moderator, action=ModerationEntry.Action.TAKE_DOWN, reason=reason)
    return job


@transaction.atomic
def job_restore(*, job: Job, moderator, reason: str) -> Job:
    if not moderator.is_staff:
        raise PermissionDenied("Only moderators can restore jobs.")
    job.status, job.removed_at = (JobStatus.OPEN if job.expires_at > timezone.now() else JobStatus.CLOSED), None
    job.save(update_fields=["status", "removed_at", "updated_at"])
    ModerationEntry.objects.create(job=job, moderator=moderator, action=ModerationEntry.Action.RESTORE, reason=reason)
    return job


def job_report(*, job: Job, reporter, reason: str, details: str = "") -> JobReport:
    """Anyone signed in may report a job once (a second report updates the first)."""
    if job.studio_id == reporter.pk:
        raise ValidationError("You can't report your own job.")
    limit = RateLimit("job-report", REPORTS_PER_HOUR, 3600)
    if not (decision := limit.check(f"user:{reporter.pk}")).allowed:
        raise RateLimited("You've sent many reports this hour. Try again later.", decision.retry_after)
    report, _ = JobReport.objects.update_or_create(
        job=job, reporter=reporter, defaults={"reason": reason, "details": details.strip()}
    )
    return report


@transaction.atomic
def application_create(*, job: Job, applicant, note: str, post_ids: list[int]) -> Application:
    """Apply on Atelier with 1–10 of one's own published posts and a note."""
    if not applicant.is_authenticated or applicant.is_studio:
        raise PermissionDenied("Studio accounts can't apply to jobs. Switch to an artist account to apply.")
    if job.studio_id == applicant.pk:
        raise PermissionDenied("You can't apply to your own job.")
    if not job.is_open:
        raise ValidationError("This job is closed and no longer takes applications.")
    if job.apply_method != ApplyMethod.SITE:
        raise ValidationError("This studio takes applications elsewhere: see “How to apply”.")
    ids = list(dict.fromkeys(post_ids))
    if not 1 <= len(ids) <= Application.MAX_PIECES:
        raise ValidationError(f"Choose between 1 and {Application.MAX_PIECES} pieces of your work.")
    own = set(Post.objects.public().filter(author=applicant, pk__in=ids).values_list("pk", flat=True))
    if own != set(ids):
        raise ValidationError("You can attach only your own published work.")
    if not note.strip():
        raise ValidationError("Write a short note to the studio.")
    limit = RateLimit("job-apply", APPLICATIONS_PER_HOUR, 3600)
    if not (decision := limit.check(f"user:{applicant.pk}")).allowed:
        raise RateLimited("You've applied to many jobs this hour. Try again later.", decision.retry_after)
    try:
        with transaction.atomic():
            application = Application.objects.create(job=job, applicant=applicant, note=note.strip())
    except IntegrityError:
        raise ValidationError("You have already applied to this job.") from None
    ApplicationPiece.objects.bulk_create(
        ApplicationPiece(application=application, post_id=pk, position=index) for index, pk in enumerate(ids)
    )
    queue_templated_email(
        template="jobs/email/new_application",
        context={
            "job": job,
            "applicant": applicant,
            "inbox_url": _absolute(reverse("jobs:applicants", kwargs={"job_id": job.pk})),
        },
        to=job.studio.email,
    )
    return application


def application_set_status(*, application: Application, studio, status: str) -> Application:
    """The studio marks an applicant new, shortlisted or declined; the artist is told by email."""
    _require_owner(application.job, studio)
    if status not in ApplicationStatus.values:
        raise ValidationError("Unknown status.")
    if application.status != status:
        application.status, application.status_changed_at = status, timezone.now()
        application.save(update_fields=["status", "status_changed_at"])
        if status != ApplicationStatus.NEW:
            queue_templated_email(
                template="jobs/email/status_changed",
                context={
                    "application": application,
                    "job": application.job,
                    "status": application.get_status_display().lower(),
                    "applications_url": _absolute(reverse("jobs:my_applications")),
                },
                to=application.applicant.email,
            )
    return application
