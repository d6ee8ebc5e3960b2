"""The jobs list: filters, order, search, pages, the Atom feed, saved-search alerts and the API."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from atelier.jobs.alerts import saved_search_alerts_send
from atelier.jobs.models import Job, SavedSearch
from atelier.jobs.tasks import send_job_alerts

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def board(make_job):
    """Four jobs that differ in every filter."""
    now = timezone.now()
    jobs = {
        "keyframes": make_job(title="Keyframe painter", disciplines=["concept_art"], country="PT"),
        "rigger": make_job(
            title="Creature rigger",
            disciplines=["rigging", "animation"],
            employment_type="contract",
            seniority="senior",
            location_mode="onsite",
            country="CA",
            salary_min=None,
            salary_max=None,
            salary_currency="",
            salary_period="",
        ),
        "intern": make_job(
            title="UI intern", disciplines=["ui_ux"], employment_type="internship", seniority="entry", country="DE"
        ),
        "lighthouse": make_job(
            title="Environment artist",
            description="Paint the lighthouse of a coastal village.",
            disciplines=["environment_art"],
            location_mode="hybrid",
            country="PT",
        ),
    }
    for age, job in enumerate(jobs.values()):  # newest first in dict order; closing soonest last
        Job.objects.filter(pk=job.pk).update(
            created_at=now - timedelta(hours=age), expires_at=now + timedelta(days=10 + 5 * (3 - age))
        )
    return jobs


def titles(client, **params) -> list[str]:
    response = client.get(reverse("jobs:list"), params)
    assert response.status_code == 200
    return [job.title for job in response.context["page"].jobs]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["Keyframe painter", "Creature rigger", "UI intern", "Environment artist"]),
        ({"discipline": "animation"}, ["Creature rigger"]),
        ({"type": "internship"}, ["UI intern"]),
        ({"seniority": "senior"}, ["Creature rigger"]),
        ({"country": "PT"}, ["Keyframe painter", "Environment artist"]),
        ({"remote": "on"}, ["Keyframe painter", "UI intern"]),
        ({"pay": "on"}, ["Keyframe painter", "UI intern", "Environment artist"]),
        ({"q": "lighthouse"}, ["Environment artist"]),
        ({"q": "rigger"}, ["Creature rigger"]),
        ({"sort": "closing"}, ["Environment artist", "UI intern", "Creature rigger", "Keyframe painter"]),
        ({"country": "PT", "sort": "closing"}, ["Environment artist", "Keyframe painter"]),
        # Nonsense is dropped, never an error page.
        ({"discipline": "<script>", "type": "x", "country": "ZZ", "sort": "random"}, None),
    ],
)
def test_filters_and_order(client, board, params, expected):
    all_titles = ["Keyframe painter", "Creature rigger", "UI intern", "Environment artist"]
    assert titles(client, **params) == (all_titles if expected is None else expected)


def test_pay_is_shown_or_marked_missing(client, board):
    page = client.get(reverse("jobs:list")).content.decode()
    assert "EUR 40,000–50,000 per year" in page and "Pay not stated" in page


def test_closed_expired_and_taken_down_jobs_leave_the_list(client, board):
    Job.objects.filter(pk=board["rigger"].pk).update(status="closed")
    Job.objects.filter(pk=board["intern"].pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    Job.objects.filter(pk=board["keyframes"].pk).update(status="removed")
    assert titles(client) == ["Environment artist"]


def test_the_list_runs_a_fixed_number_of_queries(client, make_job, make_user):
    from atelier.accounts.models import AccountType

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("jobs:list")).status_code == 200
        return len(queries)

    make_job()
    few = count()
    for number in range(15):
        make_job(owner=make_user(f"studio{number}", account_type=AccountType.STUDIO), title=f"Job {number}")
    assert count() == few


def test_pages(client, make_job, settings):
    for number in range(25):
        make_job(title=f"Job {number:02d}")
    first = client.get(reverse("jobs:list"))
    assert len(first.context["page"].jobs) == 20 and first.context["page"].has_next
    second = client.get(reverse("jobs:list"), {"page": 2})
    assert len(second.context["page"].jobs) == 5 and not second.context["page"].has_next
    assert client.get(reverse("jobs:list"), {"page": "x"}).status_code == 200
    assert client.get(reverse("jobs:list"), {"page": "999999"}).status_code == 200


def test_the_atom_feed_follows_the_filters(client, board):
    response = client.get(reverse("jobs:atom"), {"country": "PT"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    entries = root.findall(f"{ATOM}entry")
    assert [entry.find(f"{ATOM}title").text for entry in entries] == [
        "Keyframe painter — lanternfish",
        "Environment artist — lanternfish",
    ]
    assert all(entry.find(f"{ATOM}link").get("href").startswith("http") for entry in entries)
    everything = ET.fromstring(client.get(reverse("jobs:atom")).content)
    assert len(everything.findall(f"{ATOM}entry")) == 4


def test_saved_searches_email_new_jobs_once(
    client, signed_in_client, user, make_job, board, django_capture_on_commit_callbacks
):
    response = signed_in_client.post(
        reverse("jobs:saved_searches"), {"name": "Portugal", "country": "PT", "remote": "", "sort": "closing"}
    )
    assert response.status_code == 302
    search = SavedSearch.objects.get(user=user)
    assert search.query == {"country": "PT"}
    assert saved_search_alerts_send() == 0  # nothing new since it was saved
    fresh = make_job(title="Lighthouse keeper's painter", country="PT")
    make_job(title="Elsewhere", country="CA")
    with django_capture_on_commit_callbacks(execute=True):
        assert send_job_alerts() == 1
    message = mail.outbox[-1]
    assert message.to == [user.email] and "1 new job" in message.subject
    assert fresh.title in message.body and "Elsewhere" not in message.body
    assert send_job_alerts() == 0  # idempotent
    listed = signed_in_client.get(reverse("jobs:saved_searches")).content.decode()
    assert "Portugal" in listed and "country=PT" in listed


def test_saved_searches_are_private_and_bounded(signed_in_client, stranger_client, user):
    signed_in_client.post(reverse("jobs:saved_searches"), {"name": "Mine", "q": "rig"})
    search = SavedSearch.objects.get()
    delete = reverse("jobs:saved_search_delete", args=[search.pk])
    assert stranger_client.post(delete).status_code == 404
    assert "Mine" not in stranger_client.get(reverse("jobs:saved_searches")).content.decode()
    assert signed_in_client.post(reverse("jobs:saved_searches"), {"name": ""}).status_code == 400
    assert signed_in_client.post(delete).status_code == 302
    assert not SavedSearch.objects.exists()


def test_the_api_lists_open_jobs_with_the_same_filters(client, board):
    data = client.get("/api/v1/jobs", {"country": "PT", "sort": "closing"}).json()
    assert [job["title"] for job in data["jobs"]] == ["Environment artist", "Keyframe painter"]
    assert data["jobs"][0]["pay"] == "EUR 40,000–50,000 per year"
    detail = client.get(f"/api/v1/jobs/{board['rigger'].pk}").json()
    assert detail["description_html"].startswith("<p>") and detail["pay"] == ""
    Job.objects.filter(pk=board["rigger"].pk).update(status="removed")
    assert client.get(f"/api/v1/jobs/{board['rigger'].pk}").status_code == 404
    assert client.get("/api/v1/jobs", {"page": "nope"}).status_code == 422
