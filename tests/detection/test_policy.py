"""The detection step end to end under the admin's policy: labels hold, scores flag for review,
failures decide nothing, videos are checked frame by frame, Hive is asked when switched on, and a
probe retrained on moderators' decisions replaces the shipped head only when it is better."""

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from atelier.moderation import services as moderation
from atelier.moderation.models import CaseStatus, ReviewCase
from atelier.moderation.selectors import queue_page
from atelier.notifications.models import Notification
from atelier.posts import services
from atelier.posts.models import Post
from atelier.protection.detection.models import (
    DetectionPolicy,
    DetectionProbe,
    ItemEmbedding,
    ItemVerdict,
    SignalEvidence,
)
from atelier.protection.detection.services import DetectionIncomplete, adopted_probe, media_item_detect
from tests.detection.test_hive import StandIn, v3_answer
from tests.detection.test_provenance import A1111, png_with_text
from tests.media.sample_files import make_clip, quadrant_bytes
from tests.posts.support import add_file, publish

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]


def published(make_user, capture, data: bytes, handle="painter"):
    draft = services.post_create_draft(author=make_user(handle))
    item = add_file(draft, data, capture=capture)
    return publish(draft, capture=capture, title="Harbour"), item


def set_policy(**fields):
    DetectionPolicy.objects.update_or_create(pk=1, defaults=fields)


def test_a_classifier_score_over_the_threshold_holds_for_review_not_as_a_label(
    make_user, django_capture_on_commit_callbacks
):
    set_policy(classifier_threshold=0.0)  # every score is over it: the path a real flag takes
    post, item = published(make_user, django_capture_on_commit_callbacks, quadrant_bytes("PNG", (400, 300)))
    verdict = ItemVerdict.objects.get(item=item)
    assert verdict.verdict == "flagged" and "classifier scored it" in verdict.reason
    post.refresh_from_db()
    assert post.is_held and post.held_reason.startswith("Held for review: our AI-image classifier")
    case = ReviewCase.objects.get(post=post)
    assert not case.labelled and case.flag_score is not None
    assert ItemEmbedding.objects.filter(item=item).exists()


def test_under_the_threshold_nothing_is_held_and_the_score_is_kept(make_user, django_capture_on_commit_callbacks):
    set_policy(classifier_threshold=1.01, classifier_review_threshold=1.01)
    post, item = published(make_user, django_capture_on_commit_callbacks, quadrant_bytes("PNG", (400, 300)))
    assert ItemVerdict.objects.get(item=item).verdict == "human"
    evidence = SignalEvidence.objects.get(item=item, signal="classifier")
    assert 0 <= evidence.detail["score"] <= 1 and evidence.detail["head"]
    # judged against the policy's thresholds, not the package's 0.879
    assert evidence.outcome == "clear" and evidence.detail["threshold"] == evidence.detail["hold_threshold"] == 1.01
    assert 0.5 < evidence.detail["head_threshold"] < 1
    assert Post.objects.public().filter(pk=post.pk).exists()
    assert not ReviewCase.objects.filter(post=post).exists()


def test_the_review_band_queues_the_work_and_leaves_it_visible(make_user, client, django_capture_on_commit_callbacks):
    set_policy(classifier_threshold=1.01, classifier_review_threshold=0.0)
    post, item = published(make_user, django_capture_on_commit_callbacks, quadrant_bytes("PNG", (400, 300)))
    verdict = ItemVerdict.objects.get(item=item)
    assert verdict.verdict == "review" and verdict.action == "review"
    post.refresh_from_db()
    assert not post.is_held and Post.objects.public().filter(pk=post.pk).exists()
    assert client.get(post.get_absolute_url()).status_code == 200
    case = ReviewCase.objects.get(post=post)
    assert case.status == CaseStatus.OPEN and not case.labelled and case.flag_score is not None
    assert case.detection_reason.startswith("Queued for review: our AI-image classifier")
    assert not Notification.objects.filter(post=post).exists()  # nothing happened to the work yet
    evidence = SignalEvidence.objects.get(item=item, signal="classifier")
    assert evidence.outcome == "hit" and evidence.detail["threshold"] == 0.0
    assert "queued for a moderator, the post stays visible" in evidence.readable.sentence


def test_the_queue_ranks_review_cases_by_score(make_user, make_published_post):
    author = make_user("ranked")
    low, high = (make_published_post(author, title=title) for title in ("Low", "High"))
    moderation.case_queue_from_detection(post=low, reason="Queued for review: test.", flag_score=0.971)
    moderation.case_queue_from_detection(post=high, reason="Queued for review: test.", flag_score=0.995)
    page = queue_page(tab="open")
    assert [case.post_id for case in page] == [high.pk, low.pk]


def test_an_approved_post_is_not_queued_again(make_user, make_published_post, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import Permission

    moderator = make_user("mod2")
    moderator.user_permissions.add(Permission.objects.get(codename="review_case"))
    set_policy(classifier_threshold=1.01, classifier_review_threshold=0.0)
    post, item = published(make_user, django_capture_on_commit_callbacks, quadrant_bytes("PNG", (400, 300)))
    case = ReviewCase.objects.get(post=post)
    moderation.case_decide(case_id=case.pk, moderator=moderator, action="approve", note="Checked.")
    assert media_item_detect(item_id=item.pk) == "review"
    assert ReviewCase.objects.get(post=post).status == CaseStatus.APPROVED


def test_the_admin_can_stop_provenance_from_holding(make_user, django_capture_on_commit_callbacks):
    set_policy(hold_on_provenance=False, classifier_threshold=1.01)
    post, item = published(make_user, django_capture_on_commit_callbacks, png_with_text(parameters=A1111))
    assert SignalEvidence.objects.get(item=item, signal="png_text").outcome == "hit"  # still recorded
    assert ItemVerdict.objects.get(item=item).verdict == "human"
    assert Post.objects.public().filter(pk=post.pk).exists()


def test_a_broken_original_is_errors_not_a_verdict(make_user, django_capture_on_commit_callbacks):
    post, item = published(make_user, django_capture_on_commit_callbacks, quadrant_bytes("PNG", (400, 300)))
    from atelier.media.storages import originals_storage

    with originals_storage().open(item.original_name, "wb") as broken:
        broken.write(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)  # the stored original is damaged since
    with pytest.raises(DetectionIncomplete):  # the task retries it
        media_item_detect(item_id=item.pk)
    outcomes = dict(SignalEvidence.objects.filter(item=item).values_list("signal", "outcome"))
    assert outcomes["watermark"] == "error" and outcomes["classifier"] == "error"
    assert ItemVerdict.objects.get(item=item).verdict == "human"
    post.refresh_from_db()
    item.refresh_from_db()
    # A re-run that could not read the file decides nothing: the verdict it had stands.
    assert post.is_public and item.ai_check == "pass"


def test_a_video_is_checked_on_three_frames(make_user, django_capture_on_commit_callbacks, tmp_path):
    set_policy(classifier_threshold=0.0)
    make_clip(tmp_path / "timelapse.mp4", seconds=2)
    data = (tmp_path / "timelapse.mp4").read_bytes()
    _post, item = published(make_user, django_capture_on_commit_callbacks, data)
    assert item.kind == "video"
    evidence = {row.signal: row for row in SignalEvidence.objects.filter(item=item)}
    assert set(evidence) == {"c2pa", "watermark", "classifier"}
    assert evidence["classifier"].detail["frames"] == 3 and evidence["watermark"].detail["frames"] == 3
    assert ItemVerdict.objects.get(item=item).verdict == "flagged"
    assert ItemEmbedding.objects.filter(item=item).exists()


def test_hive_is_asked_when_switched_on(settings, make_user, django_capture_on_commit_callbacks):
    stand_in = StandIn()
    try:
        settings.HIVE_API_KEY, settings.HIVE_API_URL, settings.HIVE_API_VERSION = "test-key", stand_in.url, "v3"
        settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the stand-in is on loopback
        set_policy(classifier_threshold=1.01, classifier_review_threshold=1.01, hive_threshold=0.9)
        stand_in.reply(200, v3_answer(0.97))
        _post, item = published(make_user, django_capture_on_commit_callbacks, quadrant_bytes("JPEG", (400, 300)))
    finally:
        stand_in.server.shutdown()
        stand_in.server.server_close()
    assert stand_in.requests[0]["headers"]["Authorization"] == "Bearer test-key"
    hive = SignalEvidence.objects.get(item=item, signal="hive")
    assert hive.outcome == "hit" and hive.detail["score"] == pytest.approx(0.97)
    verdict = ItemVerdict.objects.get(item=item)
    assert verdict.verdict == "review" and "Hive" in verdict.reason  # a remote score alone never hides work
    assert _post.__class__.objects.public().filter(pk=_post.pk).exists()


def test_a_hive_timeout_is_that_signals_error_and_the_rest_decide(
    settings, make_user, django_capture_on_commit_callbacks
):
    stand_in = StandIn()
    try:
        settings.HIVE_API_KEY, settings.HIVE_API_URL = "test-key", stand_in.url
        settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the stand-in is on loopback
        settings.HIVE_TIMEOUT_SECONDS, settings.HIVE_RETRIES = 0.3, 0
        set_policy(classifier_threshold=1.01)
        stand_in.reply(200, v3_answer(0.99), delay=1.0)
        _post, item = published(make_user, django_capture_on_commit_callbacks, png_with_text(parameters=A1111))
    finally:
        stand_in.server.shutdown()
        stand_in.server.server_close()
    assert SignalEvidence.objects.get(item=item, signal="hive").outcome == "error"
    assert ItemVerdict.objects.get(item=item).verdict == "ai_labelled"  # provenance still decided


def _decided_case(post, moderator, action):
    case = moderation.case_open_from_detection(post=post, reason="Held: test.", labelled=False, flag_score=0.9)
    moderation.case_decide(case_id=case.pk, moderator=moderator, action=action, note="Checked.")


def _decisions(make_user, make_published_post, rng, direction, *, background_side: float):
    from django.contrib.auth.models import Permission

    moderator = make_user("mod")
    moderator.user_permissions.add(Permission.objects.get(codename="review_case"))
    author = make_user("many")
    for index in range(40):
        is_ai = index % 2 == 0
        post = make_published_post(author, title=f"Work {index}")
        item = post.items.create(kind="image", state="ready")
        # Embeddings that a linear probe separates perfectly: AI along +direction, human along -direction.
        vector = rng.normal(size=512).astype(np.float32) + (3 if is_ai else -3) * direction
        vector /= np.linalg.norm(vector)
        ItemEmbedding.objects.create(item=item, vector=vector.astype(np.float32).tobytes())
        _decided_case(post, moderator, "confirm" if is_ai else "approve")
    for index in range(50):  # recent uploads nothing flagged: the probe must not hide them
        post = make_published_post(author, title=f"Undecided {index}")
        item = post.items.create(kind="image", state="ready")
        vector = rng.normal(size=512).astype(np.float32) + background_side * direction
        vector /= np.linalg.norm(vector)
        ItemEmbedding.objects.create(item=item, vector=vector.astype(np.float32).tobytes())
        ItemVerdict.objects.create(item=item, verdict="human")


def test_retraining_adopts_a_probe_only_when_it_beats_the_head(make_user, make_published_post, capsys):
    rng = np.random.default_rng(0)
    direction = rng.normal(size=512).astype(np.float32)
    with pytest.raises(CommandError, match="Not enough decisions"):
        call_command("retrain_detection_probe")
    _decisions(make_user, make_published_post, rng, direction, background_side=-3)
    call_command("retrain_detection_probe")
    printed = capsys.readouterr().out
    probe = DetectionProbe.objects.get()
    assert probe.samples == 40 and probe.cv_auc > 0.95 and probe.cv_auc > probe.head_auc
    assert probe.hold_threshold >= probe.threshold and "hold threshold" in printed
    assert probe.adopted and "Adopted probe" in printed and "it would hide 0.00% of 50" in printed
    assert adopted_probe() is not None
    assert ReviewCase.objects.filter(status=CaseStatus.CONFIRMED_AI).count() == 20


def test_a_probe_that_would_hide_ordinary_uploads_is_not_adopted(make_user, make_published_post, capsys):
    """Decisions are what the head already flagged: a probe can beat the head on them and still hide the
    ordinary work it never saw. Here the undecided uploads sit on the AI side of the probe."""
    rng = np.random.default_rng(0)
    direction = rng.normal(size=512).astype(np.float32)
    _decisions(make_user, make_published_post, rng, direction, background_side=3)
    call_command("retrain_detection_probe")
    printed = capsys.readouterr().out
    probe = DetectionProbe.objects.get()
    assert probe.cv_auc > probe.head_auc and not probe.adopted
    assert "Kept the shipped head" in printed and adopted_probe() is None


def test_the_migration_keeps_a_sites_threshold_as_its_review_point():
    """Before the review band one threshold both queued and hid work; a site's value (0.97, the old
    default) becomes where work reaches a moderator, and hiding starts at the measured 0.998."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("atelier.protection.detection.migrations.0003_policy_review_band_and_hold_thresholds")
    DetectionPolicy.objects.update_or_create(pk=1, defaults={"classifier_threshold": 0.97})
    migration.split_the_old_threshold(apps, None)
    policy = DetectionPolicy.objects.get(pk=1)
    assert (policy.classifier_review_threshold, policy.classifier_threshold) == (0.97, 0.998)
    DetectionPolicy.objects.filter(pk=1).update(classifier_threshold=0.9995)
    migration.split_the_old_threshold(apps, None)
    policy.refresh_from_db()
    assert (policy.classifier_review_threshold, policy.classifier_threshold) == (0.9995, 0.9995)
