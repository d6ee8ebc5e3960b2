"""The sweep for AI checks nobody runs any more (protection.detection.sweep): a lost or exhausted
check is queued again after its deadline, never before; past its budget the post stays private, its
author is told once and a moderator gets it; nothing is ever published without a verdict. Time is
the `clock` fixture's, moved by hand."""

import pytest
from django.conf import settings as django_settings
from django.test import Client

from atelier.media.models import MediaItem
from atelier.media.states import CheckState
from atelier.media.storages import originals_storage
from atelier.moderation import services as moderation
from atelier.moderation.models import Action, ReviewCase
from atelier.notifications.models import Notification, Verb
from atelier.posts import visibility
from atelier.posts.items import media_item_process
from atelier.posts.models import Post, PostState
from atelier.protection.detection import sweep, tasks
from atelier.protection.detection.models import CheckRun
from tests.media.sample_files import quadrant_bytes
from tests.posts.support import add_file, publish

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]


@pytest.fixture
def budget(settings):
    settings.DETECTION_SWEEP_STALE_SECONDS = 2700
    settings.DETECTION_SWEEP_REQUEUES = 2
    settings.DETECTION_SWEEP_STUCK_SECONDS = 6 * 3600
    return settings


@pytest.fixture
def moderator(make_user):
    from django.contrib.auth.models import Permission

    person = make_user("mira_moderates")
    person.user_permissions.add(Permission.objects.get(codename="review_case"))
    return type(person).objects.get(pk=person.pk)


def checking_without_a_verdict(post, *, capture) -> MediaItem:
    """Upload and render an item, then publish, while its detection task is lost: it never runs."""
    item = add_file(post, quadrant_bytes("PNG", (400, 300)), capture=capture, process=False)
    with capture(execute=True):
        assert media_item_process(item_id=item.pk, version=item.version) is True
    publish(post, capture=capture)
    item.refresh_from_db()
    return item


def run_sweep(capture) -> tuple[sweep.Swept, list[int]]:
    """One beat of the sweep; what it queued is collected (the detector stays down)."""
    queued: list[int] = []
    with capture(execute=True):
        swept = sweep.sweep_stale_checks(queue_check=queued.append)
    return swept, queued


def state_of(post) -> str:
    return Post.objects.get(pk=post.pk).state


def test_a_lost_check_is_queued_again_only_past_its_deadline_and_never_publishes(draft, capture, clock, budget):
    item = checking_without_a_verdict(draft, capture=capture)
    assert (item.ai_check, state_of(draft)) == (CheckState.PENDING, PostState.CHECKING)

    swept, queued = run_sweep(capture)  # never heard of: lost before it was recorded
    assert queued == [item.pk] and swept.stuck == []
    assert run_sweep(capture)[1] == []  # just queued: left alone
    clock.advance(budget.DETECTION_SWEEP_STALE_SECONDS - 1)
    assert run_sweep(capture)[1] == []
    clock.advance(2)
    assert run_sweep(capture)[1] == [item.pk]
    assert CheckRun.objects.get(item=item).requeues == 2
    assert state_of(draft) == PostState.CHECKING
    assert not Notification.objects.filter(verb=Verb.UNCHECKED).exists()


def test_past_its_budget_the_post_stays_private_its_author_is_told_once_and_a_moderator_gets_it(
    author_client, draft, capture, clock, budget
):
    item = checking_without_a_verdict(draft, capture=capture)
    second = add_file(draft, quadrant_bytes("JPEG", (300, 300)), capture=capture, process=False)
    with capture(execute=True):
        media_item_process(item_id=second.pk, version=second.version)
    for _ in range(budget.DETECTION_SWEEP_REQUEUES):
        run_sweep(capture)
        clock.advance(budget.DETECTION_SWEEP_STALE_SECONDS + 1)
    swept, queued = run_sweep(capture)

    assert sorted(swept.stuck) == sorted([item.pk, second.pk]) and swept.told == [draft.pk]
    assert sorted(queued) == sorted([item.pk, second.pk])  # still tried
    assert set(MediaItem.objects.filter(post=draft).values_list("ai_check", flat=True)) == {CheckState.STUCK}
    assert state_of(draft) == PostState.CHECKING
    assert Client().get(draft.get_absolute_url()).status_code == 404
    told = Notification.objects.filter(recipient=draft.author, verb=Verb.UNCHECKED, post=draft)
    assert told.count() == 1
    assert ReviewCase.objects.get(post=draft).is_pending
    page = author_client.get(draft.get_absolute_url()).content.decode()
    assert "The AI check of this work failed." in page and "a moderator will check it by hand" in page
    listing = author_client.get("/notifications/").content.decode()
    assert "failed: it stays private, never published unchecked" in listing

    # Stuck: tried again only every DETECTION_SWEEP_STUCK_SECONDS, and nobody is told twice.
    clock.advance(budget.DETECTION_SWEEP_STALE_SECONDS + 1)
    assert run_sweep(capture)[1] == []
    clock.advance(budget.DETECTION_SWEEP_STUCK_SECONDS)
    swept, queued = run_sweep(capture)
    assert sorted(queued) == sorted([item.pk, second.pk]) and swept.told == []
    assert told.count() == 1 and state_of(draft) == PostState.CHECKING


def test_a_stuck_check_clears_on_its_own_when_the_detector_is_back(draft, capture, clock, budget):
    item = checking_without_a_verdict(draft, capture=capture)
    for _ in range(budget.DETECTION_SWEEP_REQUEUES + 1):
        run_sweep(capture)
        clock.advance(budget.DETECTION_SWEEP_STUCK_SECONDS + 1)
    item.refresh_from_db()
    assert item.ai_check == CheckState.STUCK

    with capture(execute=True):  # the beat task, queueing the real detection (eager here)
        assert tasks.sweep_stale_checks.delay().get() == 1
    item.refresh_from_db()
    assert item.ai_check == CheckState.PASS and state_of(draft) == PostState.PUBLIC


def test_a_failed_rerun_does_not_unstick_a_stuck_check(draft, capture, clock, budget, monkeypatch):
    monkeypatch.setitem(tasks.detect_media_item.app.conf, "task_eager_propagates", False)
    budget.DETECTION_RETRIES = 0
    item = checking_without_a_verdict(draft, capture=capture)
    for _ in range(budget.DETECTION_SWEEP_REQUEUES + 1):
        run_sweep(capture)
        clock.advance(budget.DETECTION_SWEEP_STUCK_SECONDS + 1)
    originals_storage().delete(item.original_name)  # the detector crashes on it
    with capture(execute=True):
        tasks.detect_media_item.delay(item.pk)
    item.refresh_from_db()
    assert item.ai_check == CheckState.STUCK and state_of(draft) == PostState.CHECKING


def test_a_live_retry_chain_is_not_doubled(draft, capture, clock, budget, monkeypatch):
    monkeypatch.setitem(tasks.detect_media_item.app.conf, "task_eager_propagates", False)
    budget.DETECTION_RETRIES = 0
    item = checking_without_a_verdict(draft, capture=capture)
    originals_storage().delete(item.original_name)
    with capture(execute=True):
        tasks.detect_media_item.delay(item.pk)  # a try started (and failed): the check was heard of
    item.refresh_from_db()
    assert item.ai_check == CheckState.ERROR
    assert run_sweep(capture)[1] == []
    clock.advance(budget.DETECTION_SWEEP_STALE_SECONDS + 1)
    assert run_sweep(capture)[1] == [item.pk]


def test_a_moderator_clears_a_stuck_post_by_hand(draft, capture, clock, budget, moderator):
    checking_without_a_verdict(draft, capture=capture)
    for _ in range(budget.DETECTION_SWEEP_REQUEUES + 1):
        run_sweep(capture)
        clock.advance(budget.DETECTION_SWEEP_STALE_SECONDS + 1)
    case = ReviewCase.objects.get(post=draft)
    with capture(execute=True):
        moderation.case_decide(case_id=case.pk, moderator=moderator, action=Action.APPROVE, note="Looked: hand-made.")
    assert state_of(draft) == PostState.PUBLIC
    assert set(MediaItem.objects.filter(post=draft).values_list("ai_check", flat=True)) == {CheckState.REVIEW}


def test_only_checks_of_checking_posts_are_swept(draft, make_user, capture, clock, budget):
    """Drafts, unpublished and held posts are nobody's backlog; a deleted item is simply gone."""
    item = checking_without_a_verdict(draft, capture=capture)
    with capture(execute=True):
        visibility.unpublish(post_id=draft.pk, actor=draft.author)
    other = Post.objects.create(author=make_user("other_artist"), title="Never published")
    add_file(other, quadrant_bytes("PNG", (200, 200)), capture=capture, process=False)
    assert run_sweep(capture)[1] == []

    publish(draft, capture=capture)
    with capture(execute=True):
        visibility.hold(post_id=draft.pk, reason="Reported")
    assert run_sweep(capture)[1] == []

    sweep.check_heard(item_id=item.pk + 10_000)  # an item deleted before its check was recorded
    assert not CheckRun.objects.filter(item_id=item.pk + 10_000).exists()


def test_the_sweep_runs_on_beat_outside_the_detection_queue():
    entry = django_settings.CELERY_BEAT_SCHEDULE["sweep-stale-checks"]
    assert entry["task"] == tasks.sweep_stale_checks.name
    assert tasks.sweep_stale_checks.app.amqp.router.route({}, entry["task"])["queue"].name == "default"
