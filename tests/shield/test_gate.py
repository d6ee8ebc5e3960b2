"""AI crawlers get 403, bursts get 429 with Retry-After, hotlinks are refused when asked; normal
browsing never notices; every refusal is counted per rule, agent, network and artist."""

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from atelier.media.storages import public_storage
from atelier.protection.shield import refusals
from atelier.protection.shield.models import CrawlerAgent, ProtectionCount
from tests.conftest import image_bytes

pytestmark = pytest.mark.django_db

GPTBOT = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"


@pytest.fixture
def artwork(make_user, make_published_post, isolated_media):
    artist = make_user("painter")
    post = make_published_post(artist, title="Harbour")
    name = public_storage().save(f"posts/{post.pk}/1-abc.webp", ContentFile(image_bytes("WEBP", size=(64, 64))))
    return artist, post, public_storage().url(name)


def test_ai_crawlers_are_refused_on_pages_and_files_and_counted(client, artwork):
    artist, post, image = artwork
    for path in (post.get_absolute_url(), image, f"/@{artist.handle}", "/"):
        response = client.get(path, HTTP_USER_AGENT=GPTBOT, REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 403, path
        assert "AI crawlers are not allowed" in response.content.decode()
        assert response["tdm-reservation"] == "1"
    for path in ("/robots.txt", "/ai.txt", "/.well-known/tdmrep.json", "/tdm-policy.json"):
        assert client.get(path, HTTP_USER_AGENT=GPTBOT).status_code == 200  # they may read our terms
    refusals.flush()
    rows = ProtectionCount.objects.filter(rule="ai_crawler")
    assert {(row.agent, row.network, row.artist_id, row.count) for row in rows} == {
        ("gptbot", "203.0.113.0/24", artist.pk, 3),  # the post page, its image, the profile
        ("gptbot", "203.0.113.0/24", None, 1),  # the home page is nobody's work
    }


def test_browsers_and_search_engines_pass(client, artwork):
    _, post, image = artwork
    for agent in (BROWSER, "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"):
        assert client.get(post.get_absolute_url(), HTTP_USER_AGENT=agent).status_code == 200
        assert client.get(image, HTTP_USER_AGENT=agent).status_code == 200
    refusals.flush()
    assert not ProtectionCount.objects.exists()


def test_the_crawler_list_is_data_admins_edit(client, artwork):
    _, post, _ = artwork
    sneaky = "SneakyDatasetBot/0.1"
    assert client.get(post.get_absolute_url(), HTTP_USER_AGENT=sneaky).status_code == 200
    agent = CrawlerAgent.objects.create(token="SneakyDatasetBot")
    assert client.get(post.get_absolute_url(), HTTP_USER_AGENT=sneaky).status_code == 403
    agent.refused = False
    agent.save()
    assert client.get(post.get_absolute_url(), HTTP_USER_AGENT=sneaky).status_code == 200


def test_a_burst_is_limited_while_a_person_browsing_is_not(settings, clock, artwork, make_user, make_published_post):
    settings.SHIELD_PAGES_PER_MINUTE = 30
    settings.SHIELD_MEDIA_PER_MINUTE = 60
    artist, _, image = artwork
    reader = Client(REMOTE_ADDR="198.51.100.20", HTTP_USER_AGENT=BROWSER)
    reader.force_login(make_user("reader"))
    scraper = Client(REMOTE_ADDR="192.0.2.99", HTTP_USER_AGENT="python-requests/2.32.3")

    def browse_a_page():  # a feed page and the two dozen images it shows
        assert reader.get("/feed/discover/").status_code == 200
        for _ in range(24):
            assert reader.get(image).status_code == 200

    browse_a_page()
    statuses = []
    for _ in range(70):  # one every half second
        statuses.append(scraper.get(image).status_code)
        clock.advance(0.5)
    assert statuses[:60] == [200] * 60 and set(statuses[60:]) == {429}
    limited = scraper.get(image)  # 35 s after the first: it leaves the window in 25 s
    assert limited.status_code == 429 and limited["Retry-After"] == "25"
    assert "Too many requests" in limited.content.decode()
    browse_a_page()  # the reader, in the same minute, notices nothing
    clock.advance(25)
    assert scraper.get(image).status_code == 200  # when Retry-After said, not before
    refusals.flush()
    row = ProtectionCount.objects.get(rule="rate_limit")
    assert (row.agent, row.network, row.artist_id, row.count) == ("python-requests", "192.0.2.0/24", artist.pk, 11)


def test_one_account_over_many_addresses_has_one_budget(settings, clock, make_user):
    settings.SHIELD_ACCOUNT_PAGES_PER_MINUTE = 20
    account = make_user("scraper_account")
    statuses = []
    for number in range(25):
        client = Client(REMOTE_ADDR=f"10.0.{number}.1", HTTP_USER_AGENT=BROWSER)
        client.force_login(account)
        statuses.append(client.get("/jobs/").status_code)
    assert statuses[:20] == [200] * 20 and set(statuses[20:]) == {429}


def test_hotlinking_is_refused_only_when_switched_on(client, settings, artwork):
    _, _, image = artwork
    assert client.get(image, HTTP_REFERER="https://elsewhere.example/page").status_code == 200
    settings.SHIELD_HOTLINK_ALLOWED_HOSTS = ["partner.example"]
    hotlink = Client()
    assert hotlink.get(image, HTTP_REFERER="https://elsewhere.example/page").status_code == 403
    assert hotlink.get(image, HTTP_REFERER="https://partner.example/gallery").status_code == 200
    assert hotlink.get(image, HTTP_REFERER="http://testserver/posts/1/").status_code == 200
    assert hotlink.get(image).status_code == 200  # no Referer: apps, privacy settings
    refusals.flush()
    assert ProtectionCount.objects.get(rule="hotlink").count == 1


def test_each_artist_sees_their_week_and_no_one_else_does(client, artwork, make_user):
    artist, post, image = artwork
    for _ in range(3):
        client.get(image, HTTP_USER_AGENT=GPTBOT, REMOTE_ADDR="203.0.113.7")
    client.get(post.get_absolute_url(), HTTP_USER_AGENT="CCBot/2.0", REMOTE_ADDR="2001:db8:1234::9")
    owner = Client()
    owner.force_login(artist)
    page = owner.get(reverse("shield:report")).content.decode()
    assert "<strong>4</strong> requests refused, from 2 networks" in page
    assert "<code>gptbot</code>: 3" in page and "<code>ccbot</code>: 1" in page
    other = Client()
    other.force_login(make_user("someone_else"))
    assert "Nothing was refused this week" in other.get(reverse("shield:report")).content.decode()
    assert Client().get(reverse("shield:report")).status_code == 302  # sign in first
    with CaptureQueriesContext(connection) as queries:
        owner.get(reverse("shield:report"))
    assert len(queries) <= 6  # session, user, three aggregates, nothing per row


def test_refusals_are_counted_in_the_cache_and_written_once_a_minute(
    settings, clock, artwork, django_assert_num_queries
):
    artist, post, image = artwork
    crawler = Client(HTTP_USER_AGENT=GPTBOT, REMOTE_ADDR="203.0.113.7")
    assert crawler.get(image).status_code == 403  # the first refusal finds the flush due: rows written
    assert ProtectionCount.objects.get().count == 1
    with django_assert_num_queries(0):  # a flood: no query per refused request
        for _ in range(20):
            assert crawler.get(post.get_absolute_url()).status_code == 403
        assert crawler.get(f"/@{artist.handle}").status_code == 403
        assert crawler.get("/").status_code == 403
    assert ProtectionCount.objects.get().count == 1  # still in the cache
    owner = Client()
    owner.force_login(artist)
    page = owner.get(reverse("shield:report")).content.decode()  # the report flushes first
    assert "<strong>22</strong> requests refused" in page
    counts = {row.artist_id: row.count for row in ProtectionCount.objects.all()}
    assert counts == {artist.pk: 22, None: 1}


def test_refused_paths_naming_nobody_or_hostile_text_are_counted_as_nobody_s(clock, make_user):
    crawler = Client(HTTP_USER_AGENT="GPTBot\t<script>", REMOTE_ADDR="not-an-address")
    for path in ("/posts/999999/", "/@no_such_artist", "/media/profiles/999999/a.webp", "/@x\t<b>/"):
        assert crawler.get(path).status_code == 403
    assert refusals.flush() == 3  # the first was written when it found the flush due
    row = ProtectionCount.objects.get()
    assert (row.agent, row.network, row.artist_id, row.count) == ("gptbot", "unknown", None, 4)


def test_a_signed_in_page_is_counted_against_the_account(settings, clock, make_user):
    from atelier.core.ratelimit import RateLimit

    settings.SHIELD_ACCOUNT_PAGES_PER_MINUTE = 1000
    account = make_user("counted_reader")
    client = Client(HTTP_USER_AGENT=BROWSER)
    client.force_login(account)
    for _ in range(2):
        response = client.get("/jobs/")
        assert response.status_code == 200
        assert response.wsgi_request.user.pk == account.pk
    budget = RateLimit("shield-page-account", settings.SHIELD_ACCOUNT_PAGES_PER_MINUTE, 60)
    assert budget.count(f"user:{account.pk}") == 2
    anonymous = Client(HTTP_USER_AGENT=BROWSER).get("/jobs/")
    assert anonymous.status_code == 200 and not anonymous.wsgi_request.user.is_authenticated
