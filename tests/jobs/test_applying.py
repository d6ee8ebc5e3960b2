"""Artists apply with their own published work; the studio's inbox; privacy of applicant data."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from atelier.jobs import services
from atelier.jobs.choices import ApplicationStatus, JobStatus
from atelier.jobs.models import Application, Job
from atelier.posts.models import Post, PostState
from tests.jobs.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def artist(make_user):
    return make_user("ines")


@pytest.fixture
def portfolio(artist, make_published_post):
    return [make_published_post(artist, title=f"Coast {number}", hours_ago=number) for number in range(1, 5)]


def apply(client, job, posts, note="I paint coastal light."):
    return client.post(reverse("jobs:apply", args=[job.pk]), {"note": note, "pieces": [post.pk for post in posts]})


def test_an_artist_applies_with_three_pieces_and_the_studio_is_told(
    make_job, artist, portfolio, studio, django_capture_on_commit_callbacks
):
    job = make_job()
    client = client_for(artist)
    form = client.get(reverse("jobs:apply", args=[job.pk])).content.decode()
    assert all(post.title in form for post in portfolio)
    with django_capture_on_commit_callbacks(execute=True):
        response = apply(client, job, portfolio[:3])
    assert response.status_code == 302 and response["Location"] == reverse("jobs:my_applications")
    application = Application.objects.get()
    assert [piece.post for piece in application.pieces.all()] == portfolio[:3]
    assert mail.outbox[-1].to == [studio.email] and "ines" in mail.outbox[-1].subject
    mine = client.get(reverse("jobs:my_applications")).content.decode()
    assert "Environment artist" in mine and "New" in mine and "3 pieces" in mine


def test_applying_twice_is_refused(make_job, artist, portfolio):
    job = make_job()
    client = client_for(artist)
    apply(client, job, portfolio[:1])
    again = client.get(reverse("jobs:apply", args=[job.pk]))
    assert again.status_code == 302  # straight to "your applications"
    with pytest.raises(services.ValidationError, match="already applied"):
        services.application_create(job=job, applicant=artist, note="Again", post_ids=[portfolio[0].pk])
    assert Application.objects.count() == 1


def test_a_studio_cannot_apply(make_job, other_studio, make_published_post):
    job = make_job()
    post = make_published_post(other_studio, title="Studio art")
    client = client_for(other_studio)
    assert client.get(reverse("jobs:apply", args=[job.pk])).status_code == 403
    assert apply(client, job, [post]).status_code == 403
    assert not Application.objects.exists()


@pytest.mark.parametrize("how", ["closed", "expired", "removed", "elsewhere"])
def test_closed_taken_down_or_external_jobs_take_no_applications(make_job, artist, portfolio, how):
    job = (
        make_job(apply_method="url", apply_url="https://studio.example.com/jobs/1")
        if how == "elsewhere"
        else make_job()
    )
    if how == "closed":
        Job.objects.filter(pk=job.pk).update(status=JobStatus.CLOSED)
    elif how == "expired":
        Job.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif how == "removed":
        Job.objects.filter(pk=job.pk).update(status=JobStatus.REMOVED)
    response = apply(client_for(artist), job, portfolio[:1])
    assert response.status_code in (302, 404)
    assert not Application.objects.exists()
    job.refresh_from_db()
    with pytest.raises((services.ValidationError, services.PermissionDenied)):
        services.application_create(job=job, applicant=artist, note="Hi", post_ids=[portfolio[0].pk])


def test_only_ones_own_published_work_can_be_attached(make_job, artist, portfolio, make_user, make_published_post):
    job = make_job()
    someone_else = make_published_post(make_user("other"), title="Not mine")
    draft = make_published_post(artist, title="Draft")
    Post.objects.filter(pk=draft.pk).update(state=PostState.DRAFT)
    removed = make_published_post(artist, title="Removed")
    Post.objects.filter(pk=removed.pk).update(state=PostState.TAKEN_DOWN)
    client = client_for(artist)
    for stranger_post in (someone_else, draft, removed):
        response = apply(client, job, [portfolio[0], stranger_post])
        assert response.status_code == 400, stranger_post.title
        assert "Select a valid choice" in response.content.decode()
        with pytest.raises(services.ValidationError, match="only your own published work"):
            services.application_create(
                job=job, applicant=artist, note="Hi", post_ids=[portfolio[0].pk, stranger_post.pk]
            )
    assert not Application.objects.exists()


def test_between_one_and_ten_pieces_and_a_note(make_job, artist, make_published_post):
    job = make_job()
    posts = [make_published_post(artist, title=f"Piece {number}") for number in range(11)]
    client = client_for(artist)
    assert apply(client, job, posts).status_code == 400
    assert apply(client, job, []).status_code == 400
    assert apply(client, job, posts[:2], note="   ").status_code == 400
    assert not Application.objects.exists()
    assert apply(client, job, posts[:10]).status_code == 302


def test_the_inbox_is_only_for_the_jobs_studio(make_job, artist, portfolio, other_studio, studio_client):
    job = make_job()
    services.application_create(job=job, applicant=artist, note="Hello <b>studio</b>", post_ids=[portfolio[0].pk])
    application = Application.objects.get()
    inbox = studio_client.get(reverse("jobs:applicants", args=[job.pk])).content.decode()
    assert "Hello &lt;b&gt;studio&lt;/b&gt;" in inbox and "Coast 1" in inbox
    intruder = client_for(other_studio)
    assert intruder.get(reverse("jobs:applicants", args=[job.pk])).status_code == 404
    url = reverse("jobs:application_status", args=[job.pk, application.pk])
    assert intruder.post(url, {"status": "shortlisted"}).status_code == 404
    assert client_for(artist).post(url, {"status": "shortlisted"}).status_code == 404
    application.refresh_from_db()
    assert application.status == ApplicationStatus.NEW
    # Another studio's own job id with this application's id: still not theirs.
    other_job = services.job_save(studio=other_studio, data={**_data_of(job)})
    other_url = reverse("jobs:application_status", args=[other_job.pk, application.pk])
    assert intruder.post(other_url, {"status": "declined"}).status_code == 404


def _data_of(job):
    from tests.jobs.conftest import job_data

    return job_data()


def test_shortlisting_tells_the_artist(make_job, artist, portfolio, studio_client, django_capture_on_commit_callbacks):
    job = make_job()
    services.application_create(job=job, applicant=artist, note="Hi", post_ids=[portfolio[0].pk])
    application = Application.objects.get()
    url = reverse("jobs:application_status", args=[job.pk, application.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert studio_client.post(url, {"status": "shortlisted"}).status_code == 302
    application.refresh_from_db()
    assert application.status == "shortlisted"
    assert mail.outbox[-1].to == [artist.email] and "shortlisted" in mail.outbox[-1].subject
    assert "Shortlisted" in client_for(artist).get(reverse("jobs:my_applications")).content.decode()
    assert studio_client.post(url, {"status": "hired-lol"}).status_code == 400


def test_pieces_that_become_hidden_leave_the_inbox(make_job, artist, portfolio, studio_client):
    job = make_job()
    services.application_create(job=job, applicant=artist, note="Hi", post_ids=[p.pk for p in portfolio[:2]])
    Post.objects.filter(pk=portfolio[0].pk).update(state=PostState.TAKEN_DOWN)
    inbox = studio_client.get(reverse("jobs:applicants", args=[job.pk])).content.decode()
    assert "Coast 2" in inbox and "Coast 1" not in inbox


def test_inbox_and_my_applications_run_a_fixed_number_of_queries(
    make_job, make_user, make_published_post, studio_client
):
    jobs = [make_job(title=f"Job {number}") for number in range(12)]

    def add_applicants(job, count, prefix):
        for number in range(count):
            person = make_user(f"{prefix}{number}")
            posts = [make_published_post(person, title=f"{prefix}{number} piece {k}") for k in range(3)]
            services.application_create(job=job, applicant=person, note="Hi", post_ids=[p.pk for p in posts])

    def count(client, url):
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    add_applicants(jobs[0], 2, "few")
    add_applicants(jobs[1], 12, "many")
    assert count(studio_client, reverse("jobs:applicants", args=[jobs[0].pk])) == count(
        studio_client, reverse("jobs:applicants", args=[jobs[1].pk])
    )
    busy, idle = make_user("busy"), make_user("idle")
    piece = make_published_post(busy, title="busy piece")
    idle_piece = make_published_post(idle, title="idle piece")
    for job in jobs:
        services.application_create(job=job, applicant=busy, note="Hi", post_ids=[piece.pk])
    services.application_create(job=jobs[0], applicant=idle, note="Hi", post_ids=[idle_piece.pk])
    url = reverse("jobs:my_applications")
    assert count(client_for(busy), url) == count(client_for(idle), url)
