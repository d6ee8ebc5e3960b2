"""Budgets count on who a request proves to be: a signed-in person on her account, a browser on its
pass, and only a client proving neither on its address. An artist behind an address a scraper
exhausted keeps her composer, thumbnails and crop editors, and none of it is counted as scraping."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from atelier.posts import services as post_services
from atelier.protection.shield import refusals
from atelier.protection.shield.models import ProtectionCount
from tests.media.sample_files import quadrant_bytes
from tests.posts.support import add_file, publish
from tests.shield.test_checkpoint import _earn

pytestmark = pytest.mark.django_db

SHARED = "198.51.100.77"  # one studio, one carrier NAT: many people, one address
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
OTHER_BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SCRAPER = "python-requests/2.32.3"


@pytest.fixture
def small_budgets(settings):
    settings.SHIELD_PAGES_PER_MINUTE = 10
    settings.SHIELD_MEDIA_PER_MINUTE = 10
    settings.SHIELD_ACCOUNT_MEDIA_PER_MINUTE = 1000


@pytest.fixture
def artist_draft(make_user, isolated_media, django_capture_on_commit_callbacks):
    """A signed-in artist's draft with two processed images: its thumbnails are withheld files."""
    artist = make_user("studio_painter")
    draft = post_services.post_create_draft(author=artist)
    for size in ((640, 480), (480, 640)):
        add_file(draft, quadrant_bytes(size=size), capture=django_capture_on_commit_callbacks)
    return artist, draft


def _exhaust(path: str, *, user_agent: str = SCRAPER) -> list[int]:
    scraper = Client(REMOTE_ADDR=SHARED, HTTP_USER_AGENT=user_agent)
    return [scraper.get(path).status_code for _ in range(14)]


def _composer_files(page: str) -> list[str]:
    """Every file the composer page asks for: thumbnails (srcset too) and crop editors' sources."""
    found = set(re.findall(r'(?:src|data-source)="(/posts/\d+/files/[^"]+)"', page))
    for srcset in re.findall(r'srcset="([^"]+)"', page):
        found |= {part.strip().split(" ")[0] for part in srcset.split(",") if "/files/" in part}
    return sorted(found)


def test_an_artist_behind_an_exhausted_address_keeps_her_composer(clock, small_budgets, artist_draft):
    artist, draft = artist_draft
    composer_url = reverse("posts:edit", args=[draft.pk])
    assert set(_exhaust("/jobs/")[10:]) == {429}  # the address's page budget is spent
    artist_browser = Client(REMOTE_ADDR=SHARED, HTTP_USER_AGENT=BROWSER)
    artist_browser.force_login(artist)
    page = artist_browser.get(composer_url)
    assert page.status_code == 200
    files = _composer_files(page.content.decode())
    assert len(files) >= 4  # two thumbnails and the two crop editors' sources at least
    assert set(_exhaust(files[0])[10:]) == {429}  # the address's file budget is spent on her draft's URL
    for _ in range(5):  # her composer re-renders its thumbnails while items process: every time, all served
        statuses = {path: artist_browser.get(path).status_code for path in files}
        assert set(statuses.values()) == {200}, statuses
        assert artist_browser.get(composer_url).status_code == 200
        clock.advance(2)
    refusals.flush()
    counted = ProtectionCount.objects.all()
    assert {(row.agent, row.rule) for row in counted} == {("python-requests", "rate_limit")}  # the scraper only
    assert sum(row.count for row in counted) == 8


def test_her_own_work_is_never_refused_even_past_her_account_budget(
    clock, settings, small_budgets, artist_draft, make_user, make_published_post, django_capture_on_commit_callbacks
):
    settings.SHIELD_ACCOUNT_MEDIA_PER_MINUTE = 3
    artist, draft = artist_draft
    someone = make_user("someone_else")
    theirs = post_services.post_create_draft(author=someone)
    add_file(theirs, quadrant_bytes(size=(300, 300)), capture=django_capture_on_commit_callbacks)
    theirs = publish(theirs, capture=django_capture_on_commit_callbacks, title="Not hers")
    artist_browser = Client(REMOTE_ADDR=SHARED, HTTP_USER_AGENT=BROWSER)
    artist_browser.force_login(artist)
    files = _composer_files(artist_browser.get(reverse("posts:edit", args=[draft.pk])).content.decode())
    for _ in range(3):
        assert {artist_browser.get(path).status_code for path in files} == {200}
    their_image = re.search(r'src="(/media/[^"]+)"', artist_browser.get(theirs.get_absolute_url()).content.decode())
    refused = artist_browser.get(their_image.group(1).replace("&amp;", "&"))
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1  # another's work: her account's budget
    refusals.flush()
    assert not ProtectionCount.objects.exists()  # a signed-in reader is not counted as a scraper


def test_people_holding_passes_do_not_share_the_address_budget(clock, settings, small_budgets, make_user):
    assert set(_exhaust("/jobs/")[10:]) == {429}  # before the check is on: the address's page budget
    settings.SHIELD_CHALLENGE_BITS = 8
    reader = Client(REMOTE_ADDR=SHARED)
    assert _earn(reader, BROWSER, next_url="/jobs/").status_code == 303
    assert [reader.get("/jobs/", HTTP_USER_AGENT=BROWSER).status_code for _ in range(10)] == [200] * 10
    assert reader.get("/jobs/", HTTP_USER_AGENT=BROWSER).status_code == 429  # her own pass's budget, now spent
    # Another person at the same address, in another browser. A pass is the signature of (expiry second,
    # network, user agent), nginx's secure_link format: two identical browsers on one network that earn
    # a pass in the same second hold the same pass and share its budget (a limit stated in the note).
    another = Client(REMOTE_ADDR=SHARED)
    assert _earn(another, OTHER_BROWSER, next_url="/jobs/").status_code == 303
    assert another.get("/jobs/", HTTP_USER_AGENT=OTHER_BROWSER).status_code == 200


def test_a_fresh_browser_behind_an_exhausted_address_still_gets_the_check(clock, settings, small_budgets):
    settings.SHIELD_CHALLENGE_BITS = 8
    assert set(_exhaust("/jobs/")[10:]) == {403}  # cookie-less with the check on: check pages, never art
    scraper_images = _exhaust("/media/posts/1/1-abc.webp?e=1&s=x")
    assert set(scraper_images) == {403}
    fresh = Client(REMOTE_ADDR=SHARED)
    assert _earn(fresh, BROWSER, next_url="/jobs/").status_code == 303


@pytest.mark.parametrize("cookie", ["", "x" * 5000, "abc.def", "\x00\x01", "a.b.c", "é", "a" * 32])
def test_hostile_session_and_pass_cookies_are_budgeted_on_the_address(clock, settings, small_budgets, cookie):
    client = Client(REMOTE_ADDR=SHARED, HTTP_USER_AGENT=BROWSER)
    client.cookies["sessionid"] = cookie
    client.cookies["atelier_pass"] = cookie
    statuses = [client.get("/jobs/").status_code for _ in range(12)]
    assert statuses[:10] == [200] * 10 and set(statuses[10:]) == {429}
    settings.SHIELD_CHALLENGE_BITS = 8
    clock.advance(61)
    assert client.get("/jobs/").status_code == 403  # the check page: a made-up pass is no pass


def test_one_address_earns_only_so_many_passes_an_hour(clock, settings):
    settings.SHIELD_CHALLENGE_BITS = 8
    settings.SHIELD_PASSES_PER_HOUR = 3
    earned = [_earn(Client(REMOTE_ADDR=SHARED), f"{BROWSER} #{number}").status_code for number in range(5)]
    assert earned == [303, 303, 303, 429, 429]  # a scraper can't turn one address into many pass budgets
    clock.advance(3601)
    assert _earn(Client(REMOTE_ADDR=SHARED), BROWSER).status_code == 303
    refusals.flush()
    assert ProtectionCount.objects.get(rule="rate_limit").count == 2
