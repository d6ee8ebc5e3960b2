"""Who sees which post (one rule, on the QuerySet), the post and profile pages, and what they may contain."""

import logging
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from atelier.media.embeds import EMBED_FRAME_ORIGINS
from atelier.media.models import MediaItem
from atelier.posts import services
from atelier.posts.models import Post, PostState
from tests.media.sample_files import quadrant_bytes
from tests.posts.support import (
    SKETCHFAB_URL,
    VIMEO_URL,
    YOUTUBE_URL,
    add_embed,
    add_file,
    add_image,
    publish,
    save_details,
    url,
)

pytestmark = pytest.mark.django_db


def new_post(author, *, capture, title: str, published: bool = True, ready: bool = True) -> Post:
    post = services.post_create_draft(author=author)
    add_embed(post)
    if not ready:
        add_file(post, quadrant_bytes("PNG", (120, 90)), capture=capture, process=False)
    if published:
        return publish(post, capture=capture, title=title)
    return save_details(post, title=title)


@pytest.fixture
def posts(author, capture) -> dict[str, Post]:
    made = {
        "draft": new_post(author, capture=capture, title="Sketchbook draft", published=False),
        "public": new_post(author, capture=capture, title="Finished harbour"),
        "processing": new_post(author, capture=capture, title="Still processing", ready=False),
        "removed": new_post(author, capture=capture, title="Taken down"),
    }
    Post.objects.filter(pk=made["removed"].pk).update(state=PostState.TAKEN_DOWN)
    return made


def visible(viewer, posts) -> set[str]:
    ids = set(Post.objects.visible_to(viewer).values_list("pk", flat=True))
    return {name for name, post in posts.items() if post.pk in ids}


def test_visibility_rules_live_on_the_queryset(author, stranger, posts):
    assert visible(None, posts) == visible(AnonymousUser(), posts) == {"public"}
    assert visible(stranger, posts) == {"public"}
    assert set(Post.objects.public().values_list("title", flat=True)) == {"Finished harbour"}
    assert visible(author, posts) == {"draft", "public", "processing"}  # never what was removed


@pytest.mark.parametrize(("name", "stranger_status"), [("draft", 404), ("public", 200), ("processing", 404)])
def test_the_post_page_shows_only_what_the_viewer_may_see(author_client, stranger_client, posts, name, stranger_status):
    address = posts[name].get_absolute_url()
    assert stranger_client.get(address).status_code == stranger_status
    assert Client().get(address).status_code == stranger_status
    assert author_client.get(address).status_code == 200


def test_the_author_sees_their_own_hidden_posts_with_a_notice(author_client, posts):
    draft = author_client.get(posts["draft"].get_absolute_url()).content.decode()
    assert "This is a draft: only you can see it." in draft
    processing = author_client.get(posts["processing"].get_absolute_url()).content.decode()
    assert "Checking your work…" in processing and "Only you can see this post until every file is." in processing
    public = author_client.get(posts["public"].get_absolute_url()).content.decode()
    assert "banner-notice" not in public and url("edit", posts["public"]) in public
    assert author_client.get(posts["removed"].get_absolute_url()).status_code == 404


def test_the_profile_grid_shows_drafts_only_to_their_owner(author, author_client, stranger_client, posts):
    # The newest published post leads the portfolio as its wide cover; every other one is a card.
    shown = r'<span class="(?:post-card|featured-post)-title">([^<]*)</span>'
    others = stranger_client.get(author.get_absolute_url()).content.decode()
    assert re.findall(shown, others) == ["Finished harbour"]
    own = author_client.get(author.get_absolute_url()).content.decode()
    titles = re.findall(shown, own)
    assert sorted(titles) == ["Finished harbour", "Sketchbook draft", "Still processing"]
    assert own.count('<span class="badge post-card-badge">Draft</span>') == 1


# A fixed number of queries, however long the list


def count_queries(client, address) -> int:
    client.get(address)  # warm caches (sessions, content types) that later requests would not repeat
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


@pytest.mark.parametrize("viewer", ["anonymous", "owner"])
def test_the_profile_page_runs_the_same_queries_for_3_or_12_posts(client, author, capture, viewer):
    if viewer == "owner":
        client.force_login(author)
    made = [new_post(author, capture=capture, title=f"Work {number}") for number in range(3)]
    few = count_queries(client, author.get_absolute_url())
    made += [new_post(author, capture=capture, title=f"Work {number}") for number in range(3, 12)]
    many = count_queries(client, author.get_absolute_url())
    assert client.get(author.get_absolute_url()).content.decode().count('<li class="post-card') == 12
    assert few == many


def test_the_post_page_runs_the_same_queries_for_3_or_12_items(client, author, draft, capture):
    add_image(draft, capture=capture, size=(200, 150))
    add_embed(draft)
    add_embed(draft, VIMEO_URL)
    post = publish(draft, capture=capture, title="Many items", tags=["sea", "boats"], software=["Krita"])
    few = count_queries(client, post.get_absolute_url())
    for _ in range(9):
        add_embed(post, SKETCHFAB_URL)
    many = count_queries(client, post.get_absolute_url())
    assert client.get(post.get_absolute_url()).content.decode().count('<figure class="post-item') == 12
    assert few == many


# What a post page may contain


def test_the_description_is_markdown_with_everything_dangerous_removed(client, draft, capture):
    add_embed(draft)
    description = (
        "**Bold** and *soft*.\n\n<script>alert('x')</script>\n\n"
        "[my shop](https://example.com/shop) [bad](javascript:alert(1)) <img src=x onerror=alert(1)>"
    )
    publish(draft, capture=capture, title="<b>Title</b>", description=description)
    page = client.get(draft.get_absolute_url()).content.decode()
    prose = re.search(r'<div class="prose">(.*?)</div>', page, re.S).group(1)
    assert "<strong>Bold</strong> and <em>soft</em>." in prose
    assert '<a href="https://example.com/shop" rel="nofollow ugc noopener noreferrer">my shop</a>' in prose
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in prose.replace("&#x27;", "'")  # shown as text, inert
    assert "<script" not in prose and 'href="javascript:' not in prose and "<img" not in prose
    assert "<script>alert(" not in page and "<img src=x" not in page
    assert "<b>Title</b>" not in page and "&lt;b&gt;Title&lt;/b&gt;" in page


def test_embeds_load_nothing_from_third_parties_until_clicked(client, draft, capture):
    for link in (YOUTUBE_URL, VIMEO_URL, SKETCHFAB_URL):
        add_embed(draft, link)
    post = publish(draft, capture=capture)
    page = client.get(post.get_absolute_url()).content.decode()
    assert "<iframe" not in page
    sources = re.findall(r'\ssrc(?:set)?="([^"]*)"', page)
    assert sources and not [source for source in sources if "://" in source]  # only our own files
    players = re.findall(r'data-player="([^"]*)"', page)
    assert players == [
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1",
        "https://player.vimeo.com/video/76979871?autoplay=1&amp;dnt=1",
        "https://sketchfab.com/models/0123456789abcdef0123456789abcdef/embed?autostart=1",
    ]


TAMPERED = {
    "markup-in-the-id": {"provider": "youtube", "video_or_model_id": '"><script>alert(1)</script>'},
    "unknown-provider": {"provider": "evil", "video_or_model_id": "dQw4w9WgXcQ"},
    "extra-player-url": {"provider": "youtube", "video_or_model_id": "dQw4w9WgXcQ", "player": "https://evil.example/"},
    "bad-vimeo-code": {"provider": "vimeo", "video_or_model_id": "76979871", "vimeo_hash": 'ab" onload="alert(1)'},
    "start-as-text": {"provider": "youtube", "video_or_model_id": "dQw4w9WgXcQ", "start_seconds": "1;alert(1)"},
    "not-an-object": "https://evil.example/player",
}


@pytest.mark.parametrize("case", TAMPERED)
def test_a_tampered_embed_row_renders_nothing_and_is_logged(author_client, draft, capture, caplog, case):
    tampered = add_embed(draft)
    add_embed(draft, VIMEO_URL)
    post = publish(draft, capture=capture)
    MediaItem.objects.filter(pk=tampered.pk).update(embed=TAMPERED[case])
    with caplog.at_level(logging.WARNING, logger="atelier.posts.models"):
        response = Client().get(post.get_absolute_url())  # a visitor
    assert response.status_code == 200
    page = response.content.decode()
    assert "evil" not in page and "alert(1)" not in page and "youtube" not in page
    assert re.findall(r'data-player="([^"]*)"', page) == [
        "https://player.vimeo.com/video/76979871?autoplay=1&amp;dnt=1"
    ]
    assert f"Media item {tampered.pk} has an invalid stored embed" in caplog.text
    assert author_client.get(url("edit", post)).status_code == 200


def test_mature_work_is_badged(client, author, draft, capture):
    add_embed(draft)
    publish(draft, capture=capture, title="Figure study", is_mature=True)
    calm = new_post(author, capture=capture, title="Still life")
    assert '<span class="badge">Mature</span>' in client.get(draft.get_absolute_url()).content.decode()
    assert '<span class="badge">Mature</span>' not in client.get(calm.get_absolute_url()).content.decode()
    portfolio = client.get(author.get_absolute_url()).content.decode()
    cards = re.findall(r'<(?:li class="post-card|a class="featured-post)([^"]*)"', portfolio)
    assert sorted(cards) == ["", " is-mature"]


def test_frames_may_only_come_from_the_three_embed_players(client, draft, capture):
    add_embed(draft)
    post = publish(draft, capture=capture)
    policy = client.get(post.get_absolute_url())["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert (
        set(directives["frame-src"].split())
        == set(EMBED_FRAME_ORIGINS)
        == {
            "https://www.youtube-nocookie.com",
            "https://player.vimeo.com",
            "https://sketchfab.com",
        }
    )
    assert directives["frame-ancestors"] == "'none'" and directives["script-src"] == "'self'"
