"""The signed-in person is cached between requests, and every change to them applies at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def test_pages_after_the_first_do_not_read_the_user_row(signed_in_client, user):
    signed_in_client.get("/jobs/")
    with CaptureQueriesContext(connection) as queries:
        assert signed_in_client.get("/jobs/").status_code == 200
    assert not any('FROM "accounts_user"' in query["sql"] and "WHERE" in query["sql"] and
                   '"accounts_user"."id" =' in query["sql"] for query in queries.captured_queries)  # fmt: skip


def test_a_deactivated_account_is_signed_out_on_the_next_request(signed_in_client, user):
    assert signed_in_client.get("/settings/feed/").status_code == 200
    user.is_active = False
    user.save()
    assert signed_in_client.get("/settings/feed/").status_code == 302


def test_a_changed_password_ends_other_sessions_at_once(signed_in_client, user):
    assert signed_in_client.get("/settings/feed/").status_code == 200
    user.set_password("a whole new passphrase 2026")
    user.save()
    assert signed_in_client.get("/settings/feed/").status_code == 302


def test_a_new_handle_shows_on_the_next_page(signed_in_client, user):
    signed_in_client.get("/jobs/")
    user.handle = "mira_renamed"
    user.save()
    assert "@mira_renamed" in signed_in_client.get("/jobs/").content.decode()
