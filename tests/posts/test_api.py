"""The posts API: the same visibility rule as the pages, and no original file ever named."""

import pytest
from django.test import Client

from tests.media.sample_files import animated_gif
from tests.posts.support import add_embed, add_file, add_image, publish

pytestmark = pytest.mark.django_db


def test_a_published_post_as_json(client, draft, capture):
    add_image(draft, capture=capture, size=(900, 600))
    add_file(draft, animated_gif(size=(160, 120), frames=4), capture=capture)
    add_embed(draft)
    post = publish(draft, capture=capture, title="Harbour at dawn", description="**Bold** <script>x</script>")

    body = client.get(f"/api/v1/posts/{post.pk}").json()

    assert (body["id"], body["title"], body["author"]) == (post.pk, "Harbour at dawn", "mira")
    assert "<strong>Bold</strong>" in body["description_html"] and "<script" not in body["description_html"]
    assert [item["kind"] for item in body["items"]] == ["image", "animation", "embed"]
    assert [size["width"] for size in body["items"][0]["sizes"]] == [320, 640, 900]
    assert body["items"][1]["animated_webp"].split("?")[0].endswith("-anim.webp")
    assert body["items"][2]["embed"]["player_url"].startswith("https://www.youtube-nocookie.com/embed/")
    assert body["thumbnail"]["sizes"] and body["thumbnail"]["avif_sizes"]
    originals = [item.original_name for item in post.items.all() if item.original_name]
    assert not any(name in str(body) for name in originals)


def test_drafts_are_only_visible_to_their_author(client, draft, capture, author):
    add_image(draft, capture=capture)
    assert client.get(f"/api/v1/posts/{draft.pk}").status_code == 404
    assert client.get(f"/api/v1/profiles/{author.handle}/posts").json() == []
    own = Client()
    own.force_login(author)
    assert own.get(f"/api/v1/posts/{draft.pk}").status_code == 200
    assert [post["id"] for post in own.get(f"/api/v1/profiles/{author.handle}/posts").json()] == [draft.pk]


def test_a_portfolio_lists_posts_newest_first_in_constant_queries(client, author, capture, django_assert_num_queries):
    from atelier.posts.services import post_create_draft

    def add_posts(count):
        for _ in range(count):
            post = post_create_draft(author=author)
            add_image(post, capture=capture, size=(64, 48))
            publish(post, capture=capture)

    add_posts(2)
    with django_assert_num_queries(3):  # the profile with its images, then the posts
        assert len(client.get(f"/api/v1/profiles/{author.handle}/posts").json()) == 2
    add_posts(4)
    with django_assert_num_queries(3):
        ids = [post["id"] for post in client.get(f"/api/v1/profiles/{author.handle}/posts").json()]
    assert ids == sorted(ids, reverse=True) and len(ids) == 6


def test_unknown_posts_and_profiles_are_404(client):
    assert client.get("/api/v1/posts/999999").status_code == 404
    assert client.get("/api/v1/profiles/nobody_here/posts").status_code == 404
