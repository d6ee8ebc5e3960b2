"""Jobs in the JSON API: the open list with the same filters as the page, and one job."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema

from atelier.core.api_schemas import error_responses
from atelier.jobs.choices import JobStatus
from atelier.jobs.forms import JobFilterForm
from atelier.jobs.models import Job
from atelier.jobs.selectors import job_page

router = Router(tags=["jobs"])


class JobFiltersIn(Schema):
    q: str = ""
    discipline: str = ""
    type: str = ""
    seniority: str = ""
    country: str = ""
    remote: bool = False
    pay: bool = False
    sort: str = "newest"
    page: int = 1


class JobOut(Schema):
    id: int
    title: str
    url: str
    studio_handle: str
    studio_name: str
    location_mode: str
    country: str
    city: str
    employment_type: str
    seniority: str
    disciplines: list[str]
    software: list[str]
    pay: str
    salary_min: int | None
    salary_max: int | None
    salary_currency: str
    salary_period: str
    ai_statement: str
    is_open: bool
    created_at: datetime
    expires_at: datetime


class JobDetailOut(JobOut):
    description_html: str
    apply_method: str


class JobPageOut(Schema):
    jobs: list[JobOut]
    page: int
    has_next: bool


def _out(job: Job, detail: bool = False) -> dict:
    data = {
        "id": job.pk,
        "title": job.title,
        "url": job.get_absolute_url(),
        "studio_handle": job.studio.handle,
        "studio_name": job.studio.profile.name,
        "location_mode": job.location_mode,
        "country": job.country.code or "",
        "city": job.city,
        "employment_type": job.employment_type,
        "seniority": job.seniority,
        "disciplines": job.disciplines,
        "software": job.software,
        "pay": job.pay_text,
        "salary_min": job.salary_min,
        "salary_max": job.salary_max,
        "salary_currency": job.salary_currency,
        "salary_period": job.salary_period,
        "ai_statement": job.ai_statement,
        "is_open": job.is_open,
        "created_at": job.created_at,
        "expires_at": job.expires_at,
    }
    if detail:
        data.update(description_html=job.description_html, apply_method=job.apply_method)
    return data


@router.get("/jobs", response={200: JobPageOut, **error_responses(422)})
def list_jobs(request, filters: Query[JobFiltersIn]):
    """Open jobs, filtered like the jobs page; invalid filter values are ignored."""
    raw = filters.dict()
    form = JobFilterForm({key: ("on" if value is True else value) for key, value in raw.items() if value})
    page = job_page(filters=form.filters(), page=raw["page"])
    return {"jobs": [_out(job) for job in page.jobs], "page": page.page, "has_next": page.has_next}


@router.get("/jobs/{job_id}", response={200: JobDetailOut, **error_responses(404, 422)})
def get_job(request, job_id: int):
    job = get_object_or_404(Job.objects.select_related("studio__profile").exclude(status=JobStatus.REMOVED), pk=job_id)
    return _out(job, detail=True)
