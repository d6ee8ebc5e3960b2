"""Reading jobs and applications for pages, each list in a fixed number of queries.

The list shows open jobs only (`JobQuerySet.open`). A job page stays reachable after it closes,
marked closed; a job the moderators took down is visible only to its studio and to staff.
Applications are visible only to the applicant and to the studio that posted the job.
"""

from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Prefetch, Q
from django.http import Http404

from atelier.accounts.models import ProfileImage
from atelier.jobs.choices import JobStatus, LocationMode
from atelier.jobs.models import Application, ApplicationPiece, Job
from atelier.posts.models import Post

PAGE_SIZE = 20
MAX_PAGE = 50
FEED_SIZE = 50


@dataclass
class JobPage:
    jobs: list[Job]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _with_studio(jobs):
    return jobs.select_related("studio__profile").prefetch_related(
        Prefetch("studio__profile__images", queryset=ProfileImage.objects.order_by("kind"))
    )


def jobs_matching(filters: dict):
    """Open jobs matching a JobFilterForm's filters, in the chosen order."""
    jobs = Job.objects.open()
    if filters.get("discipline"):
        # JSON containment is not on SQLite; the codes are plain words, so a quoted substring is exact.
        jobs = jobs.filter(disciplines__icontains=f'"{filters["discipline"]}"')
    if filters.get("type"):
        jobs = jobs.filter(employment_type=filters["type"])
    if filters.get("seniority"):
        jobs = jobs.filter(seniority=filters["seniority"])
    if filters.get("country"):
        jobs = jobs.filter(country=filters["country"])
    if filters.get("remote"):
        jobs = jobs.filter(location_mode=LocationMode.REMOTE)
    if filters.get("pay"):
        jobs = jobs.filter(Q(salary_min__isnull=False) | Q(salary_max__isnull=False))
    query = (filters.get("q") or "").strip()
    if query:
        if connection.vendor == "postgresql":
            vector = SearchVector("title", weight="A", config="english") + SearchVector(
                "description", weight="B", config="english"
            )
            jobs = jobs.annotate(document=vector).filter(
                document=SearchQuery(query, search_type="websearch", config="english")
            )
        else:
            jobs = jobs.filter(Q(title__icontains=query) | Q(description__icontains=query))
    if filters.get("sort") == "closing":
        return jobs.order_by("expires_at", "pk")
    return jobs.order_by("-created_at", "-pk")


def job_page(*, filters: dict, page: int = 1) -> JobPage:
    page = min(max(page, 1), MAX_PAGE)
    start = (page - 1) * PAGE_SIZE
    rows = list(_with_studio(jobs_matching(filters))[start : start + PAGE_SIZE + 1])
    return JobPage(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE)


def jobs_for_feed(filters: dict) -> list[Job]:
    return list(jobs_matching({**filters, "sort": "newest"}).select_related("studio__profile")[:FEED_SIZE])


def job_for_viewer(*, job_id: int, viewer) -> Job:
    """The job page: open or closed for everyone; taken down only for its studio and staff (404 else)."""
    job = _with_studio(Job.objects.filter(pk=job_id)).first()
    if job is None:
        raise Http404("No such job.")
    if job.status == JobStatus.REMOVED and not (
        viewer.is_authenticated and (viewer.is_staff or viewer.pk == job.studio_id)
    ):
        raise Http404("No such job.")
    return job


def studio_jobs(*, studio) -> list[Job]:
    return list(Job.objects.filter(studio=studio).order_by("-created_at", "-pk"))


def _pieces_prefetch() -> Prefetch:
    """Each application's pieces that are still published and visible, with their posts."""
    visible = ApplicationPiece.objects.filter(post__in=Post.objects.public()).select_related("post")
    return Prefetch("pieces", queryset=visible.order_by("position", "pk"))


def applicant_inbox(*, job: Job, studio) -> list[Application]:
    """Every application to `job`, newest first, with the applicant's profile and pieces: four
    queries whatever their number. Only the job's studio may read it (404 for anyone else)."""
    if job.studio_id != getattr(studio, "pk", None):
        raise Http404("No such job.")
    return list(
        Application.objects.filter(job=job)
        .select_related("applicant__profile")
        .prefetch_related(
            Prefetch("applicant__profile__images", queryset=ProfileImage.objects.order_by("kind")),
            _pieces_prefetch(),
        )
        .order_by("-created_at", "-pk")
    )


def application_for_studio(*, job: Job, application_id: int, studio) -> Application:
    if job.studio_id != getattr(studio, "pk", None):
        raise Http404("No such job.")
    application = Application.objects.filter(job=job, pk=application_id).select_related("applicant", "job").first()
    if application is None:
        raise Http404("No such application.")
    return application


def applications_of(*, applicant) -> list[Application]:
    """An artist's applications with each job and its studio, newest first (three queries)."""
    return list(
        Application.objects.filter(applicant=applicant)
        .select_related("job__studio__profile")
        .prefetch_related(_pieces_prefetch())
        .order_by("-created_at", "-pk")
    )


def application_of(*, job: Job, applicant) -> Application | None:
    if not applicant.is_authenticated:
        return None
    return Application.objects.filter(job=job, applicant=applicant).first()


def portfolio_for_application(*, artist) -> list[Post]:
    """The artist's own published work they may attach (newest first)."""
    return list(Post.objects.public().filter(author=artist).order_by("-published_at", "-pk")[:200])
