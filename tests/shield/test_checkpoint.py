"""The browser check: no art without a pass, a solved puzzle earns one bound to the client, passes
expire and can't be moved, and only search engines proven by their address skip it."""

import base64
import hashlib
import re
import socket

import pytest
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile

from atelier.media.storages import public_storage
from atelier.protection.shield import refusals
from atelier.protection.shield.models import ProtectionCount
from atelier.protection.shield.passes import (
    PASS_COOKIE,
    ChallengeFailed,
    check_answer,
    edge_secret,
    leading_zero_bits,
    mint_pass,
    new_challenge,
    pass_holder,
)
from tests.conftest import image_bytes

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
AUTOMATION = [
    "python-requests/2.32.3",
    "curl/8.5.0",
    "Wget/1.21.4",
    "Go-http-client/2.0",  # (Scrapy is on the AI list: refused by name before any puzzle)
    "node-fetch",
    BROWSER.replace("Chrome/", "HeadlessChrome/"),
    BROWSER,  # a headless browser that hides its token looks exactly like this
    "",
]
NOW = 1_800_000_000.0


@pytest.fixture
def check_on(settings):
    settings.SHIELD_CHALLENGE_BITS = 8  # the real check with a small puzzle: tests solve it in Python


@pytest.fixture
def image_url(isolated_media):
    name = public_storage().save("posts/1/1-abc.webp", ContentFile(image_bytes("WEBP", size=(32, 32))))
    return public_storage().url(name)


def _solve(token: str, bits: int) -> str:
    nonce = 0
    while leading_zero_bits(hashlib.sha256(f"{token}:{nonce}".encode()).digest()) < bits:
        nonce += 1
    return str(nonce)


def _earn(client, user_agent: str, *, next_url: str = "/"):
    page = client.get(next_url, HTTP_USER_AGENT=user_agent)
    token = re.search(r'name="token" value="([^"]+)"', page.content.decode()).group(1)
    return client.post(
        "/.shield/pass", {"token": token, "nonce": _solve(token, 8), "next": next_url}, HTTP_USER_AGENT=user_agent
    )


# --- the pass itself


def test_a_pass_is_bound_to_its_network_and_user_agent_and_expires():
    value, lifetime = mint_pass(address="203.0.113.7", user_agent=BROWSER, now=NOW)
    assert lifetime == 86400
    assert pass_holder(value, address="203.0.113.7", user_agent=BROWSER, now=NOW)
    assert pass_holder(value, address="203.0.113.200", user_agent=BROWSER, now=NOW + 3600)  # same /24
    assert pass_holder(value, address="198.51.100.7", user_agent=BROWSER, now=NOW) is None
    assert pass_holder(value, address="203.0.113.7", user_agent=BROWSER + " x", now=NOW) is None
    assert pass_holder(value, address="203.0.113.7", user_agent=BROWSER, now=NOW + lifetime) is None


def test_a_remembered_pass_still_expires_and_follows_the_secret(settings):
    """Each worker verifies a pass once and remembers it (passes._signed_here): the expiry is still
    read on every request, and a new secret refuses every pass signed with the old one."""
    value, lifetime = mint_pass(address="203.0.113.7", user_agent=BROWSER, now=NOW)
    for _ in range(3):
        assert pass_holder(value, address="203.0.113.7", user_agent=BROWSER, now=NOW + 60)
    assert pass_holder(value, address="203.0.113.7", user_agent=BROWSER, now=NOW + lifetime) is None
    settings.SHIELD_EDGE_SECRET = "rotated-" + "x" * 40
    assert pass_holder(value, address="203.0.113.7", user_agent=BROWSER, now=NOW + 60) is None
    settings.SECRET_KEY = "another-key-" + "y" * 50
    settings.SHIELD_EDGE_SECRET = ""
    assert pass_holder(value, address="203.0.113.7", user_agent=BROWSER, now=NOW + 60) is None
    fresh, _ = mint_pass(address="203.0.113.7", user_agent=BROWSER, now=NOW)
    assert pass_holder(fresh, address="203.0.113.7", user_agent=BROWSER, now=NOW + 60)


@pytest.mark.parametrize(
    "mangle", [lambda v: ("B" if v[0] == "A" else "A") + v[1:], lambda v: v.split(".")[0] + ".9999999999", str.swapcase]
)
def test_a_tampered_pass_is_not_a_pass(mangle):
    value, _ = mint_pass(address="203.0.113.7", user_agent=BROWSER, now=NOW)
    assert pass_holder(mangle(value), address="203.0.113.7", user_agent=BROWSER, now=NOW) is None


@pytest.mark.parametrize("value", [None, "", ".", "a.b.c", "abc.", ".123", "abc.-5", "é.1", "x" * 5000])
def test_malformed_passes_are_refused_without_error(value):
    assert pass_holder(value, address="203.0.113.7", user_agent=BROWSER, now=NOW) is None


def test_the_pass_is_what_nginx_secure_link_md5_checks():
    # secure_link_md5 "$expires$network$http_user_agent <secret>", compared as unpadded base64url.
    value, _ = mint_pass(address="203.0.113.7", user_agent=BROWSER, now=NOW)
    signature, expires = value.split(".")
    text = f"{expires}203.0.113.0/24{BROWSER} {edge_secret()}".encode()
    assert signature == base64.urlsafe_b64encode(hashlib.md5(text).digest()).decode().rstrip("=")  # noqa: S324


# --- the puzzle


def test_a_solved_puzzle_is_accepted_once(settings):
    settings.SHIELD_CHALLENGE_BITS = 8
    challenge = new_challenge(address="203.0.113.7", user_agent=BROWSER, now=NOW)
    nonce = _solve(challenge.token, 8)
    check_answer(token=challenge.token, nonce=nonce, address="203.0.113.7", user_agent=BROWSER, now=NOW + 2)
    with pytest.raises(ChallengeFailed, match="already used"):
        check_answer(token=challenge.token, nonce=nonce, address="203.0.113.7", user_agent=BROWSER, now=NOW + 3)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"now": NOW + 301}, "expired"),
        ({"now": NOW - 10}, "expired"),
        ({"address": "198.51.100.1"}, "another browser"),
        ({"user_agent": "curl/8.5.0"}, "another browser"),
        ({"nonce": "not-a-number"}, "not a number"),
        ({"nonce": "9" * 40}, "not a number"),
        ({"token": "forged"}, "not issued here"),
    ],
)
def test_a_wrong_stale_or_moved_answer_is_refused(settings, change, reason):
    settings.SHIELD_CHALLENGE_BITS = 8
    challenge = new_challenge(address="203.0.113.7", user_agent=BROWSER, now=NOW)
    answer = {"token": challenge.token, "nonce": _solve(challenge.token, 8), "address": "203.0.113.7"}
    answer.update(user_agent=BROWSER, now=NOW + 1)
    with pytest.raises(ChallengeFailed, match=reason):
        check_answer(**{**answer, **change})


def test_an_unsolved_nonce_is_refused(settings):
    settings.SHIELD_CHALLENGE_BITS = 20
    challenge = new_challenge(address="203.0.113.7", user_agent=BROWSER, now=NOW)
    wrong = next(
        str(n) for n in range(100) if leading_zero_bits(hashlib.sha256(f"{challenge.token}:{n}".encode()).digest()) < 20
    )
    with pytest.raises(ChallengeFailed, match="does not solve"):
        check_answer(token=challenge.token, nonce=wrong, address="203.0.113.7", user_agent=BROWSER, now=NOW)


# --- the check in front of the site


@pytest.mark.parametrize("user_agent", AUTOMATION)
def test_no_art_page_or_file_without_a_pass(client, check_on, image_url, user_agent):
    for path in ("/", "/feed/discover/", "/search/?q=harbour", "/@someone", "/posts/1/", "/jobs/"):
        response = client.get(path, HTTP_USER_AGENT=user_agent)
        assert response.status_code == 403, path
        assert response["Cache-Control"] == "no-store"
        page = response.content.decode()
        assert "Checking your browser" in page and "<noscript>" in page
        assert 'name="token"' in page and 'data-bits="8"' in page
    image = client.get(image_url, HTTP_USER_AGENT=user_agent)
    assert image.status_code == 403 and not image.content.startswith(b"RIFF")
    refusals.flush()
    assert ProtectionCount.objects.get(rule="no_pass").count == 1  # the file, not the check pages


def test_a_solved_check_lets_the_same_client_in_for_the_day(client, check_on, image_url):
    earned = _earn(client, BROWSER, next_url="/feed/discover/")
    assert earned.status_code == 303 and earned["Location"] == "/feed/discover/"
    cookie = earned.cookies[PASS_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["max-age"] == 86400
    assert client.get("/feed/discover/", HTTP_USER_AGENT=BROWSER).status_code == 200
    assert client.get(image_url, HTTP_USER_AGENT=BROWSER).status_code == 200
    # The cookie copied into a scraper with another User-Agent, or from another network, is no pass.
    assert client.get("/", HTTP_USER_AGENT="python-requests/2.32.3").status_code == 403
    assert client.get(image_url, HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="198.51.100.9").status_code == 403


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""])
def test_the_check_only_sends_people_back_to_this_site(client, check_on, next_url):
    page = client.get("/", HTTP_USER_AGENT=BROWSER)
    token = re.search(r'name="token" value="([^"]+)"', page.content.decode()).group(1)
    answer = {"token": token, "nonce": _solve(token, 8), "next": next_url}
    assert client.post("/.shield/pass", answer, HTTP_USER_AGENT=BROWSER)["Location"] == "/"


def test_a_bad_answer_gets_a_clear_400_and_no_pass(client, check_on):
    response = client.post("/.shield/pass", {"token": "x", "nonce": "1"}, HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 400 and "not issued here" in response.content.decode()
    assert PASS_COOKIE not in response.cookies
    assert client.get("/.shield/pass").status_code == 405


def test_terms_sign_in_and_assets_need_no_pass(client, check_on):
    for path in ("/robots.txt", "/ai.txt", "/.well-known/tdmrep.json", "/tdm-policy.json", "/do-not-train/"):
        assert client.get(path, HTTP_USER_AGENT="curl/8.5.0").status_code == 200, path
    assert client.get("/accounts/login/", HTTP_USER_AGENT="curl/8.5.0").status_code == 200
    # Assets are not gated (the suite serves none: a 404 here, not the check's 403), and the check's
    # script and its hashing library (npm) are there to collect.
    for asset in ("js/shield_check.js", "vendor/js-sha256/sha256.min.js", "css/shield_check.css"):
        assert client.get(f"/static/{asset}", HTTP_USER_AGENT="curl/8.5.0").status_code != 403
        assert finders.find(asset), asset


def test_htmx_and_form_posts_without_a_pass_get_a_plain_refusal(client, check_on):
    assert client.get("/feed/discover/", HTTP_HX_REQUEST="true").content.startswith(b"Open Atelier in a browser")
    assert client.post("/posts/1/like/").status_code == 403


def test_listed_ai_crawlers_are_refused_by_name_before_any_puzzle(client, check_on):
    response = client.get("/", HTTP_USER_AGENT="Mozilla/5.0 (compatible; GPTBot/1.2)")
    assert response.status_code == 403 and "AI crawlers are not allowed" in response.content.decode()


class _FakeDns:
    """Stand-in for the resolver (we can't reach Google's DNS here): PTR and A records by table."""

    def __init__(self, monkeypatch, ptr: dict, forward: dict):
        def gethostbyaddr(address):
            if address not in ptr:
                raise socket.herror(1, "Unknown host")
            return ptr[address], [], [address]

        def getaddrinfo(host, port, *args, **kwargs):
            if host not in forward:
                raise socket.gaierror(-2, "Name or service not known")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, 0)) for ip in forward[host]]

        monkeypatch.setattr(socket, "gethostbyaddr", gethostbyaddr)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def test_a_search_engine_proven_by_its_address_skips_the_check(client, check_on, monkeypatch, image_url):
    name = "crawl-66-249-66-1.googlebot.com"
    _FakeDns(monkeypatch, {"66.249.66.1": name}, {name: ["66.249.66.1"]})
    assert client.get("/", HTTP_USER_AGENT=GOOGLEBOT, REMOTE_ADDR="66.249.66.1").status_code == 200
    assert client.get(image_url, HTTP_USER_AGENT=GOOGLEBOT, REMOTE_ADDR="66.249.66.1").status_code == 200


@pytest.mark.parametrize(
    ("ptr", "forward"),
    [
        ({}, {}),  # no reverse name
        ({"203.0.113.5": "googlebot.com.evil.example"}, {"googlebot.com.evil.example": ["203.0.113.5"]}),
        ({"203.0.113.5": "crawl.googlebot.com"}, {"crawl.googlebot.com": ["66.249.66.1"]}),  # PTR the owner wrote
    ],
)
def test_a_scraper_claiming_to_be_googlebot_still_gets_the_check(client, check_on, monkeypatch, ptr, forward):
    _FakeDns(monkeypatch, ptr, forward)
    assert client.get("/", HTTP_USER_AGENT=GOOGLEBOT, REMOTE_ADDR="203.0.113.5").status_code == 403


def test_the_check_can_be_turned_off_by_the_operator(client, settings):
    settings.SHIELD_CHALLENGE_BITS = 0
    assert client.get("/", HTTP_USER_AGENT="curl/8.5.0").status_code == 200


def test_one_pass_pulling_files_is_throttled_like_an_address(client, check_on, settings, image_url, clock):
    settings.SHIELD_PASS_MEDIA_PER_MINUTE = 5
    settings.SHIELD_MEDIA_PER_MINUTE = 10_000  # the address budget is not what stops it here
    _earn(client, BROWSER)  # (the budget is read when the client's middleware is built, after the settings)
    statuses = [client.get(image_url, HTTP_USER_AGENT=BROWSER).status_code for _ in range(8)]
    assert statuses[:5] == [200] * 5 and set(statuses[5:]) == {429}
    refused = client.get(image_url, HTTP_USER_AGENT=BROWSER)
    assert 1 <= int(refused["Retry-After"]) <= 60
    refusals.flush()
    assert ProtectionCount.objects.get(rule="rate_limit").count == 4
    clock.advance(61)  # a minute later the pass may fetch files again
    assert client.get(image_url, HTTP_USER_AGENT=BROWSER).status_code == 200
