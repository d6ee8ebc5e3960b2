"""Albums: made, filled, ordered and read through the pages, with every post through the visibility rule."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from atelier.albums import services
from atelier.albums.models import Album, AlbumItem
from atelier.albums.selectors import albums_for_profile
from atelier.posts.models import Post, PostState
from atelier.social.models import Block
from tests.albums.conftest import album_page, make_post

pytestmark = pytest.mark.django_db


def card_titles(page: str) -> list[str]:
    return re.findall(r'<span class="post-card-title">([^<]*)</span>', page)


def add_to(client, post, album_id, **data):
    return client.post(reverse("albums:add_to_album", args=[post.pk]), {"album": album_id, **data})


def fill(album, posts):
    for post in posts:
        services.album_add_post(album=album, user=album.owner, post_id=post.pk)


def order_of(album) -> list[int]:
    return list(album.items.order_by("position", "pk").values_list("post_id", flat=True))


def test_create_edit_and_delete_an_album(signed_in_client, user):
    response = signed_in_client.post(
        reverse("albums:new"), {"title": "Ships", "description": "Hulls", "is_public": "on"}
    )
    album = Album.objects.get(owner=user)
    assert response.status_code == 302 and response.url == album_page(album) and album.is_public
    assert signed_in_client.post(reverse("albums:new"), {"title": ""}).status_code == 400

    signed_in_client.post(reverse("albums:edit", args=[album.pk]), {"title": "Boats", "description": ""})
    album.refresh_from_db()
    assert (album.title, album.description, album.is_public) == ("Boats", "", False)

    response = signed_in_client.post(reverse("albums:delete", args=[album.pk]))
    assert response.url == reverse("albums:list", args=[user.handle]) and not Album.objects.exists()


def test_script_in_title_and_description_is_escaped(signed_in_client, client, user):
    album = services.album_create(
        owner=user, title="<script>alert('t')</script>", description="<img src=x onerror=alert(1)>", is_public=True
    )
    for page in (client.get(album_page(album)), client.get(reverse("albums:list", args=[user.handle]))):
        html = page.content.decode()
        assert "<script>alert" not in html and "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;" in html
        assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in client.get(album_page(album)).content.decode()


def test_add_visible_posts_own_or_others_in_order(signed_in_client, user, album, work):
    own = make_post(user, "My sketch")
    response = add_to(signed_in_client, work, album.pk, next="/@ines")
    assert response.status_code == 302 and response.url == "/@ines"
    add_to(signed_in_client, own, album.pk)
    assert order_of(album) == [work.pk, own.pk]
    assert card_titles(Client().get(album_page(album)).content.decode()) == ["Lighthouse", "My sketch"]


def test_add_to_a_new_album_from_the_form(signed_in_client, user, work, album):
    form = signed_in_client.get(reverse("albums:add_to_album", args=[work.pk])).content.decode()
    assert "Sea studies" in form and 'value="new"' in form
    response = add_to(signed_in_client, work, "new", new_title="Fresh")
    new = Album.objects.get(title="Fresh")
    assert response.url == album_page(new) and not new.is_public and order_of(new) == [work.pk]
    assert add_to(signed_in_client, work, "new", new_title="").status_code == 400


def test_adding_the_same_post_twice_says_so_and_keeps_one_row(signed_in_client, album, work):
    add_to(signed_in_client, work, album.pk)
    response = add_to(signed_in_client, work, album.pk)
    assert response.status_code == 400
    assert "This post is already in “Sea studies”." in response.content.decode()
    assert AlbumItem.objects.filter(album=album, post=work).count() == 1


@pytest.mark.parametrize("state", ["draft", "processing", "removed", "blocked"])
def test_a_post_you_cannot_see_cannot_be_added(signed_in_client, user, artist, album, state):
    if state == "blocked":
        Block.objects.create(blocker=artist, blocked=user)
        hidden = make_post(artist)
    else:
        hidden = make_post(artist, state=state)
    assert add_to(signed_in_client, hidden, album.pk).status_code == 404
    assert not AlbumItem.objects.exists()


def test_nobody_adds_to_or_changes_someone_elses_album(stranger_client, album, private_album, work):
    fill(album, [work])
    for target in (album, private_album):
        assert add_to(stranger_client, work, target.pk).status_code == 404
        assert stranger_client.post(reverse("albums:edit", args=[target.pk]), {"title": "Mine"}).status_code == 404
        assert stranger_client.post(reverse("albums:delete", args=[target.pk])).status_code == 404
        assert stranger_client.post(reverse("albums:reorder", args=[target.pk]), {"order": ""}).status_code == 404
    assert stranger_client.post(reverse("albums:item_remove", args=[album.pk, work.pk])).status_code == 404
    assert order_of(album) == [work.pk] and Album.objects.filter(title="Mine").count() == 0


def test_a_private_album_is_for_its_owner_only(signed_in_client, stranger_client, user, private_album, album):
    client = Client()
    assert signed_in_client.get(album_page(private_album)).status_code == 200
    assert stranger_client.get(album_page(private_album)).status_code == 404
    assert client.get(album_page(private_album)).status_code == 404
    others = stranger_client.get(reverse("albums:list", args=[user.handle])).content.decode()
    assert "Sea studies" in others and "Secret refs" not in others
    own = signed_in_client.get(reverse("albums:list", args=[user.handle])).content.decode()
    assert "Secret refs" in own and "New album" in own
    wrong_owner = reverse("albums:detail", kwargs={"handle": "ines-nobody", "album_id": album.pk})
    assert client.get(wrong_owner).status_code == 404


def test_reorder_with_buttons_and_with_a_list(signed_in_client, user, album, artist):
    posts = [make_post(artist, f"Work {number}") for number in range(3)]
    fill(album, posts)
    a, b, c = (post.pk for post in posts)
    signed_in_client.post(reverse("albums:item_move", args=[album.pk, c, "up"]))
    assert order_of(album) == [a, c, b]
    response = signed_in_client.post(reverse("albums:reorder", args=[album.pk]), {"order": f"{b},{a},{c}"})
    assert response.status_code == 302 and order_of(album) == [b, a, c]


@pytest.mark.parametrize("order", ["foreign", "twice", "words"])
def test_reorder_with_foreign_ids_is_refused(signed_in_client, album, artist, order):
    posts = [make_post(artist, f"Work {number}") for number in range(2)]
    fill(album, posts)
    stray = make_post(artist, "Not in the album")
    value = {
        "foreign": f"{posts[1].pk},{stray.pk}",
        "twice": f"{posts[0].pk},{posts[0].pk}",
        "words": "one,two",
    }[order]
    response = signed_in_client.post(reverse("albums:reorder", args=[album.pk]), {"order": value})
    assert response.status_code == 400
    assert order_of(album) == [posts[0].pk, posts[1].pk]
    assert signed_in_client.post(reverse("albums:item_move", args=[album.pk, stray.pk, "up"])).status_code == 400


def test_reordering_keeps_the_places_of_posts_hidden_from_the_owner(signed_in_client, user, album, artist, make_user):
    other = make_user("wren")
    posts = [make_post(artist, "A"), make_post(other, "Hidden"), make_post(artist, "C")]
    fill(album, posts)
    Block.objects.create(blocker=user, blocked=other)
    signed_in_client.post(reverse("albums:item_move", args=[album.pk, posts[2].pk, "up"]))
    assert order_of(album) == [posts[2].pk, posts[1].pk, posts[0].pk]


def test_the_cover_is_the_chosen_post_else_the_first(signed_in_client, user, album, artist):
    first, second = make_post(artist, "First"), make_post(artist, "Second")
    fill(album, [first, second])
    assert albums_for_profile(owner=user, viewer=None)[0].cover == first
    assert signed_in_client.post(reverse("albums:cover", args=[album.pk]), {"post": second.pk}).status_code == 302
    listed = albums_for_profile(owner=user, viewer=None)[0]
    assert listed.cover == second and listed.post_count == 2
    stray = make_post(artist, "Elsewhere")
    assert signed_in_client.post(reverse("albums:cover", args=[album.pk]), {"post": stray.pk}).status_code == 400
    Post.objects.filter(pk=second.pk).update(state=PostState.TAKEN_DOWN)  # a hidden cover falls back to the first
    listed = albums_for_profile(owner=user, viewer=None)[0]
    assert listed.cover == first and listed.post_count == 1


def test_a_post_that_becomes_hidden_disappears_from_the_album(signed_in_client, stranger, album, artist):
    client = Client()
    kept, removed, blocked = make_post(artist, "Kept"), make_post(artist, "Removed"), make_post(stranger, "Blocked")
    fill(album, [kept, removed, blocked])
    assert card_titles(client.get(album_page(album)).content.decode()) == ["Kept", "Removed", "Blocked"]
    Post.objects.filter(pk=removed.pk).update(state=PostState.TAKEN_DOWN)
    Block.objects.create(blocker=album.owner, blocked=stranger)
    assert card_titles(client.get(album_page(album)).content.decode()) == ["Kept", "Blocked"]
    assert card_titles(signed_in_client.get(album_page(album)).content.decode()) == ["Kept"]


def test_remove_a_post_from_the_album(signed_in_client, album, work):
    fill(album, [work])
    services.album_set_cover(album=album, user=album.owner, post_id=work.pk)
    response = signed_in_client.post(reverse("albums:item_remove", args=[album.pk, work.pk]))
    album.refresh_from_db()
    assert response.status_code == 302 and order_of(album) == [] and album.cover_post is None


def test_album_writes_need_login_and_csrf(client, user, album, work):
    response = client.post(reverse("albums:new"), {"title": "X"})
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    assert add_to(client, work, album.pk).url.startswith(reverse("accounts:login"))
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(user)
    assert guarded.post(reverse("albums:new"), {"title": "X"}).status_code == 403
    assert add_to(guarded, work, album.pk).status_code == 403
    assert guarded.post(reverse("albums:delete", args=[album.pk])).status_code == 403
    assert Album.objects.count() == 1 and not AlbumItem.objects.exists()


def count_queries(client, address) -> int:
    client.get(address)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


@pytest.mark.parametrize("viewer", ["anonymous", "owner"])
def test_album_pages_run_the_same_queries_for_2_or_10(client, user, artist, album, viewer):
    if viewer == "owner":
        client.force_login(user)
    fill(album, [make_post(artist, f"Work {number}") for number in range(2)])
    listing = reverse("albums:list", args=[user.handle])
    few = count_queries(client, album_page(album)), count_queries(client, listing)
    fill(album, [make_post(artist, f"Work {number}") for number in range(2, 10)])
    for number in range(8):
        extra = services.album_create(owner=user, title=f"Album {number}", is_public=True)
        fill(extra, [make_post(artist, f"More {number}")])
    many = count_queries(client, album_page(album)), count_queries(client, listing)
    assert len(card_titles(client.get(album_page(album)).content.decode())) == 10
    assert client.get(listing).content.decode().count('class="album-card"') == 9
    assert few == many
