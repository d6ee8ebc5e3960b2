"""Likes and comments on a post page: visibility, blocks, sanitising, mentions, deletion, limits, queries."""

import re
from urllib.parse import unquote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from atelier.accounts.models import User
from atelier.core.cursors import encode_cursor
from atelier.posts import services as post_services
from atelier.posts.models import Post, PostState
from atelier.social import services
from atelier.social.models import Block, Comment, Like, Mute
from tests.posts.support import add_embed
from tests.social.conftest import client_for

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def like_url(post, name: str = "like") -> str:
    return reverse(f"social:{name}", kwargs={"post_id": post.pk})


def comment_url(post) -> str:
    return reverse("social:comment_create", kwargs={"post_id": post.pk})


def delete_url(comment) -> str:
    return reverse("social:comment_delete", kwargs={"comment_id": comment.pk})


def comment(post, author, body: str = "Lovely light.", parent=None) -> Comment:
    return services.comment_create(author=author, post_id=post.pk, body=body, parent_id=parent and parent.pk)


# --- likes


def test_like_and_unlike(reader_client, reader, post):
    assert reader_client.post(like_url(post)).status_code == 302
    assert Like.objects.filter(user=reader, post=post).exists()
    page = reader_client.get(post.get_absolute_url()).content.decode()
    assert "1 like<" in page and 'aria-pressed="true"' in page
    response = reader_client.post(like_url(post, "unlike"), headers=HTMX)
    assert response.status_code == 200 and "0 likes" in response.content.decode()
    assert not Like.objects.exists()


@pytest.mark.parametrize("state", ["draft", "processing", "removed", "author_blocked_reader"])
def test_liking_or_commenting_on_a_post_you_cannot_see_is_a_404(reader_client, reader, author, post, state):
    if state == "draft":
        target = post_services.post_create_draft(author=author)
        add_embed(target)
    elif state == "processing":
        Post.objects.filter(pk=post.pk).update(state=PostState.CHECKING)
        target = post
    elif state == "removed":
        Post.objects.filter(pk=post.pk).update(state=PostState.TAKEN_DOWN)
        target = post
    else:
        Block.objects.create(blocker=author, blocked=reader)
        target = post
    assert reader_client.post(like_url(target)).status_code == 404
    assert reader_client.post(comment_url(target), {"body": "hello"}).status_code == 404
    assert reader_client.post(comment_url(target), {"body": ""}).status_code == 404, "404 before form errors"
    assert not Like.objects.exists() and not Comment.objects.exists()


def test_anonymous_is_sent_to_log_in_and_csrf_is_enforced(client, reader, post):
    for address in (like_url(post), comment_url(post)):
        response = client.post(address, {"body": "hi"})
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reader)
    assert strict.post(like_url(post)).status_code == 403
    assert strict.post(comment_url(post), {"body": "hi"}).status_code == 403
    assert not Like.objects.exists() and not Comment.objects.exists()


# --- comments


def test_comment_and_reply_without_javascript(reader_client, reader, author_client, post):
    response = reader_client.post(comment_url(post), {"body": "Lovely *light*."})
    assert response.status_code == 302 and response.url == f"{post.get_absolute_url()}#comments"
    top = Comment.objects.get()
    assert top.body_html == "<p>Lovely <em>light</em>.</p>\n"
    author_client.post(comment_url(post), {"body": "Thank you!", "parent": top.pk})
    reply = Comment.objects.get(parent=top)
    # A reply to the reply joins the top-level comment: one level only.
    reader_client.post(comment_url(post), {"body": "You're welcome", "parent": reply.pk})
    assert Comment.objects.filter(parent=top).count() == 2
    page = reader_client.get(post.get_absolute_url()).content.decode()
    assert page.count('class="comment comment-reply"') == 2 and "Thank you!" in page


def test_comment_under_htmx_answers_with_the_thread(reader_client, post):
    response = reader_client.post(comment_url(post), {"body": "Nice"}, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<section class="comments" id="comments"')
    assert "<p>Nice</p>" in body


def test_script_in_a_comment_never_reaches_the_page(reader_client, reader, post):
    body = "<script>alert('x')</script> <img src=x onerror=alert(1)> [bad](javascript:alert(1)) **ok**"
    reader_client.post(comment_url(post), {"body": body})
    stored = Comment.objects.get()
    assert "<script" not in stored.body_html and "<img" not in stored.body_html
    assert 'href="javascript:' not in stored.body_html and "<strong>ok</strong>" in stored.body_html
    page = reader_client.get(post.get_absolute_url()).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert" in page
    assert "<script" not in page.split("</head>", 1)[1]


def test_mentions_link_existing_handles_only(reader_client, author, post):
    reader_client.post(comment_url(post), {"body": "@Mira and @nobody_here, mail me@example.com"})
    html = Comment.objects.get().body_html
    assert f'<a href="{author.get_absolute_url()}" class="mention">@mira</a>' in html
    assert "@nobody_here" in html and "/@nobody_here" not in html
    assert 'href="/@example' not in html


def test_a_too_long_or_empty_comment_is_a_400(reader_client, post):
    response = reader_client.post(comment_url(post), {"body": "x" * 2001})
    assert response.status_code == 400 and "2000" in response.content.decode()
    response = reader_client.post(comment_url(post), {"body": "x" * 2001}, headers=HTMX)
    assert response.status_code == 400 and 'id="comments"' in response.content.decode()
    assert reader_client.post(comment_url(post), {"body": "   "}).status_code == 400
    assert not Comment.objects.exists()
    assert reader_client.post(comment_url(post), {"body": "x" * 2000}).status_code == 302


def test_comments_are_rate_limited(reader_client, post, settings):
    settings.COMMENTS_PER_MINUTE = 3
    for number in range(3):
        assert reader_client.post(comment_url(post), {"body": f"n{number}"}).status_code == 302
    response = reader_client.post(comment_url(post), {"body": "one more"})
    assert response.status_code == 429 and "commenting very fast" in response.content.decode()
    assert int(response.headers["Retry-After"]) >= 1
    assert reader_client.post(comment_url(post), {"body": "more"}, headers=HTMX).status_code == 429
    assert Comment.objects.count() == 3


def test_who_may_delete_a_comment(post, author, reader, make_user):
    stranger = make_user("stranger")
    mine = comment(post, reader)
    theirs = comment(post, stranger)
    assert client_for(stranger).post(delete_url(mine)).status_code == 403
    assert client_for(reader).post(delete_url(theirs)).status_code == 403
    assert client_for(reader).post(delete_url(mine)).status_code == 302
    assert client_for(author).post(delete_url(theirs)).status_code == 302, "the post's author moderates"
    assert not Comment.objects.exists()
    assert client_for(author).post(reverse("social:comment_delete", kwargs={"comment_id": 999999})).status_code == 404


def test_deleting_a_comment_on_a_post_you_cannot_see_is_a_404(post, author, reader, make_user):
    mine = comment(post, reader)
    Block.objects.create(blocker=author, blocked=reader)
    assert client_for(reader).post(delete_url(mine)).status_code == 404
    assert Comment.objects.exists()


@pytest.mark.parametrize("relation", ["viewer_blocks", "viewer_mutes", "commenter_blocks_viewer"])
def test_comments_of_hidden_people_are_not_shown(post, author, reader, make_user, relation):
    viewer = make_user("viewer")
    comment(post, reader, "Hidden words")
    top = comment(post, author, "Visible words")
    comment(post, reader, "Hidden reply", parent=top)
    if relation == "viewer_blocks":
        Block.objects.create(blocker=viewer, blocked=reader)
    elif relation == "viewer_mutes":
        Mute.objects.create(muter=viewer, muted=reader)
    else:
        Block.objects.create(blocker=reader, blocked=viewer)
    page = client_for(viewer).get(post.get_absolute_url()).content.decode()
    assert "Visible words" in page and "Hidden" not in page
    assert "Hidden words" in Client().get(post.get_absolute_url()).content.decode()


def test_a_blocked_person_cannot_comment_on_the_blockers_posts(post, author, reader, reader_client):
    top = comment(post, author)
    Block.objects.create(blocker=author, blocked=reader)
    assert reader_client.post(comment_url(post), {"body": "hi", "parent": top.pk}).status_code == 404
    assert Comment.objects.count() == 1


def test_replying_to_a_comment_on_another_post_is_a_404(make_post, post, reader, reader_client):
    other = make_post(title="Other")
    elsewhere = comment(other, reader)
    assert reader_client.post(comment_url(post), {"body": "hi", "parent": elsewhere.pk}).status_code == 404


# --- queries


def count_queries(client, address) -> int:
    client.get(address)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_post_page_runs_the_same_queries_for_2_or_10_comments_and_likes(post, make_user, signed_in):
    viewer_client = client_for(make_user("viewer")) if signed_in else Client()

    def add(start: int, stop: int):
        for number in range(start, stop):
            person = make_user(f"fan{number}")
            Like.objects.create(user=person, post=post)
            top = comment(post, person, f"Comment {number} @mira")
            comment(post, post.author, f"Reply {number}", parent=top)

    add(0, 2)
    few = count_queries(viewer_client, post.get_absolute_url())
    add(2, 10)
    many = count_queries(viewer_client, post.get_absolute_url())
    page = viewer_client.get(post.get_absolute_url()).content.decode()
    assert page.count('<li class="comment" id=') == 10 and page.count('class="comment comment-reply"') == 10
    assert "10 likes" in page
    assert few == many


def test_likes_and_comments_refresh_the_stored_engagement_on_commit(post, reader, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.like_create(user=reader, post_id=post.pk)
        comment(post, reader)
    post.refresh_from_db()
    assert (post.like_count, post.comment_count) == (1, 1)


# --- a long conversation, a page at a time


def older_url(post, cursor: str) -> str:
    return f"{reverse('social:comments_older', kwargs={'post_id': post.pk})}?before={cursor}"


def older_link(html: str) -> str | None:
    """The "Older comments" link's cursor, None when there is no link."""
    found = re.search(r'hx-get="[^"]*\?before=([^"]+)"', html)
    return found and unquote(found.group(1))


@pytest.fixture
def long_thread(post, make_user, monkeypatch):
    """Nine top-level comments, each with a reply, shown four at a time."""
    monkeypatch.setattr("atelier.social.selectors.COMMENTS_PER_PAGE", 4)
    for number in range(9):
        top = comment(post, make_user(f"fan{number}"), f"Comment number {number}.")
        comment(post, post.author, f"Reply to {number}.", parent=top)
    return post


def shown_numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"Comment number (\d+)\.", html)]


def test_a_long_thread_shows_the_newest_comments_first_and_the_rest_a_page_at_a_time(long_thread):
    viewer = Client()
    page = viewer.get(long_thread.get_absolute_url()).content.decode()
    assert shown_numbers(page) == [8, 7, 6, 5] and page.count("Reply to") == 4
    cursor = older_link(page)
    seen = shown_numbers(page)
    while cursor:
        response = viewer.get(older_url(long_thread, cursor), headers=HTMX)
        assert response.status_code == 200
        fragment = response.content.decode()
        assert fragment.lstrip().startswith('<li class="comment"') and "<section" not in fragment
        seen += shown_numbers(fragment)
        cursor = older_link(fragment)
    assert seen == [8, 7, 6, 5, 4, 3, 2, 1, 0]


def test_older_comments_without_javascript_are_a_page_with_its_own_link_on(long_thread):
    cursor = older_link(Client().get(long_thread.get_absolute_url()).content.decode())
    page = Client().get(older_url(long_thread, cursor)).content.decode()
    assert "<html" in page and shown_numbers(page) == [4, 3, 2, 1]
    assert f'href="{long_thread.get_absolute_url()}#comments"' in page and older_link(page)


def test_a_new_comment_shows_at_the_top_of_a_long_thread(long_thread, reader_client):
    response = reader_client.post(comment_url(long_thread), {"body": "Comment number 99."}, headers=HTMX)
    assert response.status_code == 200 and shown_numbers(response.content.decode()) == [99, 8, 7, 6]


def test_a_broken_or_foreign_cursor_is_a_clear_400_and_a_hidden_post_a_404(long_thread, author, reader, reader_client):
    page = Client().get(long_thread.get_absolute_url()).content.decode()
    cursor = older_link(page)
    tampered = Client().get(older_url(long_thread, cursor[:-3] + "abc"))
    assert tampered.status_code == 400 and "broken or too old" in tampered.content.decode()
    assert Client().get(older_url(long_thread, "not-a-cursor"), headers=HTMX).status_code == 400
    foreign = encode_cursor("discover", {"position": [1, 2]})  # a feed's cursor, not a thread's
    assert Client().get(older_url(long_thread, foreign)).status_code == 400
    Block.objects.create(blocker=author, blocked=reader)
    assert reader_client.get(older_url(long_thread, cursor)).status_code == 404
    long_thread.state = PostState.DRAFT
    long_thread.save(update_fields=["state"])
    assert Client().get(older_url(long_thread, cursor)).status_code == 404


def test_hidden_people_stay_hidden_on_older_pages(long_thread, make_user):
    viewer = make_user("viewer")
    hidden = Comment.objects.get(body="Comment number 1.").author
    Mute.objects.create(muter=viewer, muted=hidden)
    client = client_for(viewer)
    cursor = older_link(client.get(long_thread.get_absolute_url()).content.decode())
    assert shown_numbers(client.get(older_url(long_thread, cursor)).content.decode()) == [4, 3, 2, 0]


def replies_url(parent, cursor: str) -> str:
    return f"{reverse('social:replies_more', kwargs={'comment_id': parent.pk})}?after={cursor}"


def more_replies_link(html: str) -> str | None:
    found = re.search(r'hx-get="/comments/\d+/replies\?after=([^"]+)"', html)
    return found and unquote(found.group(1))


def shown_replies(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"Reply number (\d+)\.", html)]


@pytest.fixture
def busy_comment(post, make_user, monkeypatch):
    """One comment with seven replies, shown three at a time."""
    monkeypatch.setattr("atelier.social.selectors.REPLIES_PER_PAGE", 3)
    top = comment(post, make_user("asker"), "Which brushes?")
    for number in range(7):
        comment(post, make_user(f"answer{number}"), f"Reply number {number}.", parent=top)
    return top


def test_a_long_reply_chain_shows_its_first_replies_and_the_rest_a_page_at_a_time(post, busy_comment):
    viewer = Client()
    page = viewer.get(post.get_absolute_url()).content.decode()
    assert shown_replies(page) == [0, 1, 2]
    seen, cursor = shown_replies(page), more_replies_link(page)
    while cursor:
        response = viewer.get(replies_url(busy_comment, cursor), headers=HTMX)
        assert response.status_code == 200
        fragment = response.content.decode()
        assert fragment.lstrip().startswith('<li class="comment comment-reply"')
        seen += shown_replies(fragment)
        cursor = more_replies_link(fragment)
    assert seen == [0, 1, 2, 3, 4, 5, 6]
    plain = viewer.get(replies_url(busy_comment, more_replies_link(page))).content.decode()
    assert "<html" in plain and shown_replies(plain) == [3, 4, 5]


def test_the_post_page_runs_the_same_queries_however_many_replies(post, busy_comment, make_user):
    few = count_queries(Client(), post.get_absolute_url())
    for number in range(7, 20):
        comment(post, make_user(f"late{number}"), f"Reply number {number}.", parent=busy_comment)
    assert count_queries(Client(), post.get_absolute_url()) == few


def test_more_replies_refuses_what_the_viewer_may_not_read(post, author, busy_comment, make_user):
    cursor = more_replies_link(Client().get(post.get_absolute_url()).content.decode())
    assert Client().get(replies_url(busy_comment, "tampered")).status_code == 400
    reply = Comment.objects.filter(parent=busy_comment).first()
    assert Client().get(replies_url(reply, cursor)).status_code == 404  # a reply has no replies page
    viewer = make_user("viewer")
    Mute.objects.create(muter=viewer, muted=busy_comment.author)
    assert client_for(viewer).get(replies_url(busy_comment, cursor)).status_code == 404
    hidden = Comment.objects.get(body="Reply number 4.").author
    Mute.objects.create(muter=make_user("other"), muted=hidden)
    other = client_for(User.objects.get(handle="other"))
    assert shown_replies(other.get(replies_url(busy_comment, cursor)).content.decode()) == [3, 5, 6]
    post.state = PostState.DRAFT
    post.save(update_fields=["state"])
    assert Client().get(replies_url(busy_comment, cursor)).status_code == 404
