"""Bookmarks: one click from a card or the post page, private to their owner, only of visible posts."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from atelier.albums.models import Bookmark
from atelier.posts.models import Post, PostState
from atelier.social.models import Block, Mute
from tests.albums.conftest import HTMX, make_post

pytestmark = pytest.mark.django_db

BOOKMARKS = "/bookmarks/"


def add(client, post, **extra):
    return client.post(reverse("albums:bookmark_add", args=[post.pk]), extra.pop("data", {}), **extra)


def card_titles(page: str) -> list[str]:
    return re.findall(r'<span class="post-card-title">([^<]*)</span>', page)


def test_bookmark_and_remove_without_javascript(signed_in_client, user, work):
    response = add(signed_in_client, work, data={"next": work.get_absolute_url()})
    assert response.status_code == 302 and response.url == work.get_absolute_url()
    add(signed_in_client, work)  # twice changes nothing
    assert Bookmark.objects.filter(user=user, post=work).count() == 1
    page = signed_in_client.get(work.get_absolute_url()).content.decode()
    assert "Remove bookmark" in page and reverse("albums:bookmark_remove", args=[work.pk]) in page

    response = signed_in_client.post(reverse("albums:bookmark_remove", args=[work.pk]), {"next": "https://evil.test/"})
    assert response.status_code == 302 and response.url == BOOKMARKS  # an off-site `next` is ignored
    assert not Bookmark.objects.filter(user=user).exists()


def test_htmx_swaps_just_the_button(signed_in_client, work):
    response = add(signed_in_client, work, data={"place": "card"}, headers=HTMX)
    fragment = response.content.decode()
    assert response.status_code == 200 and fragment.lstrip().startswith("<form")
    assert 'aria-pressed="true"' in fragment and reverse("albums:bookmark_remove", args=[work.pk]) in fragment
    response = signed_in_client.post(reverse("albums:bookmark_remove", args=[work.pk]), {"place": "page"}, headers=HTMX)
    fragment = response.content.decode()
    assert ">Bookmark</button>" in fragment and 'aria-pressed="false"' in fragment


@pytest.mark.parametrize("state", ["draft", "processing", "removed"])
def test_a_post_you_cannot_see_cannot_be_bookmarked(signed_in_client, artist, state):
    hidden = make_post(artist, state=state)
    assert add(signed_in_client, hidden).status_code == 404
    assert not Bookmark.objects.exists()


@pytest.mark.parametrize("relation", ["blocked_by_author", "blocking_author", "muting_author"])
def test_posts_of_blocked_or_muted_people_cannot_be_bookmarked(signed_in_client, user, artist, work, relation):
    if relation == "blocked_by_author":
        Block.objects.create(blocker=artist, blocked=user)
    elif relation == "blocking_author":
        Block.objects.create(blocker=user, blocked=artist)
    else:
        Mute.objects.create(muter=user, muted=artist)
    assert add(signed_in_client, work).status_code == 404
    assert not Bookmark.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, work):
    response = add(client, work)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    assert client.get(BOOKMARKS).url.startswith(reverse("accounts:login"))
    page = client.get(work.get_absolute_url()).content.decode()
    assert f"{reverse('accounts:login')}?next=" in page and "bookmark_add" not in page
    assert not Bookmark.objects.exists()


def test_bookmarking_needs_the_csrf_token(user, work):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert add(client, work).status_code == 403
    assert not Bookmark.objects.exists()


def test_the_bookmarks_page_is_newest_first_private_and_only_visible_posts(
    signed_in_client, stranger_client, user, artist
):
    older, newer, gone = make_post(artist, "Older"), make_post(artist, "Newer"), make_post(artist, "Gone")
    for post in (older, newer, gone):
        add(signed_in_client, post)
    Bookmark.objects.filter(post=older).update(created_at=timezone.now() - timezone.timedelta(days=1))
    Post.objects.filter(pk=gone.pk).update(state=PostState.TAKEN_DOWN)

    page = signed_in_client.get(BOOKMARKS).content.decode()
    assert card_titles(page)[:2] == ["Newer", "Older"] and "Gone" not in card_titles(page)
    assert page.count('aria-pressed="true"') == 2  # each card offers "Remove bookmark"

    theirs = stranger_client.get(BOOKMARKS).content.decode()
    assert card_titles(theirs) == [] and "Nothing bookmarked yet" in theirs
    assert '<a role="menuitem" href="/bookmarks/">Bookmarks</a>' in theirs


def count_queries(client, address) -> int:
    client.get(address)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


def test_the_bookmarks_page_runs_the_same_queries_for_2_or_10(signed_in_client, artist):
    for number in range(2):
        add(signed_in_client, make_post(artist, f"Work {number}"))
    few = count_queries(signed_in_client, BOOKMARKS)
    for number in range(2, 10):
        add(signed_in_client, make_post(artist, f"Work {number}"))
    many = count_queries(signed_in_client, BOOKMARKS)
    assert len(card_titles(signed_in_client.get(BOOKMARKS).content.decode())) == 10
    assert few == many


def test_the_profile_grid_shows_the_viewers_bookmarks_in_constant_queries(signed_in_client, artist):
    posts = [make_post(artist, f"Work {number}") for number in range(2)]
    add(signed_in_client, posts[0])
    address = artist.get_absolute_url()
    few = count_queries(signed_in_client, address)
    posts += [make_post(artist, f"Work {number}") for number in range(2, 10)]
    for post in posts[2:6]:
        add(signed_in_client, post)
    many = count_queries(signed_in_client, address)
    page = signed_in_client.get(address).content.decode()
    assert page.count('aria-pressed="true"') == 5 and page.count('aria-pressed="false"') == 5
    assert few == many
