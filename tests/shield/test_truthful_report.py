"""The protection report tells what was refused and to what kind of client, and never counts the
artist herself or any signed-in reader as a scraper."""

import time

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from atelier.media.storages import public_storage
from atelier.protection.shield import refusals
from atelier.protection.shield.clients import client_kind
from atelier.protection.shield.models import ProtectionCount
from atelier.protection.shield.passes import PASS_COOKIE, mint_pass
from tests.conftest import image_bytes

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
HEADLESS = BROWSER.replace("Chrome/", "HeadlessChrome/")
GPTBOT = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)"


@pytest.mark.parametrize(
    ("agent", "kind"),
    [
        (GPTBOT, "ai_crawler"),
        ("CCBot/2.0 (https://commoncrawl.org/faq/)", "ai_crawler"),
        ("python-requests/2.32.3", "library"),
        ("curl/8.5.0", "library"),
        ("Wget/1.21.4", "library"),
        ("Go-http-client/2.0", "library"),
        ("node-fetch", "library"),
        ("Mozilla/5.0 (compatible; SomeNewBot/1.0; +https://bot.example)", "library"),
        (HEADLESS, "headless"),
        ("Mozilla/5.0 (X11; Linux x86_64) Playwright/1.49", "headless"),
        (BROWSER, "browser"),
        ("Mozilla/5.0 (Linux; Android 14; Cubot X30) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36", "browser"),
        ("", "empty"),
        ("   ", "empty"),
        ("\x00\ufffd" * 300, "library"),
    ],
)
def test_kinds_of_client_are_what_the_user_agent_claims(agent, kind):
    assert client_kind(agent) == kind


@pytest.fixture
def artwork(make_user, make_published_post, isolated_media, settings):
    settings.SHIELD_CHALLENGE_BITS = 8
    artist = make_user("etcher")
    post = make_published_post(artist, title="Salt marsh")
    name = public_storage().save(f"posts/{post.pk}/1-abc.webp", ContentFile(image_bytes("WEBP", size=(32, 32))))
    return artist, post, public_storage().url(name)


def test_each_refusal_is_counted_with_its_reason_and_kind_of_client(clock, settings, artwork):
    settings.SHIELD_MEDIA_PER_MINUTE = 3
    artist, _, image = artwork
    for agent in (GPTBOT, "python-requests/2.32.3", HEADLESS, BROWSER, ""):
        Client(HTTP_USER_AGENT=agent, REMOTE_ADDR="203.0.113.9").get(image)
    forged = Client(HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.10")
    forged.cookies[PASS_COOKIE] = "AAAAAAAAAAAAAAAAAAAAAA.9999999999"
    for _ in range(5):  # a forged pass: bad signature, then the address's budget
        forged.get(image)
    refusals.flush()
    counted = {(row.rule, row.client): row.count for row in ProtectionCount.objects.filter(artist=artist)}
    assert counted == {
        ("ai_crawler", "ai_crawler"): 1,
        ("no_pass", "library"): 1,
        ("no_pass", "headless"): 1,
        ("no_pass", "browser"): 1,
        ("no_pass", "empty"): 1,
        ("bad_signature", "browser"): 3,
        ("rate_limit", "browser"): 2,
    }
    owner = Client(HTTP_USER_AGENT=BROWSER)
    owner.force_login(artist)
    owner.cookies[PASS_COOKIE] = mint_pass(address="127.0.0.1", user_agent=BROWSER, now=time.time())[0]
    page = owner.get(reverse("shield:report")).content.decode()
    assert "<strong>10</strong> requests refused" in page
    assert "Forged or expired link or pass: 3" in page and "File asked for without the browser check: 4" in page
    assert "Browser-like: 6" in page and "Headless browser: 1" in page and "No user agent: 1" in page
    assert "Library, command-line tool or other bot: 1" in page and "AI crawler on the list: 1" in page


def test_the_artist_and_signed_in_readers_are_never_counted(clock, settings, artwork, make_user):
    settings.SHIELD_MEDIA_PER_MINUTE = 1
    settings.SHIELD_ACCOUNT_MEDIA_PER_MINUTE = 1
    settings.SHIELD_ACCOUNT_PAGES_PER_MINUTE = 1
    artist, post, image = artwork
    statuses = {}
    for person in (artist, make_user("night_reader")):
        browser = Client(HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="198.51.100.3")
        browser.force_login(person)
        for _ in range(4):  # without a pass, then over every budget an account has
            browser.get(image)
            browser.get(post.get_absolute_url())
        value, _ = mint_pass(address="198.51.100.3", user_agent=BROWSER, now=time.time())
        browser.cookies[PASS_COOKIE] = value
        statuses[person.handle] = [browser.get(image).status_code for _ in range(4)]
    assert statuses == {"etcher": [200] * 4, "night_reader": [429] * 4}  # her own work; another's, past his budget
    refusals.flush()
    assert not ProtectionCount.objects.exists()
    clock.advance(61)
    owner = Client(HTTP_USER_AGENT=BROWSER)
    owner.force_login(artist)
    owner.cookies[PASS_COOKIE] = mint_pass(address="127.0.0.1", user_agent=BROWSER, now=time.time())[0]
    assert "Nothing was refused this week" in owner.get(reverse("shield:report")).content.decode()


def test_the_edge_s_question_counts_a_file_refused_without_a_pass(artwork):
    artist, post, image = artwork
    edge = Client(HTTP_USER_AGENT="curl/8.5.0", REMOTE_ADDR="192.0.2.44")
    assert edge.get("/.shield/check", HTTP_X_ORIGINAL_URI=image).status_code == 403
    assert (
        edge.get("/.shield/check", HTTP_X_ORIGINAL_URI=post.get_absolute_url()).status_code == 403
    )  # a page: the check page follows
    assert edge.get("/.shield/check", HTTP_X_ORIGINAL_URI="\x00/media/../../etc").status_code == 403
    value, _ = mint_pass(address="192.0.2.44", user_agent="curl/8.5.0", now=time.time())
    edge.cookies[PASS_COOKIE] = value
    assert edge.get("/.shield/check", HTTP_X_ORIGINAL_URI=image).status_code == 204
    refusals.flush()
    row = ProtectionCount.objects.get()
    assert (row.rule, row.client, row.artist_id, row.count) == ("no_pass", "library", artist.pk, 1)
