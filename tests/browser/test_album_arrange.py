"""Arranging an album by dragging, with a mouse on a desktop and a finger on a phone."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from atelier.albums.models import Album, AlbumItem
from tests.browser.support import centre
from tests.browser.test_social_journey import _log_in

pytestmark = pytest.mark.browser


def _order(album) -> list[str]:
    return list(AlbumItem.objects.filter(album=album).order_by("position").values_list("post__title", flat=True))


def test_drag_a_post_to_the_top_of_an_album(browser_page, make_user, make_published_post):
    page = browser_page.page
    owner = make_user(f"owner_{browser_page.viewport.name}")
    artist = make_user(f"artist_{browser_page.viewport.name}")
    album = Album.objects.create(owner=owner, title="Harbours", is_public=True)
    for position, title in enumerate(["First", "Second", "Third"]):
        AlbumItem.objects.create(album=album, post=make_published_post(artist, title=title), position=position)
    _log_in(browser_page, owner.handle)
    browser_page.goto(reverse("albums:detail", kwargs={"handle": owner.handle, "album_id": album.pk}))
    handles = page.locator(".album-arrange .drag-handle")
    expect(handles).to_have_count(3)
    page.locator(".album-arrange").scroll_into_view_if_needed()
    browser_page.shot("before")

    third, first = handles.nth(2).bounding_box(), handles.nth(0).bounding_box()
    start = centre(third)
    end = (start[0], first["y"] - 4)  # just above the first row
    with page.expect_navigation():  # the page reloads once the new order is saved
        browser_page.drag(start, end, touch=browser_page.viewport.touch, steps=20)
    expect(page.locator(".album-arrange-title").first).to_contain_text("Third")
    assert _order(album) == ["Third", "First", "Second"]
    expect(page.locator(".post-grid .post-card-title").first).to_contain_text("Third")
    browser_page.shot("after")
    browser_page.assert_clean_console()
    browser_page.assert_no_horizontal_overflow()
