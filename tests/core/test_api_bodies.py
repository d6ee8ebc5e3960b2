"""What the JSON API does with bodies it should not take: one over the upload limit is a 413 with a
JSON error (not a 500 with a traceback), and a body that is JSON but not an object (an array, a
string, a number) is refused, never read as "no fields given" and accepted with defaults."""

import json

import pytest
from django.conf import settings
from django.test import Client

from atelier.moderation.models import AIReport

pytestmark = pytest.mark.django_db


@pytest.fixture
def report_url(make_user, make_published_post):
    return f"/api/v1/posts/{make_published_post(make_user('painter'), title='Harbour').pk}/ai-report"


@pytest.fixture
def reporter():
    # raise_request_exception: a server error surfaces as its exception instead of passing quietly.
    client = Client(raise_request_exception=True)
    return client


def _signed_in(client, make_user):
    client.force_login(make_user("reporter"))
    return client


def test_a_json_body_over_the_limit_is_a_413_with_a_json_error(reporter, make_user, report_url):
    client = _signed_in(reporter, make_user)
    body = json.dumps({"note": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024)})
    response = client.post(report_url, body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "too large" in response.json()["detail"]
    assert not AIReport.objects.exists()


@pytest.mark.parametrize("body", ["[]", '[{"note": "odd hands"}]', '"odd hands"', "42", "true", "null"])
def test_a_json_body_that_is_not_an_object_is_refused(reporter, make_user, report_url, body):
    client = _signed_in(reporter, make_user)
    response = client.post(report_url, body, content_type="application/json")
    assert response.status_code in (400, 422)
    assert response["Content-Type"].startswith("application/json") and response.json()["detail"]
    assert not AIReport.objects.exists()


@pytest.mark.parametrize("body", ["{", '{"note": 5}', "\xff\xfe"])
def test_broken_or_mistyped_json_is_refused(reporter, make_user, report_url, body):
    client = _signed_in(reporter, make_user)
    response = client.post(report_url, body, content_type="application/json")
    assert response.status_code in (400, 422) and not AIReport.objects.exists()


def test_an_object_body_is_still_taken(reporter, make_user, report_url):
    client = _signed_in(reporter, make_user)
    response = client.post(report_url, {"note": "odd hands"}, content_type="application/json")
    assert response.status_code == 201 and AIReport.objects.get().note == "odd hands"
