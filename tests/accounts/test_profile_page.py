"""The public side of a profile: /@handle, the home page's list, and the JSON API.

Visitors only ever see renditions (by srcset), never the private original or the crop preview.
"""

import re
from html import unescape

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from atelier.accounts.models import ProfileImageKind
from atelier.feeds.feed_cache import forget_process_copies
from atelier.media.storages import public_storage
from atelier.posts import services as post_services
from tests.accounts.profile_editor_support import post_profile
from tests.media.sample_files import quadrant_bytes, store_profile_image
from tests.posts.support import add_embed, publish

AVATAR = ProfileImageKind.AVATAR
BANNER = ProfileImageKind.BANNER

pytestmark = pytest.mark.usefixtures("isolated_media")


@pytest.fixture
def pictured(user, django_capture_on_commit_callbacks):
    """Mira with a ready avatar (from 1200×800) and banner (from 3000×1000)."""
    capture = django_capture_on_commit_callbacks
    avatar = store_profile_image(user.profile, AVATAR, quadrant_bytes("JPEG", (1200, 800)), capture=capture)
    banner = store_profile_image(user.profile, BANNER, quadrant_bytes("PNG", (3000, 1000)), capture=capture)
    return avatar, banner


def _srcset_urls(page: str) -> list[str]:
    return [
        candidate.strip().rsplit(" ", 1)[0]
        for srcset in re.findall(r'srcset="([^"]+)"', page)
        for candidate in srcset.split(",")
    ]


def _private_names(*images) -> list[str]:
    return [name for image in images for name in (image.original_name, image.renditions["editor"])]


def test_profile_page_shows_the_profile(user, client):
    user.profile.display_name, user.profile.headline = "Mira Okafor", "Concept artist"
    user.profile.save()

    response = client.get("/@mira")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<h1 id="profile-name">Mira Okafor</h1>' in page
    assert "@mira" in page and "Concept artist" in page
    assert "Edit profile" not in page.split("</header>", 1)[1], "only the owner gets the edit button"
    assert client.get("/@MIRA/").status_code == 200


def test_the_owner_sees_an_edit_button(signed_in_client):
    page = signed_in_client.get("/@mira").content.decode()

    assert 'class="button profile-edit" href="/settings/profile/"' in page


@pytest.mark.parametrize("path", ["/@nobody_here", "/@", "/@mira_"])
def test_unknown_handles_are_404(path, user, client):
    assert client.get(path).status_code == 404


def test_a_deactivated_account_is_404(user, client):
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert client.get("/@mira").status_code == 404
    assert client.get("/api/v1/profiles/mira").status_code == 404


def test_profile_page_serves_renditions_by_srcset_and_never_the_original(pictured, client):
    avatar, banner = pictured

    page = client.get("/@mira").content.decode()

    expected = {escape(public_storage().url(name)) for image in pictured for name in image.renditions["sizes"].values()}
    assert set(_srcset_urls(page)) == expected
    for width in ("128w", "256w", "512w", "800w", "1600w", "2400w"):
        assert f" {width}" in page
    assert f'src="{escape(avatar.src)}"' in page and avatar.src.split("?")[0].endswith("-512.webp")
    assert f'src="{escape(banner.src)}"' in page and banner.src.split("?")[0].endswith("-2400.webp")
    assert 'width="512" height="512"' in page
    for private in _private_names(avatar, banner):
        assert private not in page
        assert private.rsplit("/", 1)[-1] not in page
    assert "originals" not in page and "editor-source" not in page
    for url in expected:
        assert client.get(unescape(url)).status_code == 200  # the page's URLs, signed, are served


def test_script_in_profile_text_is_escaped_and_bio_links_are_nofollow(
    signed_in_client, client, user, django_capture_on_commit_callbacks
):
    response = post_profile(
        signed_in_client,
        django_capture_on_commit_callbacks,
        display_name='<script>alert("name")</script>',
        headline='"><script>alert("headline")</script>',
        location="<img src=x onerror=alert(1)>",
        bio=(
            "<script>alert('bio')</script>\n"
            "Prints in [my shop](https://shop.example.com/mira).\n"
            '<a href="https://evil.example" onclick="steal()">raw link</a>\n'
            "[click](javascript:alert(document.cookie)) ![pic](https://evil.example/x.png)"
        ),
        skills="<b>bold</b>, <script>x</script>",
    )
    assert response.status_code == 302
    # "New on Atelier" lists artists with public work: give Mira some.
    draft = post_services.post_create_draft(author=user)
    add_embed(draft)
    publish(draft, capture=django_capture_on_commit_callbacks)

    # The home page lists the newest artists to visitors (signed-in people get their feed there).
    for page in (client.get("/@mira").content.decode(), Client().get("/").content.decode()):
        assert "<script>alert" not in page and "<script>x" not in page
        body = page.split("</head>", 1)[1]
        assert "<script" not in body, "the site's own scripts are all in <head>"
        assert "<img src=x" not in body
        assert "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;" in body
    page = client.get("/@mira").content.decode()
    # The raw tag and the javascript: link survive only as visible text, never as markup.
    assert not re.search(r"<[a-z][^>]*\son\w+=", page), "no event-handler attribute in any tag"
    assert not re.search(r"href=\"\s*javascript:", page)
    assert "<img" not in page.split('class="prose"', 1)[1].split("</div>", 1)[0]
    links = re.findall(r'<a href="https://shop\.example\.com/mira"[^>]*>', page)
    assert len(links) == 1
    assert re.search(r'rel="[^"]*\bnofollow\b[^"]*"', links[0])
    assert "<p>&lt;script&gt;alert('bio')&lt;/script&gt;<br>" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_home_page_lists_recent_profiles_in_a_constant_number_of_queries(
    make_user, client, django_capture_on_commit_callbacks
):
    def add_profiles(count: int):
        for _ in range(count):
            profile = make_user().profile
            store_profile_image(
                profile, AVATAR, quadrant_bytes("PNG", (300, 300)), capture=django_capture_on_commit_callbacks
            )
            store_profile_image(
                profile, BANNER, quadrant_bytes("PNG", (900, 300)), capture=django_capture_on_commit_callbacks
            )
            # "New on Atelier" lists artists with public work only.
            draft = post_services.post_create_draft(author=profile.user)
            add_embed(draft)
            publish(draft, capture=django_capture_on_commit_callbacks)

    def load_home() -> tuple[int, str]:
        cache.clear()  # count a cold page: Discover's shared ranking is cached after the first
        forget_process_copies()
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/")
        assert response.status_code == 200
        return len(queries), response.content.decode()

    add_profiles(3)
    few_queries, few_page = load_home()
    add_profiles(9)
    many_queries, many_page = load_home()

    # Discover: ranking and cards; profiles with their users (the public-work rule is a subquery); their images.
    assert few_queries == many_queries == 4
    assert few_page.count('class="profile-card"') == 3
    assert many_page.count('class="profile-card"') == 12
    assert many_page.count('class="avatar avatar-md"') == 12
    assert many_page.count('class="profile-card-banner"') == 12
    assert len(_srcset_urls(many_page)) == 12 * (3 + 2)


def test_api_profile_has_rendition_urls_and_no_original(pictured, user, client):
    avatar, banner = pictured
    user.profile.display_name = "Mira Okafor"
    user.profile.save()

    response = client.get("/api/v1/profiles/mira")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["handle"] == "mira" and data["display_name"] == "Mira Okafor"
    assert data["avatar"] == {
        "src": avatar.src,
        "srcset": avatar.srcset,
        "width": 512,
        "height": 512,
        "placeholder_colour": avatar.renditions["color"],
    }
    assert data["banner"]["width"] == 2400 and data["banner"]["height"] == 800
    assert data["banner"]["srcset"].count("w,") == 2
    for url in _srcset_urls(f'srcset="{data["avatar"]["srcset"]}"'):
        assert client.get(url).status_code == 200
    raw = response.content.decode()
    for private in _private_names(avatar, banner):
        assert private not in raw
    assert "original" not in raw and "editor" not in raw


def test_api_profile_without_images(user, client):
    data = client.get("/api/v1/profiles/mira").json()

    assert data["avatar"] is None and data["banner"] is None
    assert data["display_name"] == "mira", "the handle stands in for an empty display name"


def test_api_unknown_profile_is_404(db, client):
    response = client.get("/api/v1/profiles/nobody_here")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
