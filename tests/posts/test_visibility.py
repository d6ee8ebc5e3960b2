"""A post's public life through `posts.visibility`: nothing is public before every item's AI verdict,
a failing or absent detector keeps the post private and is retried, moderators release and take down
with an audit line, one event per move reaches the feeds (fan-out once, only into public), and a race
of publishing and holding ends held without ever being fanned out."""

import threading

import pytest
from django.db import connection
from django.test import Client

from atelier.media.models import MediaItem, MediaKind
from atelier.media.states import CheckState, MediaState
from atelier.media.storages import originals_storage
from atelier.moderation import services as moderation
from atelier.moderation.models import Action, ReviewCase
from atelier.notifications.models import Notification, Verb
from atelier.posts import media_checks, services, visibility
from atelier.posts.events import post_became_public, post_left_public
from atelier.posts.items import media_item_process
from atelier.posts.models import Post, PostState, PostStateChange
from atelier.protection.detection.services import media_item_detect
from atelier.protection.detection.tasks import detect_media_item
from tests.conftest import pass_second_factor
from tests.detection.test_provenance import A1111, png_with_text
from tests.media.sample_files import quadrant_bytes
from tests.posts.support import add_file, publish, save_details

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]


@pytest.fixture
def events():
    """Every became-public / left-public event sent while the test runs, in order."""
    seen = []

    def became(sender, post_id, **kwargs):
        seen.append(("became_public", post_id))

    def left(sender, post_id, reason, **kwargs):
        seen.append(("left_public", post_id, reason))

    post_became_public.connect(became, weak=False, dispatch_uid="test.became")
    post_left_public.connect(left, weak=False, dispatch_uid="test.left")
    yield seen
    post_became_public.disconnect(dispatch_uid="test.became")
    post_left_public.disconnect(dispatch_uid="test.left")


@pytest.fixture
def anonymous():
    """A visitor who is not signed in (the `client` fixture is the author's, signed in)."""
    return Client()


@pytest.fixture
def moderator(make_user):
    from django.contrib.auth.models import Permission

    person = make_user("mira_moderates")
    person.user_permissions.add(Permission.objects.get(codename="review_case"))
    return type(person).objects.get(pk=person.pk)  # permissions are cached per instance


def rendered_without_a_verdict(post, *, capture, data=None) -> MediaItem:
    """Upload and render an item while the detection worker is down: its task never runs."""
    item = add_file(post, data or quadrant_bytes("PNG", (400, 300)), capture=capture, process=False)
    with capture(execute=True):
        assert media_item_process(item_id=item.pk, version=item.version) is True
    item.refresh_from_db()
    return item


def everywhere_visible(post, anonymous, viewer_client) -> dict:
    """Can anyone but the author find the post: page, profile, API, search list, Atom-free lists."""
    handle = post.author.handle
    return {
        "page": anonymous.get(post.get_absolute_url()).status_code,
        "api": anonymous.get(f"/api/v1/posts/{post.pk}").status_code,
        "api_profile": [p["id"] for p in anonymous.get(f"/api/v1/profiles/{handle}/posts").json()],
        "profile": post.title in viewer_client.get(f"/@{handle}").content.decode(),
        "public_queryset": Post.objects.public().filter(pk=post.pk).exists(),
    }


def test_nothing_is_public_until_the_verdict_and_then_it_is(
    author_client, stranger, stranger_client, anonymous, draft, capture, events
):
    item = rendered_without_a_verdict(draft, capture=capture)
    assert item.state == MediaState.READY and item.ai_check == CheckState.PENDING
    post = publish(draft, capture=capture, title="Harbour at dawn")

    assert post.state == PostState.CHECKING and events == []
    seen = everywhere_visible(post, anonymous, stranger_client)
    assert seen == {"page": 404, "api": 404, "api_profile": [], "profile": False, "public_queryset": False}
    assert not Post.objects.visible_to(stranger).filter(pk=post.pk).exists()
    own = author_client.get(post.get_absolute_url()).content.decode()
    assert "Checking your work…" in own and "0 of 1 file processed and checked" in own
    banner = author_client.get(f"/posts/{post.pk}/status").content.decode()
    assert 'hx-trigger="every 2s"' in banner  # it polls while checking
    assert stranger_client.get(f"/posts/{post.pk}/status").status_code == 404

    with capture(execute=True):
        detect_media_item.delay(item.pk)  # the worker is back
    post.refresh_from_db()
    assert post.state == PostState.PUBLIC and events == [("became_public", post.pk)]
    assert everywhere_visible(post, anonymous, stranger_client)["page"] == 200
    assert "hx-trigger" not in author_client.get(f"/posts/{post.pk}/status").content.decode()


def test_a_detection_crash_keeps_the_post_private_tells_the_author_and_is_retried(
    author_client, anonymous, draft, capture, settings, caplog, monkeypatch
):
    # Retries are delivered again at once (eagerly) instead of raised into the test.
    monkeypatch.setitem(detect_media_item.app.conf, "task_eager_propagates", False)
    settings.DETECTION_RETRIES = 2
    item = rendered_without_a_verdict(draft, capture=capture)
    original = originals_storage().open(item.original_name, "rb").read()
    originals_storage().delete(item.original_name)  # the detector cannot even open the file: it raises
    post = publish(draft, capture=capture)
    tries = []
    from celery.signals import task_prerun

    def count(sender=None, **kwargs):
        if sender.name.endswith("detect_media_item"):
            tries.append(1)

    task_prerun.connect(count, weak=False)
    try:
        with capture(execute=True):
            # As a worker runs it: each retry is delivered again (eagerly here, without the backoff's wait).
            detect_media_item.delay(item.pk)
    finally:
        task_prerun.disconnect(count)
    assert len(tries) == 3  # the first try and two retries (with backoff on a real worker)
    item.refresh_from_db()
    post.refresh_from_db()
    assert (item.ai_check, post.state) == (CheckState.ERROR, PostState.CHECKING)
    assert anonymous.get(post.get_absolute_url()).status_code == 404
    assert "gave up after 3 tries" in caplog.text
    page = author_client.get(post.get_absolute_url()).content.decode()
    assert "The AI check could not finish yet; it is tried again automatically." in page

    with originals_storage().open(item.original_name, "wb") as restored:
        restored.write(original)
    with capture(execute=True):
        detect_media_item.delay(item.pk)
    post.refresh_from_db()
    assert post.state == PostState.PUBLIC


def test_an_unreadable_classifier_signal_is_an_error_never_a_pass(draft, capture):
    item = rendered_without_a_verdict(draft, capture=capture)
    with originals_storage().open(item.original_name, "wb") as broken:
        broken.write(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)  # damaged after rendering: no pixels to classify
    post = publish(draft, capture=capture)
    with pytest.raises(Exception, match="gating signal"):
        media_item_detect(item_id=item.pk)
    item.refresh_from_db()
    post.refresh_from_db()
    assert (item.ai_check, post.state) == (CheckState.ERROR, PostState.CHECKING)


def test_an_ai_labelled_upload_is_held_before_anyone_sees_it(
    author_client, anonymous, draft, capture, events, moderator
):
    add_file(draft, png_with_text(parameters=A1111), capture=capture)
    post = publish(draft, capture=capture)
    assert post.state == PostState.HELD and events == []  # never public, so never announced
    assert "Automatic1111" in post.held_reason
    assert anonymous.get(post.get_absolute_url()).status_code == 404
    page = author_client.get(post.get_absolute_url()).content.decode()
    assert "Held for review." in page
    audit = list(PostStateChange.objects.filter(post=post).order_by("pk").values_list("action", "target", "actor_id"))
    assert audit == [("publish", "checking", post.author_id), ("refresh", "held", None)]


def test_a_moderator_release_brings_the_post_back_once(
    anonymous, draft, capture, events, moderator, make_user, tasks_run, settings
):
    follower = make_user("follower")
    from atelier.social.models import Follow

    Follow.objects.create(follower=follower, followee=draft.author)
    add_file(draft, png_with_text(parameters=A1111), capture=capture)
    post = publish(draft, capture=capture)
    case = ReviewCase.objects.get(post=post)
    with capture(execute=True):
        moderation.case_decide(case_id=case.pk, moderator=moderator, action=Action.APPROVE, note="Process proof seen.")
    post.refresh_from_db()
    assert post.state == PostState.PUBLIC and post.items.get().ai_check == CheckState.REVIEW
    assert events == [("became_public", post.pk)]
    if settings.REDIS_URL:
        assert tasks_run.count("atelier.feeds.tasks.fan_out_posts") == 1
    assert anonymous.get(post.get_absolute_url()).status_code == 200
    release = PostStateChange.objects.get(post=post, action="release")
    assert (release.actor_id, release.reason) == (moderator.pk, "Process proof seen.")
    # A second approval (a double click) changes nothing and announces nothing.
    with capture(execute=True):
        moderation.case_decide(case_id=case.pk, moderator=moderator, action=Action.APPROVE, note="Again.")
    assert events == [("became_public", post.pk)]


def test_confirmed_ai_holds_a_public_post_and_marks_its_items(draft, capture, events, moderator, make_user):
    add_file(draft, quadrant_bytes("PNG", (400, 300)), capture=capture)
    post = publish(draft, capture=capture)
    assert post.state == PostState.PUBLIC
    reporter = make_user("reporter")
    moderation.post_report_ai(post_id=post.pk, reporter=reporter, note="Looks generated.")
    case = ReviewCase.objects.get(post=post)
    with capture(execute=True):
        moderation.case_decide(case_id=case.pk, moderator=moderator, action=Action.CONFIRM_AI, note="Prompt found.")
    post.refresh_from_db()
    assert post.state == PostState.HELD and "confirmed this work as AI-generated" in post.held_reason
    assert events[-1] == ("left_public", post.pk, PostState.HELD)
    item = post.items.get()
    assert (item.ai_check, item.said_ai) == (CheckState.HOLD, True)


def test_moves_the_table_does_not_allow_are_refused(draft, capture, moderator):
    add_file(draft, quadrant_bytes("PNG", (300, 200)), capture=capture)
    with pytest.raises(visibility.TransitionRefused):
        visibility.release(post_id=draft.pk, actor=moderator)  # a draft is not held
    with pytest.raises(visibility.TransitionRefused):
        visibility.restore(post_id=draft.pk, actor=moderator)
    with pytest.raises(visibility.TransitionRefused):
        visibility.unpublish(post_id=draft.pk, actor=draft.author)
    post = publish(draft, capture=capture)
    with pytest.raises(visibility.TransitionRefused):
        visibility.publish(post_id=post.pk, actor=post.author)  # already public
    assert visibility.refresh(post.pk) == PostState.PUBLIC  # idempotent
    assert PostStateChange.objects.filter(post=post).count() == 2


def test_disclosing_ai_tools_holds_and_undisclosing_sends_it_back_through_the_gate(draft, capture, events):
    add_file(draft, quadrant_bytes("PNG", (300, 200)), capture=capture)
    post = publish(draft, capture=capture)
    with capture(execute=True):
        save_details(post, title=post.title, made_with_ai=True)
    post.refresh_from_db()
    assert post.state == PostState.HELD and post.held_reason == visibility.DISCLOSED_AI
    with capture(execute=True):
        save_details(post, title=post.title, made_with_ai=False)
    post.refresh_from_db()
    assert post.state == PostState.PUBLIC
    assert [event[0] for event in events] == ["became_public", "left_public", "became_public"]


def test_a_new_item_on_a_public_post_is_checked_before_it_shows(draft, capture, anonymous):
    add_file(draft, quadrant_bytes("PNG", (300, 200)), capture=capture)
    post = publish(draft, capture=capture)
    item = add_file(post, png_with_text(parameters=A1111), capture=capture, process=False)
    post.refresh_from_db()
    assert post.state == PostState.CHECKING and anonymous.get(post.get_absolute_url()).status_code == 404
    with capture(execute=True):
        media_item_process(item_id=item.pk, version=item.version)
        detect_media_item.delay(item.pk)
    post.refresh_from_db()
    assert post.state == PostState.HELD


def test_take_down_and_restore_through_the_admin_leave_an_audit_line(anonymous, draft, capture, make_user, events):
    staff = make_user("staffer")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    admin = Client()
    pass_second_factor(admin, staff)  # staff reach the admin through a second factor
    add_file(draft, quadrant_bytes("PNG", (300, 200)), capture=capture)
    post = publish(draft, capture=capture)
    with capture(execute=True):
        admin.post("/admin/posts/post/", {"action": "take_down", "_selected_action": [post.pk]})
    post.refresh_from_db()
    assert post.state == PostState.TAKEN_DOWN and anonymous.get(post.get_absolute_url()).status_code == 404
    line = PostStateChange.objects.get(post=post, action="take_down")
    assert (line.actor_id, line.source, line.target) == (staff.pk, "public", "taken_down")
    assert "staffer" in line.reason
    assert admin.get(f"/admin/posts/post/{post.pk}/change/").content.decode().count("Taken down by staffer") >= 1

    with capture(execute=True):
        admin.post("/admin/posts/post/", {"action": "restore", "_selected_action": [post.pk]})
    post.refresh_from_db()
    assert post.state == PostState.PUBLIC and anonymous.get(post.get_absolute_url()).status_code == 200
    restore = PostStateChange.objects.get(post=post, action="restore")
    assert restore.actor_id == staff.pk
    assert events[-2:] == [("left_public", post.pk, "taken_down"), ("became_public", post.pk)]
    # A draft selected by mistake is refused, not silently changed.
    other = services.post_create_draft(author=post.author)
    response = admin.post("/admin/posts/post/", {"action": "take_down", "_selected_action": [other.pk]}, follow=True)
    assert "were not in a state for that" in response.content.decode()
    assert Post.objects.get(pk=other.pk).state == PostState.DRAFT


def test_mentions_in_a_post_are_told_once_when_it_becomes_public(draft, capture, make_user, moderator):
    friend = make_user("inkfriend")
    add_file(draft, quadrant_bytes("PNG", (300, 200)), capture=capture)
    post = publish(draft, capture=capture, description="Painted with @inkfriend at the harbour.")
    assert post.state == PostState.PUBLIC
    with capture(execute=True):
        visibility.hold(post_id=post.pk, reason="Held: test.", actor=moderator)
        media_checks.post_checks_cleared_by_moderator(post_id=post.pk)
        visibility.release(post_id=post.pk, actor=moderator)
    assert Post.objects.get(pk=post.pk).state == PostState.PUBLIC
    told = Notification.objects.filter(recipient=friend, verb=Verb.MENTION, post=post)
    assert told.count() == 1


def test_an_embed_only_post_is_checked_at_once(draft, capture):
    services.media_add_embed(post=draft, user=draft.author, url="https://vimeo.com/76979871")
    post = publish(draft, capture=capture)
    assert post.state == PostState.PUBLIC
    assert post.items.get().kind == MediaKind.EMBED


def _at_once(*actions) -> list[Exception]:
    """Run each action in its own thread (so its own database connection and transaction), released together."""
    start, errors = threading.Barrier(len(actions)), []

    def run(action):
        try:
            start.wait(timeout=10)
            action()
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks race only on PostgreSQL")
def test_publishing_and_holding_at_once_end_held_and_never_fanned_out(make_user, events):
    author = make_user("racer")
    for round_number in range(6):
        post = Post.objects.create(author=author, title=f"Race {round_number}")
        item = MediaItem.objects.create(post=post, kind=MediaKind.IMAGE, state=MediaState.READY)

        def publishing(post=post):
            services.post_publish(post=post, user=author)

        def holding(item=item):
            media_checks.item_check_record(item_id=item.pk, check=CheckState.HOLD, reason="Held: race.")

        order = (publishing, holding) if round_number % 2 else (holding, publishing)
        assert _at_once(*order) == []
        post.refresh_from_db()
        assert post.state == PostState.HELD, f"round {round_number}"
    assert [event for event in events if event[0] == "became_public"] == []
