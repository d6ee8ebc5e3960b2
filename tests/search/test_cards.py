"""Search result cards reuse the feeds' rendered card links (feeds.feed_cache), never a stale one."""

import pytest
from django.urls import reverse

from atelier.posts.models import Post

pytestmark = pytest.mark.django_db
URL = reverse("search:search")


def test_a_changed_post_shows_its_new_card(client, make_user, make_published_post):
    post = make_published_post(make_user("painter"), title="Lighthouse at dusk")
    first = client.get(URL, {"q": "lighthouse"}).content.decode()
    assert "Lighthouse at dusk" in first
    assert first == client.get(URL, {"q": "lighthouse"}).content.decode().replace("\r", "")  # the same card again
    Post.objects.filter(pk=post.pk).update(title="Lighthouse at dawn")
    second = client.get(URL, {"q": "lighthouse"}).content.decode()
    assert "Lighthouse at dawn" in second
    assert "Lighthouse at dusk" not in second


def test_the_same_post_in_two_searches_shows_the_same_card(client, make_user, make_published_post):
    make_published_post(make_user("painter"), title="Stormy lighthouse", tags=["coast"])

    def card(query):  # the card's link; its menu links back to the page it is on
        body = client.get(URL, {"q": query}).content.decode()
        start = body.index('<li class="post-card')
        return body[start : body.index("</a>", start)]

    assert card("lighthouse") == card("stormy") == card("coast")


def test_signed_in_cards_keep_the_bookmark_menu(signed_in_client, make_user, make_published_post):
    make_published_post(make_user("painter"), title="Lighthouse at dusk")
    body = signed_in_client.get(URL, {"q": "lighthouse"}).content.decode()
    assert 'class="post-card' in body
    assert "Lighthouse at dusk" in body
