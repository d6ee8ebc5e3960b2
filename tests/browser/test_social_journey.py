"""Being social in a real browser, on a phone and on a desktop: follow an artist, like and comment
on a post, bookmark it and add it to a new album, then tune the home feed and see it change."""

import re

import pytest
from playwright.sync_api import expect

from atelier.albums.models import Album, Bookmark
from atelier.posts.models import Category
from atelier.social.models import Comment, Follow, Like
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def _log_in(browser_page, handle: str) -> None:
    page = browser_page.page
    browser_page.goto("/accounts/login/")
    page.get_by_label("Email or handle").fill(handle)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_follow_like_comment_save_and_tune_the_feed(browser_page, make_user, make_published_post):
    page = browser_page.page
    suffix = browser_page.viewport.name
    reader, artist, other = make_user(f"mira_{suffix}"), make_user(f"kofi_{suffix}"), make_user(f"lars_{suffix}")
    harbour = make_published_post(artist, title="Harbour keyframe", hours_ago=1, category=Category.CONCEPT_ART)
    make_published_post(artist, title="Market study", hours_ago=2, category=Category.CONCEPT_ART)
    make_published_post(artist, title="Noir page", hours_ago=3, category=Category.COMICS)
    make_published_post(other, title="Someone else's ridge", hours_ago=4, category=Category.CONCEPT_ART)
    _log_in(browser_page, reader.handle)

    # Follow from the profile.
    browser_page.goto(f"/@{artist.handle}")
    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.get_by_role("button", name="Unfollow")).to_be_visible()
    expect(page.locator(".follow-counts")).to_contain_text("1 follower")
    browser_page.assert_no_horizontal_overflow()
    browser_page.assert_controls_named()
    browser_page.shot("01-followed")
    assert Follow.objects.filter(follower=reader, followee=artist).exists()

    # Like and comment on a post, mentioning the artist.
    browser_page.goto(harbour.get_absolute_url())
    page.get_by_role("button", name="♡ Like").click()
    expect(page.get_by_role("button", name="♥ Liked")).to_be_visible()
    expect(page.locator(".like-count")).to_have_text("1 like")
    page.get_by_label("Your comment").fill(f"The light on the water, @{artist.handle}! <script>alert(1)</script>")
    page.get_by_role("button", name="Comment", exact=True).click()
    comment = page.locator(".comment-text").first
    expect(comment).to_contain_text("The light on the water")
    assert comment.locator(f'a[href="/@{artist.handle}"]').count() == 1
    assert comment.locator("script").count() == 0
    browser_page.shot("02-liked-and-commented")
    assert Like.objects.filter(user=reader, post=harbour).exists() and Comment.objects.filter(post=harbour).exists()

    # Bookmark it, then add it to a new album.
    page.locator(".post-actions").get_by_role("button", name="Bookmark").click()
    expect(page.get_by_role("button", name="Remove bookmark")).to_be_visible()
    page.locator(".post-actions").get_by_role("link", name="Add to album…").click()
    page.get_by_role("radio", name="New album").check()
    page.get_by_role("textbox", name="New album title").fill("Harbours")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".message-success", has_text="Harbours")).to_be_visible()
    browser_page.shot("03-saved")
    album = Album.objects.get(owner=reader)
    assert album.title == "Harbours" and list(album.items.values_list("post_id", flat=True)) == [harbour.pk]
    assert Bookmark.objects.filter(user=reader, post=harbour).exists()
    browser_page.goto(f"/@{reader.handle}/albums/{album.pk}/")
    expect(page.locator(".post-card-title", has_text="Harbour keyframe")).to_be_visible()
    browser_page.goto("/bookmarks/")
    expect(page.locator(".post-card-title", has_text="Harbour keyframe")).to_be_visible()
    browser_page.assert_no_horizontal_overflow()
    browser_page.shot("04-album-and-bookmarks")

    # The home feed, before and after tuning it: only people I follow, never comics.
    browser_page.goto("/")
    expect(page.locator(".post-card-title", has_text="Someone else's ridge")).to_have_count(1)
    browser_page.shot("05-home-before")
    browser_page.goto("/settings/feed/")
    page.get_by_label("Following", exact=True).check()
    page.locator('input[name="following_share"]').fill("100")
    page.locator('input[name="exclude_categories"][value="comics"]').check()
    browser_page.assert_controls_named()
    page.get_by_role("button", name="Save feed settings").click()
    expect(page.locator(".message-success", has_text="Feed settings saved")).to_be_visible()
    browser_page.goto("/")
    cards = page.locator(".post-card-title")
    expect(cards).to_have_count(2)
    assert sorted(text.splitlines()[0] for text in cards.all_inner_texts()) == ["Harbour keyframe", "Market study"]
    browser_page.assert_no_horizontal_overflow()
    browser_page.shot("06-home-after")
    browser_page.assert_clean_console()

    # The artist sees what happened: an unread count in the header, then the grouped list.
    artist_page = page.context.browser.new_context(
        base_url=browser_page.origin, **browser_page.viewport.context_options()
    ).new_page()
    artist_page.goto("/accounts/login/")
    artist_page.get_by_label("Email or handle").fill(artist.handle)
    artist_page.get_by_label("Password").fill(TEST_PASSWORD)
    artist_page.get_by_role("button", name="Log in").click()
    artist_page.wait_for_load_state()
    # The header's bell on a desktop, the tab bar's "Alerts" on a phone.
    unread = artist_page.get_by_role("link", name=re.compile(r"^(Notifications|Alerts), 3 unread$"))
    expect(unread).to_be_visible()
    unread.click()
    listing = artist_page.locator("main")
    expect(listing).to_contain_text("followed you")
    expect(listing).to_contain_text("liked")
    expect(listing).to_contain_text("Harbour keyframe")
    artist_page.screenshot(path=browser_page.artifacts / "07-artist-notifications.png", full_page=True)
    artist_page.context.close()
