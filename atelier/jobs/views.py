"""Jobs pages: thin views over jobs.selectors (reading) and jobs.services (writing)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from atelier.core.ratelimit import rate_limited_response
from atelier.jobs import selectors, services
from atelier.jobs.alerts import saved_search_url
from atelier.jobs.choices import ApplicationStatus, ApplyMethod
from atelier.jobs.forms import ApplicationForm, JobFilterForm, JobForm, ReportForm, SavedSearchForm
from atelier.jobs.models import Job, SavedSearch

MAX_SAVED_SEARCHES = 20


def _page_number(request) -> int:
    try:
        return int(request.GET.get("page", 1))
    except ValueError:
        return 1


# --- the list, a job, the feed, saved searches


def job_list(request):
    form = JobFilterForm(request.GET)
    filters = form.filters()
    page = selectors.job_page(filters=filters, page=_page_number(request))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "filtered": bool(filters)}
    return render(request, "jobs/list.html", context)


def job_detail(request, job_id: int):
    job = selectors.job_for_viewer(job_id=job_id, viewer=request.user)
    context = {
        "job": job,
        "owner": request.user.is_authenticated and request.user.pk == job.studio_id,
        "application": selectors.application_of(job=job, applicant=request.user),
        "report_form": ReportForm(),
    }
    return render(request, "jobs/detail.html", context)


@login_required
def saved_searches(request):
    searches = SavedSearch.objects.filter(user=request.user)
    if request.method == "POST":
        form = SavedSearchForm(request.POST)
        filters = JobFilterForm(request.POST).filters()
        filters.pop("sort", None)
        if not form.is_valid():
            return render(request, "jobs/saved_searches.html", {"searches": searches, "form": form}, status=400)
        if searches.count() >= MAX_SAVED_SEARCHES:
            messages.error(request, f"You can keep at most {MAX_SAVED_SEARCHES} saved searches. Delete one first.")
            return render(request, "jobs/saved_searches.html", {"searches": searches, "form": form}, status=400)
        SavedSearch.objects.create(user=request.user, name=form.cleaned_data["name"], query=filters)
        messages.success(request, "Search saved. New jobs that match will be emailed to you once a day.")
        return redirect("jobs:saved_searches")
    rows = [(search, saved_search_url(search)) for search in searches]
    return render(request, "jobs/saved_searches.html", {"rows": rows, "form": SavedSearchForm()})


@login_required
@require_POST
def saved_search_delete(request, search_id: int):
    get_object_or_404(SavedSearch, pk=search_id, user=request.user).delete()
    messages.success(request, "Saved search deleted.")
    return redirect("jobs:saved_searches")


# --- studios: posting and managing jobs


@login_required
def job_new(request):
    if not request.user.is_studio:
        return render(request, "jobs/studio_only.html", status=403)
    return _job_form(request, job=None)


@login_required
def job_edit(request, job_id: int):
    job = get_object_or_404(Job, pk=job_id, studio=request.user)
    return _job_form(request, job=job)


def _job_form(request, *, job: Job | None):
    form = JobForm(request.POST or None, instance=job)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in [*form.Meta.fields, "expires_at"]}
        try:
            saved = services.job_save(studio=request.user, job=job, data=data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Job saved." if job else "Job posted.")
            return redirect(saved.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(request, "jobs/form.html", {"form": form, "job": job}, status=status)


@login_required
def studio_job_list(request):
    if not request.user.is_studio:
        return render(request, "jobs/studio_only.html", status=403)
    return render(request, "jobs/mine.html", {"jobs": selectors.studio_jobs(studio=request.user)})


@login_required
@require_POST
def job_renew(request, job_id: int):
    job = get_object_or_404(Job, pk=job_id, studio=request.user)
    try:
        services.job_renew(job=job, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Renewed: the job is open for another 30 days.")
    return redirect(job.get_absolute_url())


@login_required
@require_POST
def job_close(request, job_id: int):
    job = get_object_or_404(Job, pk=job_id, studio=request.user)
    services.job_close(job=job, user=request.user)
    messages.success(request, "Job closed. Its page stays up, marked closed.")
    return redirect(job.get_absolute_url())


@login_required
@require_POST
def job_report(request, job_id: int):
    job = selectors.job_for_viewer(job_id=job_id, viewer=request.user)
    form = ReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a reason for the report.")
        return redirect(job.get_absolute_url())
    try:
        services.job_report(job=job, reporter=request.user, **form.cleaned_data)
    except services.RateLimited as error:
        return rate_limited_response(error)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Thank you. The moderators will look at this job.")
    return redirect(job.get_absolute_url())


# --- artists: applying; studios: the applicant inbox


@login_required
def job_apply(request, job_id: int):
    job = selectors.job_for_viewer(job_id=job_id, viewer=request.user)
    if request.user.is_studio:
        raise PermissionDenied("Studio accounts can't apply to jobs.")
    if not job.is_open or job.apply_method != ApplyMethod.SITE:
        messages.error(request, "This job is closed or takes applications elsewhere.")
        return redirect(job.get_absolute_url())
    if selectors.application_of(job=job, applicant=request.user):
        messages.info(request, "You have already applied to this job.")
        return redirect("jobs:my_applications")
    posts = selectors.portfolio_for_application(artist=request.user)
    form = ApplicationForm(request.POST or None, posts=posts)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_create(
                job=job, applicant=request.user, note=form.cleaned_data["note"], post_ids=form.cleaned_data["pieces"]
            )
        except services.RateLimited as error:
            return rate_limited_response(error)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Application sent to {job.studio.profile.name}.")
            return redirect("jobs:my_applications")
    status = 400 if request.method == "POST" else 200
    return render(request, "jobs/apply.html", {"job": job, "form": form, "posts": posts}, status=status)


@login_required
def applicant_inbox(request, job_id: int):
    job = get_object_or_404(Job, pk=job_id, studio=request.user)
    applications = selectors.applicant_inbox(job=job, studio=request.user)
    context = {"job": job, "applications": applications, "statuses": ApplicationStatus.choices}
    return render(request, "jobs/applicants.html", context)


@login_required
@require_POST
def application_status(request, job_id: int, application_id: int):
    job = Job.objects.filter(pk=job_id, studio=request.user).first()
    if job is None:
        raise Http404("No such job.")
    application = selectors.application_for_studio(job=job, application_id=application_id, studio=request.user)
    try:
        services.application_set_status(application=application, studio=request.user, status=request.POST.get("status"))
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400, content_type="text/plain; charset=utf-8")
    messages.success(request, f"{application.applicant.handle}: {application.get_status_display().lower()}.")
    return redirect("jobs:applicants", job_id=job.pk)


@login_required
def my_applications(request):
    return render(
        request, "jobs/my_applications.html", {"applications": selectors.applications_of(applicant=request.user)}
    )
