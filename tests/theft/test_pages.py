"""The people around a possible repost: the uploader reads why, the original artist answers from a
notification, the moderator sees both works side by side and takes the copy down; the image search
is for signed-in people, rate-limited, and shows only public posts by others."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from PIL import Image, ImageOps

from atelier.moderation.models import Action, ReviewCase
from atelier.notifications.models import Verb
from atelier.notifications.selectors import group_notifications, visible_notifications
from atelier.posts import services
from atelier.posts.models import PostState
from atelier.protection.theft.models import MatchStatus, RepostMatch
from tests.conftest import pass_second_factor
from tests.theft.test_reposts import ARTWORK, OTHER_WORK, encoded, posted

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]


@pytest.fixture
def moderator(make_user):
    person = make_user("mira_moderates")
    person.user_permissions.add(Permission.objects.get(codename="review_case"))
    return type(person).objects.get(pk=person.pk)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def held_copy(artist, thief, django_capture_on_commit_callbacks):
    original, _ = posted(artist, encoded(ARTWORK), django_capture_on_commit_callbacks, title="Astronaut")
    copy = ImageOps.mirror(ARTWORK.crop((8, 8, 504, 504)))
    post, _ = posted(thief, encoded(copy, "JPEG", quality=80), django_capture_on_commit_callbacks, title="Mine now")
    assert post.state == PostState.HELD
    return original, post


def test_the_uploader_reads_why_their_post_is_held(held_copy, thief):
    _, post = held_copy
    page = signed_in(thief).get(post.get_absolute_url())
    assert page.status_code == 200
    assert "looks like a work already posted by someone else" in page.content.decode()
    assert Client().get(post.get_absolute_url()).status_code == 404


def test_the_artist_is_told_and_confirms_from_the_reposts_page(held_copy, artist, thief):
    _original, post = held_copy
    (line,) = [group for group in group_notifications(visible_notifications(artist)) if group.verb == Verb.REPOST]
    assert "looks like your work “Astronaut”" in line.text
    assert line.url == reverse("theft:reposts")
    client = signed_in(artist)
    page = client.get(line.url).content.decode()
    assert "That's mine, not theirs" in page and "Mine now" not in page  # the held copy's title stays private
    match = RepostMatch.objects.get(post=post)
    response = client.post(reverse("theft:answer", args=[match.pk]), {"answer": "mine"})
    assert response.status_code == 302
    match.refresh_from_db()
    assert match.status == MatchStatus.CONFIRMED


def test_nobody_else_can_answer_for_the_artist(held_copy, thief):
    _, post = held_copy
    match = RepostMatch.objects.get(post=post)
    signed_in(thief).post(reverse("theft:answer", args=[match.pk]), {"answer": "not_mine"})
    signed_in(thief).post(reverse("theft:answer", args=[match.pk + 999]), {"answer": "not_mine"})
    match.refresh_from_db()
    assert match.status == MatchStatus.PENDING
    assert Client().post(reverse("theft:answer", args=[match.pk]), {"answer": "mine"}).status_code == 302
    match.refresh_from_db()
    assert match.status == MatchStatus.PENDING


def test_the_moderator_sees_both_works_side_by_side_and_takes_the_copy_down(held_copy, moderator):
    original, post = held_copy
    client = Client()
    pass_second_factor(client, moderator)
    case = ReviewCase.objects.get(post=post)
    page = client.get(reverse("moderation:case", args=[case.pk])).content.decode()
    assert page.count('data-testid="repost-pair"') == 1
    assert "Possible repost" in page and "“Astronaut”" in page and "@bram" in page
    response = client.post(
        reverse("moderation:case", args=[case.pk]), {"action": Action.TAKE_DOWN, "note": "A repost of @ines's work"}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.state == PostState.TAKEN_DOWN
    original.refresh_from_db()
    assert original.state == PostState.PUBLIC


def test_image_search_finds_public_work_of_others_only(artist, thief, django_capture_on_commit_callbacks):
    public, _ = posted(artist, encoded(ARTWORK), django_capture_on_commit_callbacks, title="Astronaut")
    draft = services.post_create_draft(author=artist)
    from tests.posts.support import add_file

    add_file(draft, encoded(OTHER_WORK), capture=django_capture_on_commit_callbacks)  # private: never found
    client = signed_in(thief)
    url = reverse("theft:image_search")
    for picture, expected in ((ImageOps.mirror(ARTWORK), "“Astronaut”"), (OTHER_WORK, "No public post looks like it")):
        upload = io.BytesIO(encoded(picture, "JPEG", quality=80))
        upload.name = "mine.jpg"
        page = client.post(url, {"image": upload}).content.decode()
        assert expected in page
    upload = io.BytesIO(b"GIF89a not really")
    upload.name = "broken.gif"
    assert "could not be read" in client.post(url, {"image": upload}).content.decode()
    assert public.state == PostState.PUBLIC


def test_image_search_is_for_signed_in_people_and_rate_limited(thief, settings):
    anonymous = Client().get(reverse("theft:image_search"))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    client = signed_in(thief)
    statuses = []
    for _ in range(31):
        upload = io.BytesIO(encoded(Image.new("RGB", (64, 64), (10, 10, 10))))
        upload.name = "flat.png"
        statuses.append(client.post(reverse("theft:image_search"), {"image": upload}).status_code)
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
