"""Server-side checks of the rough edges a first visit found (issue 22): who "New on Atelier" lists,
"just now", where log-in lands, alt text, Django's blank choices and label colons, the held post's
message, tags and software as links, the error pages."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from atelier.core.templatetags.presentation import ago
from atelier.jobs.forms import JobForm
from atelier.media.states import CheckState
from atelier.posts import media_checks
from atelier.posts import services as post_services
from atelier.posts.models import Post, PostState
from tests.conftest import TEST_PASSWORD
from tests.posts.support import add_embed, add_image, publish, save_details


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def _public_post(author, capture, **details) -> Post:
    draft = post_services.post_create_draft(author=author)
    add_embed(draft)
    return publish(draft, capture=capture, **details)


def _artists_listed(page: str) -> list[str]:
    section = page.split('id="artists-heading"', 1)[1]
    return re.findall(r'<span class="muted">@([\w]+)</span>', section)


def test_new_on_atelier_lists_artists_with_public_work_only(make_user, capture):
    artist = make_user("ada_paints")
    _public_post(artist, capture)
    make_user("empty_account")  # signed up, never posted
    drafter = make_user("only_drafts")
    post_services.post_create_draft(author=drafter)
    moderator = make_user("mira_moderates")
    moderator.is_staff = True
    moderator.save(update_fields=["is_staff"])
    _public_post(moderator, capture)
    prompter = make_user("prompt_person")
    _public_post(prompter, capture, made_with_ai=True)  # disclosed AI work is never public
    hidden = make_user("held_artist")
    held = _public_post(hidden, capture)
    Post.objects.filter(pk=held.pk).update(state=PostState.HELD)

    assert _artists_listed(Client().get("/").content.decode()) == ["ada_paints"]


def test_the_newest_artist_comes_first_and_each_once(make_user, capture):
    older, newer = make_user("older_artist"), make_user("newer_artist")
    for _ in range(3):
        _public_post(older, capture)
    _public_post(newer, capture)
    assert _artists_listed(Client().get("/").content.decode()) == ["newer_artist", "older_artist"]


def test_times_under_a_minute_read_just_now():
    now = timezone.now()
    assert ago(now, now) == "just now"
    assert ago(now - timedelta(seconds=59), now) == "just now"
    assert ago(now - timedelta(minutes=1), now) == "1\xa0minute ago"  # timesince keeps number and unit together
    assert ago(now - timedelta(hours=3, minutes=5), now) == "3\xa0hours ago"
    assert ago(None) == ""


def test_no_template_says_times_with_django_timesince():
    """`timesince` alone reads "0 minutes" for what just happened; every template says times with `ago`."""
    templates = Path(settings.BASE_DIR) / "atelier" / "templates"
    offenders = [
        str(path.relative_to(templates))
        for path in templates.rglob("*.*")
        if re.search(r"\|\s*(timesince|naturaltime)\b", path.read_text(errors="replace"))
    ]
    assert offenders == []


def test_a_fresh_comment_says_just_now(make_user, capture, client):
    author = make_user("commenter")
    post = _public_post(author, capture)
    client.force_login(author)
    client.post(reverse("social:comment_create", args=[post.pk]), {"body": "Lovely light"})
    page = client.get(post.get_absolute_url()).content.decode()
    assert "just now" in page and "0 minutes" not in page


def test_log_in_lands_on_the_feed(make_user, client):
    make_user("returning")
    response = client.post(reverse("accounts:login"), {"identifier": "returning", "password": TEST_PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home")


def test_images_without_alt_text_are_described_by_the_title(make_user, capture, client):
    author = make_user("alt_artist")
    draft = post_services.post_create_draft(author=author)
    add_image(draft, capture=capture)
    add_image(draft, capture=capture)
    post = publish(draft, capture=capture, title="Harbour <at> dawn")
    page = client.get(post.get_absolute_url()).content.decode()
    alts = re.findall(r'<img class="zoomable"[^>]* alt="([^"]*)"', page)
    assert alts == ["Harbour &lt;at&gt; dawn", "Harbour &lt;at&gt; dawn, image 2"]


def test_no_form_shows_django_blank_dashes_or_colons(make_user, client):
    studio = make_user("studio_forms", account_type="studio")
    client.force_login(studio)
    for address in (reverse("jobs:new"), reverse("feeds:settings"), reverse("accounts:settings_profile")):
        page = client.get(address).content.decode()
        assert "---------" not in page, address
        labels = re.findall(r"<label[^>]*>([^<]*)</label>", page) + re.findall(r"<legend[^>]*>([^<]*)</legend>", page)
        assert labels and not [label for label in labels if label.strip().endswith(":")], (address, labels)
    form = JobForm()
    assert [choice for choice in form.fields["location_mode"].choices if choice[0] == ""] == []
    assert form.fields["salary_currency"].choices[0] == ("", "Not stated")


def test_the_feed_slider_shows_its_value_and_choices_are_chips(make_user, client):
    client.force_login(make_user("slider"))
    page = client.get(reverse("feeds:settings")).content.decode()
    assert re.search(r'<input type="range"[^>]*id="id_following_share"', page)
    assert re.search(r'<output class="range-value" for="id_following_share" data-range-output>\d+</output>', page)
    assert page.count('class="choice-list"') == 4 and page.count('class="choice-list segmented"') == 2


def test_tags_software_and_category_are_links(make_user, capture, client):
    author = make_user("linker")
    post = _public_post(author, capture, tags=["harbour", "night"], software=["Krita"], category="illustration")
    page = client.get(post.get_absolute_url()).content.decode()
    assert f'href="{reverse("feeds:tag", args=["harbour"])}">#harbour</a>' in page
    assert f'href="{reverse("search:search")}?q=Krita">Krita</a>' in page
    assert f'href="{reverse("feeds:category", args=["illustration"])}"' in page


def test_the_post_page_offers_more_by_the_artist_without_the_post_itself(make_user, capture, client):
    author = make_user("prolific")
    posts = [_public_post(author, capture, title=f"Study {number}") for number in range(4)]
    draft = post_services.post_create_draft(author=author)
    save_details(draft, title="Secret draft")
    page = client.get(posts[0].get_absolute_url()).content.decode()
    more = page.split('id="more-heading"', 1)[1]
    assert re.findall(r'<span class="post-card-title">([^<]*)</span>', more) == ["Study 3", "Study 2", "Study 1"]
    assert "Secret draft" not in page


def test_a_held_post_gets_no_published_message(make_user, client):
    author = make_user("held_on_publish")
    draft = post_services.post_create_draft(author=author)
    item = add_embed(draft)
    save_details(draft, title="Flagged work")
    # The item's AI check holds it: publishing then ends held, not public.
    with transaction.atomic():
        media_checks.item_check_record(item_id=item.pk, check=CheckState.HOLD, reason="The detector flagged this work.")
    client.force_login(author)
    details = {"title": "Flagged work", "action": "publish"}
    response = client.post(reverse("posts:edit", args=[draft.pk]), details, follow=True)
    page = response.content.decode()
    assert "post-held" in page
    assert "Published." not in page


@override_settings(DEBUG=False)
def test_missing_pages_get_the_sites_own_404(db, client):
    response = client.get("/posts/999999/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "We can't find that page" in page and 'class="site-header"' in page and "URLconf" not in page


def test_the_cloak_help_page_speaks_plainly(rf):
    figures = {
        "images": 12,
        "styles": 3,
        "strength": "default",
        "ssim": 0.97,
        "psnr": 38.2,
        "max_change": 8,
        "mobilenet": 81,
        "clip": 42,
        "clip_jpeg": 30,
        "clip_resize": 28,
        "clip_noise": 4,
        "seconds_per_tile": 60,
    }
    page = render_to_string("cloak/help.html", {"figures": figures, "max_long_side": 2048}, request=rf.get("/"))
    for jargon in ("SSIM", "PSNR", "MobileNet", "CLIP", "ViT", "bench/", "cloak_eval"):
        assert jargon not in page, jargon
    assert "97 % alike" in page and "8 of 255 brightness levels" in page


@override_settings(DEBUG=False)
@pytest.mark.parametrize("address", ["/search/?q=harbour", "/jobs/", "/posts/999999/", "/", "/feed/discover/"])
def test_a_page_has_one_search_box_and_one_h1(db, client, address):
    """Pages with their own search (search, jobs, not found) drop the header's; the rest keep it."""
    page = client.get(address).content.decode()
    assert page.count('role="search"') == 1, address
    assert len(re.findall(r"<h1[\s>]", page)) == 1, address


def test_feed_tabs_and_heading_never_say_the_same_thing_twice(make_user, client):
    """A visitor's Discover has no one-tab bar; signed in, the current tab names the feed and the h1
    is kept for screen readers only."""
    page = client.get(reverse("feeds:feed", args=["discover"])).content.decode()
    assert 'class="feed-tabs"' not in page and '<h1 class="feed-title">Discover</h1>' in page
    client.force_login(make_user("tabbed"))
    for feed in ("home", "following", "discover"):
        page = client.get(reverse("feeds:feed", args=[feed])).content.decode()
        assert 'class="feed-tabs"' in page and '<h1 class="feed-title visually-hidden">' in page, feed
