"""Feed cards reuse their rendered link per post version and URL signing window, and the page is
the same HTML the card template makes: the viewer's bookmark marks around it, hostile titles
escaped, an edit or a new signing window shown at once."""

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client

from atelier.albums.services import bookmark_add
from atelier.feeds import feed_cache
from atelier.posts.models import Post

pytestmark = pytest.mark.django_db

COVER = {
    "thumbnail": {
        "sizes": [
            {"w": 320, "h": 320, "name": "posts/1/thumb-320.webp"},
            {"w": 640, "h": 640, "name": "posts/1/t.webp"},
        ],
        "colour": "#334455",
    }
}


def cards(html: str) -> list[str]:
    return re.findall(r'<li class="post-card[^"]*">.*?</li>', html, flags=re.DOTALL)


@pytest.fixture
def page_of_cards(make_user, make_published_post):
    artists = [make_user(f"painter{index}") for index in range(4)]  # Discover shows two per artist
    posts = [make_published_post(artists[index], hours_ago=index + 1, covers=COVER) for index in range(3)]
    hostile = make_published_post(artists[3], hours_ago=0.5, title='<script>alert("x")</script> & <b>bold</b>')
    return artists, posts, hostile


def test_a_feed_card_is_the_card_template_with_the_viewer_s_marks(page_of_cards, user, signed_in_client, rf):
    _, posts, hostile = page_of_cards
    bookmark_add(user=user, post_id=posts[1].pk)
    for _ in range(2):  # the second page reuses the rendered links
        html = signed_in_client.get("/feed/discover/").content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    request = rf.get("/feed/discover/")
    request.user = user
    for post in (hostile, *posts):
        post = Post.objects.select_related("author").get(pk=post.pk)
        post.viewer_bookmarked = post.pk == posts[1].pk
        expected = render_to_string(
            "posts/includes/post_card.html", {"post": post, "show_author": True, "user": user}, request=request
        )
        matching = [card for card in cards(html) if f'href="{post.get_absolute_url()}"' in card]
        assert len(matching) == 1
        found = matching[0]
        strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|\s+')
        assert strip.sub("", found) == strip.sub("", expected)
    assert html.count("is-on") == 1  # only the bookmarked one, though every link came from the fragments


def test_an_edited_title_and_a_new_signing_window_show_on_the_next_page(page_of_cards, client, settings):
    _, posts, _ = page_of_cards
    first = client.get("/feed/discover/").content.decode()
    Post.objects.filter(pk=posts[0].pk).update(title="Renamed harbour")
    feed_cache.forget_posts([posts[0].pk])  # what every writer of a post does
    assert "Renamed harbour" in client.get("/feed/discover/").content.decode()
    signatures = set(re.findall(r"[?&]e=(\d+)&", first))  # each URL's expiry (media.signed_media)
    settings.SHIELD_MEDIA_URL_WINDOW_SECONDS = 3600  # another window number: every URL signed anew
    later = client.get("/feed/discover/").content.decode()
    assert signatures and not signatures & set(re.findall(r"[?&]e=(\d+)&", later))


def test_a_post_without_a_card_version_is_rendered_every_time(page_of_cards):
    _, posts, _ = page_of_cards
    calls = []

    def render():
        calls.append(1)
        return "<a>card</a>"

    post = Post.objects.get(pk=posts[0].pk)
    assert feed_cache.card_fragment(post, window=1, render=render) == "<a>card</a>"
    feed_cache.card_fragment(post, window=1, render=render)
    post.card_version = feed_cache.card_version(post)
    feed_cache.card_fragment(post, window=1, render=render)
    feed_cache.card_fragment(post, window=1, render=render)
    feed_cache.card_fragment(post, window=2, render=render)
    assert len(calls) == 4  # twice unversioned, once per version and window after


def test_the_visitor_s_front_page_cards_ask_them_to_sign_in(page_of_cards):
    html = Client().get("/feed/discover/").content.decode()
    assert len(cards(html)) == 4 and html.count("Log in to bookmark") >= 4
