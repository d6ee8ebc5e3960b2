"""Studios post, edit, renew and close jobs; nobody else can; bad input is a clear error."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from atelier.jobs import services
from atelier.jobs.choices import JobStatus
from atelier.jobs.models import Job
from tests.conftest import pass_second_factor
from tests.jobs.conftest import form_post

pytestmark = pytest.mark.django_db


def test_a_studio_posts_a_job_through_the_form(studio_client, studio):
    response = studio_client.post(reverse("jobs:new"), form_post(title="Tidewake environment artist"))
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert (job.studio, job.title, job.status, job.disciplines) == (
        studio,
        "Tidewake environment artist",
        "open",
        ["environment_art"],
    )
    assert job.description_html == "<p>Paint <strong>harbours</strong>.</p>\n"
    page = studio_client.get(job.get_absolute_url()).content.decode()
    assert "EUR 40,000–50,000 per year" in page and "No generative AI in our art." in page


def test_an_artist_cannot_post_a_job(signed_in_client, user):
    assert signed_in_client.get(reverse("jobs:new")).status_code == 403
    response = signed_in_client.post(reverse("jobs:new"), form_post())
    assert response.status_code == 403
    assert "Only studios post jobs" in response.content.decode()
    assert not Job.objects.exists()
    with pytest.raises(services.PermissionDenied):
        from tests.jobs.conftest import job_data

        services.job_save(studio=user, data=job_data())


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"salary_min": 60000, "salary_max": 50000}, "salary_max", "below its bottom"),
        ({"expires_at": timezone.now().date() - timedelta(days=1)}, "expires_at", "after today"),
        ({"expires_at": timezone.now().date() + timedelta(days=200)}, "expires_at", "at most 90 days"),
        ({"apply_method": "url", "apply_url": ""}, "apply_url", "link where people apply"),
        ({"apply_method": "email", "apply_email": ""}, "apply_email", "address people apply to"),
        ({"salary_currency": ""}, "salary_currency", "which currency"),
        ({"disciplines": []}, "disciplines", "required"),
        ({"title": ""}, "title", "required"),
    ],
)
def test_bad_job_forms_are_clear_400s(studio_client, changes, field, message):
    response = studio_client.post(reverse("jobs:new"), form_post(**changes))
    assert response.status_code == 400
    assert message in str(response.context["form"].errors[field])
    assert not Job.objects.exists()


def test_script_in_the_description_and_statement_is_neutralised(studio_client):
    studio_client.post(
        reverse("jobs:new"),
        form_post(
            description="Hi <script>alert(1)</script> [x](javascript:alert(2))",
            ai_statement="<img src=x onerror=alert(3)>",
        ),
    )
    job = Job.objects.get()
    page = studio_client.get(job.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in page and 'href="javascript:' not in page
    assert "<img src=x onerror" not in page and "&lt;img src=x onerror=alert(3)&gt;" in page


def test_only_the_owner_edits_renews_or_closes(make_job, other_studio, signed_in_client):
    job = make_job()
    from tests.jobs.conftest import client_for

    intruder = client_for(other_studio)
    assert intruder.get(reverse("jobs:edit", args=[job.pk])).status_code == 404
    for name in ("renew", "close"):
        assert intruder.post(reverse(f"jobs:{name}", args=[job.pk])).status_code == 404
        assert signed_in_client.post(reverse(f"jobs:{name}", args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.status == JobStatus.OPEN


def test_close_then_renew(make_job, studio_client):
    job = make_job()
    studio_client.post(reverse("jobs:close", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == JobStatus.CLOSED and not job.is_open
    assert "This job is closed" in studio_client.get(job.get_absolute_url()).content.decode()
    studio_client.post(reverse("jobs:renew", args=[job.pk]))
    job.refresh_from_db()
    assert job.is_open and job.expires_at > timezone.now() + timedelta(days=29)


def test_expired_jobs_close_by_the_periodic_task_and_keep_their_page(make_job, client):
    job = make_job()
    Job.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert "Environment artist" not in client.get(reverse("jobs:list")).content.decode()  # gone at once
    from atelier.jobs.tasks import close_expired_jobs

    assert close_expired_jobs() == 1
    assert close_expired_jobs() == 0
    job.refresh_from_db()
    assert job.status == JobStatus.CLOSED
    response = client.get(job.get_absolute_url())
    assert response.status_code == 200 and "This job is closed" in response.content.decode()


def test_moderators_take_down_with_a_logged_reason(make_job, make_user, client, studio_client):
    job = make_job()
    staff = make_user("moderator")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    admin = Client()
    pass_second_factor(admin, staff)
    changelist = reverse("admin:jobs_job_changelist")
    asking = admin.post(changelist, {"action": "take_down", "_selected_action": [job.pk]})
    assert asking.status_code == 200 and b"give a reason" in asking.content  # nothing happens without one
    job.refresh_from_db()
    assert job.status == JobStatus.OPEN
    done = admin.post(
        changelist, {"action": "take_down", "_selected_action": [job.pk], "apply": "1", "reason": "Unpaid 'trial' work"}
    )
    assert done.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.REMOVED
    entry = job.moderation_log.get()
    assert (entry.moderator, entry.action, entry.reason) == (staff, "take_down", "Unpaid 'trial' work")
    assert client.get(job.get_absolute_url()).status_code == 404
    assert "Environment artist" not in client.get(reverse("jobs:list")).content.decode()
    assert studio_client.get(job.get_absolute_url()).status_code == 200  # the studio sees why
    assert studio_client.post(reverse("jobs:renew", args=[job.pk])).status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.REMOVED  # renewing does not undo a take-down


def test_anyone_signed_in_can_report_a_job_once_and_reports_are_rate_limited(make_job, make_user, settings):
    job = make_job()
    from tests.jobs.conftest import client_for

    reporter = client_for(make_user("reporter"))
    url = reverse("jobs:report", args=[job.pk])
    assert reporter.post(url, {"reason": "unpaid", "details": "Asks for free test art"}).status_code == 302
    assert reporter.post(url, {"reason": "ai_replacement"}).status_code == 302
    report = job.reports.get()
    assert report.reason == "ai_replacement"
    assert reporter.post(url, {"reason": "nonsense"}).status_code == 302  # a clear message, nothing saved
    assert job.reports.count() == 1
    for _ in range(services.REPORTS_PER_HOUR):
        reporter.post(url, {"reason": "scam"})
    limited = reporter.post(url, {"reason": "scam"})
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0


def test_fields_that_do_not_apply_are_dropped(studio_client):
    """The form hides them; a value left in a hidden field (or posted by hand) is not kept."""
    response = studio_client.post(
        reverse("jobs:new"),
        form_post(
            location_mode="remote",
            city="Lisbon",
            salary_min="",
            salary_max="",
            salary_currency="EUR",
            salary_period="month",
            apply_method="email",
            apply_email="jobs@example.com",
            apply_url="https://example.com/apply",
        ),
    )
    assert response.status_code == 302
    job = Job.objects.get()
    assert (job.city, job.salary_currency, job.salary_period) == ("", "", "")
    assert (job.apply_email, job.apply_url) == ("jobs@example.com", "")
    assert "EUR" not in studio_client.get(job.get_absolute_url()).content.decode()
