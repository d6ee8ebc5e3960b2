"""The JSON API under /api/v1/: a generated schema, public profiles, and the signed-in account."""

import json

import pytest

from atelier.accounts.services import profile_update

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/api/v1/openapi.json"


def test_openapi_schema_is_valid_json_and_lists_every_endpoint(client):
    response = client.get(SCHEMA_URL)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"] == {"title": "Atelier API", "version": "1", "description": ""}
    assert set(schema["paths"]) == {
        "/api/v1/profiles/{handle}",
        "/api/v1/me",
        "/api/v1/posts/{post_id}",
        "/api/v1/profiles/{handle}/posts",
        "/api/v1/jobs",
        "/api/v1/jobs/{job_id}",
        "/api/v1/posts/{post_id}/review",
        "/api/v1/posts/{post_id}/ai-report",
    }
    assert set(schema["paths"]["/api/v1/profiles/{handle}"]) == {"get"}
    assert schema["paths"]["/api/v1/me"]["get"]["security"] == [{"SessionAuth": []}]
    assert "security" not in schema["paths"]["/api/v1/profiles/{handle}"]["get"]
    assert set(schema["paths"]["/api/v1/posts/{post_id}/ai-report"]) == {"post"}
    assert schema["paths"]["/api/v1/posts/{post_id}/ai-report"]["post"]["security"] == [{"SessionAuth": []}]


def test_schema_output_types_are_separate_and_public_profile_has_no_email(client):
    schemas = client.get(SCHEMA_URL).json()["components"]["schemas"]

    assert {"ProfileOut", "MeOut", "ImageOut"} <= set(schemas)
    assert "email" not in schemas["ProfileOut"]["properties"]
    assert "email" in schemas["MeOut"]["properties"]
    profile_ref = schemas["MeOut"]["properties"]["profile"]["$ref"]
    assert profile_ref == "#/components/schemas/ProfileOut"


def test_interactive_docs_are_not_served(client):
    assert client.get("/api/v1/docs").status_code == 404


def test_me_is_401_json_when_anonymous(client):
    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_me_returns_the_signed_in_account(signed_in_client, user):
    response = signed_in_client.get("/api/v1/me")

    assert response.status_code == 200
    body = response.json()
    assert body["handle"] == "mira"
    assert body["email"] == "mira@example.com"
    assert body["email_verified"] is True
    assert body["profile"]["handle"] == "mira"
    assert set(body) == {"handle", "email", "email_verified", "profile"}


def test_me_shows_an_unverified_address_as_such(client, make_user):
    newcomer = make_user("newcomer", verified=False)
    client.force_login(newcomer)

    assert client.get("/api/v1/me").json()["email_verified"] is False


def test_me_never_shows_anyone_elses_email(client, make_user):
    mira = make_user("mira", email="mira.private@example.com")
    other = make_user("other", email="other.private@example.com")
    client.force_login(other)

    body = client.get("/api/v1/me").content.decode()

    assert "other.private@example.com" in body
    assert "mira.private@example.com" not in body
    assert mira.handle not in body


def test_public_profile_never_exposes_an_email(client, make_user):
    make_user("mira", email="mira.private@example.com")
    viewer = make_user("viewer", email="viewer.private@example.com")
    client.force_login(viewer)

    response = client.get("/api/v1/profiles/mira")

    assert response.status_code == 200
    assert "@example.com" not in response.content.decode()
    assert "email" not in response.json()


def test_public_profile_fields(client, user):
    profile_update(
        profile=user.profile,
        display_name="Mira Okafor",
        headline="Concept artist",
        bio="Painter of **ships**. <script>alert(1)</script> [shop](https://shop.example)",
        skills=["matte painting", "ships"],
        open_to_work=True,
    )

    response = client.get("/api/v1/profiles/mira")

    assert response.status_code == 200
    body = response.json()
    assert body["handle"] == "mira"
    assert body["display_name"] == "Mira Okafor"
    assert body["headline"] == "Concept artist"
    assert body["account_type"] == "artist"
    assert body["skills"] == ["matte painting", "ships"]
    assert body["open_to_work"] is True
    assert body["hiring"] is False
    assert body["avatar"] is None
    assert body["banner"] is None
    assert "<strong>ships</strong>" in body["bio_html"]
    assert "<script>" not in body["bio_html"]
    assert 'rel="nofollow ugc noopener noreferrer"' in body["bio_html"]


def test_public_profile_handle_is_case_insensitive(client, user):
    response = client.get("/api/v1/profiles/MIRA")

    assert response.status_code == 200
    assert response.json()["handle"] == "mira"


def test_unknown_profile_is_404_json(client, db):
    response = client.get("/api/v1/profiles/nobody")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not Found"}


def test_deactivated_account_is_404(client, user):
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert client.get("/api/v1/profiles/mira").status_code == 404


def test_public_profile_takes_a_fixed_number_of_queries(client, user, django_assert_num_queries):
    with django_assert_num_queries(2):
        response = client.get("/api/v1/profiles/mira")

    assert response.status_code == 200


def test_me_refuses_other_methods(signed_in_client):
    assert signed_in_client.post("/api/v1/me").status_code == 405
