from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from atelier.accounts.models import AccountType
from atelier.jobs import services
from atelier.jobs.choices import ApplyMethod, Discipline, EmploymentType, LocationMode, Seniority


@pytest.fixture
def studio(make_user):
    return make_user("lanternfish", account_type=AccountType.STUDIO)


@pytest.fixture
def other_studio(make_user):
    return make_user("otherstudio", account_type=AccountType.STUDIO)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def studio_client(studio):
    return client_for(studio)


def job_data(**changes) -> dict:
    """What a valid JobForm hands the service."""
    data = {
        "title": "Environment artist",
        "location_mode": LocationMode.REMOTE,
        "country": "PT",
        "city": "",
        "employment_type": EmploymentType.FULL_TIME,
        "seniority": Seniority.MID,
        "disciplines": [Discipline.ENVIRONMENT_ART],
        "software": ["Krita"],
        "salary_min": 40000,
        "salary_max": 50000,
        "salary_currency": "EUR",
        "salary_period": "year",
        "description": "Paint **harbours**.",
        "apply_method": ApplyMethod.SITE,
        "apply_url": "",
        "apply_email": "",
        "ai_statement": "No generative AI in our art.",
        "expires_at": (timezone.now() + timedelta(days=30)).date(),
    }
    data.update(changes)
    return data


def form_post(**changes) -> dict:
    """The same as a browser's POST body."""
    data = job_data(**changes)
    body = {key: value for key, value in data.items() if value is not None and key not in ("disciplines", "software")}
    body["disciplines"] = data["disciplines"]
    body["software"] = ", ".join(data["software"])
    body["expires_at"] = data["expires_at"].isoformat()
    return body


@pytest.fixture
def make_job(studio):
    def make(owner=None, **changes):
        return services.job_save(studio=owner or studio, data=job_data(**changes))

    return make
