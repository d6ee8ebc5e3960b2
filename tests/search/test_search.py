"""Search: what it finds on both databases, what it must never show, hostile input and query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from atelier.accounts.models import AccountType
from atelier.posts.models import Post, PostState
from atelier.search.selectors import search_artists, search_posts
from atelier.social.models import Block, Mute

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text and trigram search need PostgreSQL"
)
URL = reverse("search:search")


def _titles(page):
    return {post.title for post in page.results}


def _handles(page):
    return {profile.user.handle for profile in page.results}


def _hidden_post(make_published_post, author, title, **changes):
    """A published post then changed: the fixture itself sets the state."""
    post = make_published_post(author, title=title)
    Post.objects.filter(pk=post.pk).update(**changes)
    return post


def _profile(user, **fields):
    for name, value in fields.items():
        setattr(user.profile, name, value)
    user.profile.save()
    return user


# --- finding


def test_finds_posts_by_title_description_and_tag(make_user, make_published_post):
    author = make_user("painter")
    make_published_post(author, title="Lighthouse at dusk")
    make_published_post(author, title="Harbour study", description="Boats and a lighthouse beam in fog")
    make_published_post(author, title="Untitled sketch", tags=["lighthouse"])
    make_published_post(author, title="Forest path")
    found = _titles(search_posts(viewer=None, query="lighthouse"))
    assert found == {"Lighthouse at dusk", "Harbour study", "Untitled sketch"}


def test_finds_artists_by_name_handle_headline_and_skill(make_user):
    _profile(make_user("ines"), display_name="Inès Okafor")
    _profile(make_user("okafor_art"), display_name="Someone")
    _profile(make_user("brushwork"), headline="Matte painter for film")
    _profile(make_user("rigger"), skills=["Character rigging", "Matte painting"])
    _profile(make_user("quiet"), headline="Sculptor")
    studio = make_user("northstudio", account_type=AccountType.STUDIO)
    _profile(studio, display_name="North Studio", headline="Game art studio")
    assert _handles(search_artists(viewer=None, query="Okafor")) == {"ines", "okafor_art"}
    assert _handles(search_artists(viewer=None, query="matte")) == {"brushwork", "rigger"}
    assert "rigger" in _handles(search_artists(viewer=None, query="rigging"))
    assert _handles(search_artists(viewer=None, query="north studio")) == {"northstudio"}


def test_fallback_is_newest_first_on_sqlite(make_user, make_published_post):
    """Runs on both databases; on SQLite it exercises the icontains fallback and its order."""
    author = make_user("painter")
    make_published_post(author, title="Old lighthouse", hours_ago=10)
    make_published_post(author, title="New lighthouse", hours_ago=1)
    titles = [post.title for post in search_posts(viewer=None, query="lighthouse").results]
    assert set(titles) == {"Old lighthouse", "New lighthouse"}
    if connection.vendor == "sqlite":
        assert titles == ["New lighthouse", "Old lighthouse"]


@postgres_only
def test_typos_still_find_posts_and_artists(make_user, make_published_post):
    author = make_user("painter")
    make_published_post(author, title="Lighthouse at dusk")
    make_published_post(author, title="Forest path")
    _profile(make_user("port"), display_name="Ada Lovelace", headline="Portrait painter")
    assert _titles(search_posts(viewer=None, query="lighthuose")) == {"Lighthouse at dusk"}
    assert _handles(search_artists(viewer=None, query="portrat")) == {"port"}


@postgres_only
def test_websearch_syntax_and_ranking(make_user, make_published_post):
    author = make_user("painter")
    make_published_post(author, title="Red dragon", description="Scales")
    make_published_post(author, title="Green dragon", description="A dragon among dragons")
    make_published_post(author, title="Castle", description="A small dragon far away")
    assert _titles(search_posts(viewer=None, query="dragon -green")) == {"Red dragon", "Castle"}
    titles = [post.title for post in search_posts(viewer=None, query="dragon").results]
    assert titles[-1] == "Castle"  # title matches outrank a description mention


# --- never shown


def test_hidden_posts_never_appear(make_user, make_published_post, user):
    author, blocked, muted, blocker = (make_user(h) for h in ("author", "blockedone", "mutedone", "blocker"))
    make_published_post(author, title="Visible lighthouse")
    _hidden_post(make_published_post, author, "Draft lighthouse", state=PostState.DRAFT)
    _hidden_post(make_published_post, author, "Processing lighthouse", state=PostState.CHECKING)
    _hidden_post(make_published_post, author, "Removed lighthouse", state=PostState.TAKEN_DOWN)
    make_published_post(author, title="Mature lighthouse", is_mature=True)
    make_published_post(blocked, title="Blocked lighthouse")
    make_published_post(muted, title="Muted lighthouse")
    make_published_post(blocker, title="Blocker lighthouse")
    Block.objects.create(blocker=user, blocked=blocked)
    Block.objects.create(blocker=blocker, blocked=user)
    Mute.objects.create(muter=user, muted=muted)
    assert _titles(search_posts(viewer=None, query="lighthouse")) == {
        "Visible lighthouse",
        "Blocked lighthouse",
        "Muted lighthouse",
        "Blocker lighthouse",
    }
    assert _titles(search_posts(viewer=user, query="lighthouse")) == {"Visible lighthouse", "Mature lighthouse"}


def test_own_draft_is_not_a_search_result(signed_in_client, user, make_published_post):
    _hidden_post(make_published_post, user, "My draft lighthouse", state=PostState.DRAFT)
    response = signed_in_client.get(URL, {"q": "lighthouse"})
    assert response.status_code == 200
    assert "My draft lighthouse" not in response.content.decode()


def test_blocked_muted_and_deactivated_artists_never_appear(make_user, user):
    for handle in ("painter_one", "painter_two", "painter_three", "painter_four"):
        _profile(make_user(handle), headline="Painter")
    Block.objects.create(blocker=user, blocked=make_user("painter_blocked"))
    Block.objects.create(blocker=make_user("painter_blocker"), blocked=user)
    Mute.objects.create(muter=user, muted=make_user("painter_muted"))
    gone = make_user("painter_gone")
    gone.is_active = False
    gone.save()
    found = _handles(search_artists(viewer=user, query="painter"))
    assert found == {"painter_one", "painter_two", "painter_three", "painter_four"}
    assert "painter_gone" not in _handles(search_artists(viewer=None, query="painter"))


# --- the page


def test_page_renders_cards_and_tabs(client, make_user, make_published_post):
    make_published_post(_profile(make_user("painter"), display_name="Lighthouse Keeper"), title="Lighthouse")
    posts = client.get(URL, {"q": "lighthouse"})
    assert posts.status_code == 200
    assert 'class="post-card' in posts.content.decode()
    artists = client.get(URL, {"q": "lighthouse", "type": "artists"})
    assert 'class="profile-card' in artists.content.decode()
    assert "Lighthouse Keeper" in artists.content.decode()


def test_header_has_a_labelled_search_form(client):
    page = client.get(reverse("home")).content.decode()
    assert 'role="search"' in page
    assert 'for="site-search-q"' in page
    assert f'action="{URL}"' in page


def test_empty_query_is_a_friendly_message(client):
    response = client.get(URL, {"q": "   "})
    assert response.status_code == 200
    assert "Type a word or two" in response.content.decode()


def test_unknown_type_and_bad_page_fall_back(client):
    assert client.get(URL, {"q": "x", "type": "nope", "page": "abc"}).status_code == 200
    assert client.get(URL, {"q": "x", "page": "-5"}).status_code == 200


def test_too_long_query_is_refused_politely(client):
    response = client.get(URL, {"q": "a" * 10_000})
    assert response.status_code == 400
    assert "too long" in response.content.decode()
    assert client.get(URL, {"q": "a" * 201}).status_code == 400
    assert client.get(URL, {"q": "a" * 200}).status_code == 200


@pytest.mark.parametrize("query", ["%", "_", "' OR 1=1 --", "\\", '"', "a\\%_'\"b", "&|!():*<>", "a\x00b"])
@pytest.mark.parametrize("kind", ["posts", "artists"])
def test_sql_special_characters_are_harmless(client, make_user, make_published_post, query, kind):
    _profile(make_user("painter"), display_name="Painter", headline="Painter")
    make_published_post(make_user("other"), title="Lighthouse")
    response = client.get(URL, {"q": query, "type": kind})
    assert response.status_code == 200
    assert 'class="post-card' not in response.content.decode()
    assert 'class="profile-card' not in response.content.decode()


def test_like_wildcards_match_literally(make_user, make_published_post):
    author = make_user("painter")
    make_published_post(author, title="100% handmade")
    make_published_post(author, title="Plain title")
    assert _titles(search_posts(viewer=None, query="%")) <= {"100% handmade"}
    assert "Plain title" not in _titles(search_posts(viewer=None, query="_"))


def test_script_in_query_is_escaped(client):
    response = client.get(URL, {"q": "<script>alert(1)</script>"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


# --- pages and query counts


def test_pages_by_number(client, make_user, make_published_post, settings):
    author = make_user("painter")
    for number in range(30):
        make_published_post(author, title=f"Lighthouse {number}", hours_ago=number + 1)
    first = search_posts(viewer=None, query="lighthouse")
    second = search_posts(viewer=None, query="lighthouse", page=2)
    assert len(first.results) == 24 and first.has_next
    assert len(second.results) == 6 and not second.has_next
    assert not {p.pk for p in first.results} & {p.pk for p in second.results}
    assert 'rel="next"' in client.get(URL, {"q": "lighthouse"}).content.decode()


def _count_queries(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("kind", ["posts", "artists"])
def test_constant_queries_whatever_the_page_length(signed_in_client, make_user, make_published_post, kind):
    def add(count, word):
        for number in range(count):
            artist = _profile(make_user(f"{word}{number}"), headline=f"{word} artist")
            make_published_post(artist, title=f"{word} piece {number}")

    add(3, "heron")
    add(15, "otter")
    _count_queries(signed_in_client, {"q": "heron", "type": kind})  # per-person sets are cached after one page
    few = _count_queries(signed_in_client, {"q": "heron", "type": kind})
    many = _count_queries(signed_in_client, {"q": "otter", "type": kind})
    assert few == many
