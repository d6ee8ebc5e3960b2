"""The allow-list robots.txt, the named AI crawlers seeded from the ai.robots.txt list, and
`update_crawler_list` against a local stand-in for the list's published JSON."""

import json
import threading
import urllib.robotparser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command

from atelier.protection.shield.crawler_list import BUNDLED_LIST, PUBLISHED_LIST_URL
from atelier.protection.shield.models import CrawlerAgent, CrawlerSource, SearchEngineAgent
from tests.conftest import pass_second_factor

pytestmark = pytest.mark.django_db

LISTED = sorted(json.loads(BUNDLED_LIST.read_text()))
# AI crawlers the first robots.txt did not name (issue 20), and clients that never announce themselves.
UNNAMED_BEFORE = ["AI2Bot", "PetalBot", "cohere-training-data-crawler", "MistralAI-User"]
GENERIC_CLIENTS = [
    "python-requests/2.32.3",
    "curl/8.5.0",
    "Wget/1.21.4",
    "Scrapy/2.11.2 (+https://scrapy.org)",
    "Go-http-client/2.0",
    "node-fetch",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
    "",
]
SEARCH_ENGINES = ["Googlebot", "Googlebot-Image", "Bingbot", "DuckDuckBot", "YandexBot", "Qwantbot"]
ART = ["/", "/@someone", "/posts/1/", "/feed/discover/", "/search/?q=ink", "/media/posts/1/12-abc.webp"]
TERMS = ["/robots.txt", "/ai.txt", "/.well-known/tdmrep.json", "/tdm-policy.json", "/do-not-train/"]
WEBKIT = "AppleWebKit/605.1.15 (KHTML, like Gecko)"
BLINK = "AppleWebKit/537.36 (KHTML, like Gecko)"
BROWSERS = [
    f"Mozilla/5.0 (X11; Linux x86_64) {BLINK} Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) {WEBKIT} Version/18.1 Safari/605.1.15",
    f"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) {WEBKIT} Version/18.1 Mobile/15E148 Safari/604.1",
    f"Mozilla/5.0 (Linux; Android 14; SM-S918B) {BLINK} SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
    f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {BLINK} Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
]  # fmt: skip


def _robots(client) -> urllib.robotparser.RobotFileParser:
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(client.get("/robots.txt").content.decode().splitlines())
    return parser


def test_every_crawler_of_the_shipped_list_is_named_and_disallowed(client):
    assert len(LISTED) > 150
    body = client.get("/robots.txt").content.decode()
    parser = _robots(client)
    for token in LISTED:
        assert f"\nUser-agent: {token}\n" in body, token
        assert not any(parser.can_fetch(token, f"http://testserver{path}") for path in ART), token


@pytest.mark.parametrize("agent", UNNAMED_BEFORE + GENERIC_CLIENTS + ["SomeNewBot/1.0"])
def test_every_agent_but_an_allowed_search_engine_is_disallowed_from_art_yet_can_read_the_terms(client, agent):
    parser = _robots(client)
    for path in ART:
        assert not parser.can_fetch(agent or "*", f"http://testserver{path}"), (agent, path)
    for path in TERMS:
        assert parser.can_fetch(agent or "*", f"http://testserver{path}"), (agent, path)


@pytest.mark.parametrize("agent", SEARCH_ENGINES)
def test_allowed_search_engines_index_public_pages_and_images_but_not_private_ones(client, agent):
    parser = _robots(client)
    assert all(parser.can_fetch(agent, f"http://testserver{path}") for path in ART), agent
    assert not parser.can_fetch(agent, "http://testserver/settings/profile/")


def test_an_admin_can_stop_allowing_a_search_engine(client):
    SearchEngineAgent.objects.filter(token="YandexBot").update(allowed=False)
    assert not _robots(client).can_fetch("YandexBot", "http://testserver/posts/1/")
    assert _robots(client).can_fetch("Googlebot", "http://testserver/posts/1/")


@pytest.mark.parametrize("agent", UNNAMED_BEFORE)
def test_listed_agents_are_refused_on_pages_and_files(client, agent):
    user_agent = f"Mozilla/5.0 (compatible; {agent}/1.0; +https://example.com/bot)"
    for path in ("/", "/media/posts/1/12-abc.webp"):
        assert client.get(path, HTTP_USER_AGENT=user_agent).status_code == 403, (agent, path)
    assert client.get("/robots.txt", HTTP_USER_AGENT=user_agent).status_code == 200
    assert client.get("/do-not-train/", HTTP_USER_AGENT=user_agent).status_code == 200


@pytest.mark.parametrize("user_agent", BROWSERS)
def test_tokens_match_whole_words_so_browsers_and_search_engines_pass(client, user_agent):
    # The list holds short tokens ("Spider", "Code", "YaK", "LCC") that a substring match would find
    # inside Baiduspider or a browser's own words.
    assert client.get("/", HTTP_USER_AGENT=user_agent).status_code == 200


def test_an_allowed_search_engine_is_never_refused_even_when_the_list_names_it(client):
    applebot = "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Safari (Applebot/0.1)"
    assert client.get("/", HTTP_USER_AGENT=applebot).status_code == 403  # listed, not allowed by default
    SearchEngineAgent.objects.create(token="Applebot", name="Apple search")
    assert client.get("/", HTTP_USER_AGENT=applebot).status_code == 200
    assert _robots(client).can_fetch("Applebot", "http://testserver/posts/1/")
    assert not _robots(client).can_fetch("Applebot-Extended", "http://testserver/posts/1/")


def test_pages_carry_x_robots_tag_too(client):
    for path in ("/", "/jobs/", "/do-not-train/"):
        assert client.get(path)["X-Robots-Tag"] == "noai, noimageai", path


class _ListServer:
    """A local stand-in for the list's published robots.json: serves whatever body a test sets."""

    def __init__(self):
        self.body = b"{}"
        self.requests: list[str] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                stand_in.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(stand_in.body)))
                self.end_headers()
                self.wfile.write(stand_in.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ai-robots-txt/robots.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def list_server():
    server = _ListServer()
    yield server
    server.close()


def _published(**extra) -> bytes:
    document = json.loads(BUNDLED_LIST.read_text())
    document.update(extra)
    return json.dumps(document).encode()


def test_update_adds_new_crawlers_and_refreshes_the_lists_own_rows(client, list_server, capsys):
    list_server.body = _published(
        FreshTrainerBot={"operator": "[Fresh AI](https://fresh.example)", "function": "AI model training."},
        GPTBot={"operator": "OpenAI, Inc.", "function": "Scrapes data to train OpenAI's products."},
    )
    call_command("update_crawler_list", url=list_server.url)
    assert list_server.requests == ["/ai-robots-txt/robots.json"]
    fresh = CrawlerAgent.objects.get(token="FreshTrainerBot")
    assert (fresh.operator, fresh.purpose, fresh.source, fresh.refused) == (
        "Fresh AI",
        "AI model training.",
        CrawlerSource.AI_ROBOTS_LIST,
        True,
    )
    assert CrawlerAgent.objects.get(token="GPTBot").operator == "OpenAI, Inc."
    assert "1 added" in capsys.readouterr().out
    assert client.get("/", HTTP_USER_AGENT="FreshTrainerBot/2.0").status_code == 403
    assert "\nUser-agent: FreshTrainerBot\n" in client.get("/robots.txt").content.decode()
    assert not _robots(client).can_fetch("FreshTrainerBot", "http://testserver/posts/1/")


def test_update_leaves_what_admins_added_or_edited_alone(client, make_user, list_server):
    # Through the admin, as an admin does it: the list's row GPTBot let through, an own row added.
    admin = make_user("siteadmin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    pass_second_factor(client, admin)  # staff reach the admin through a second factor
    gptbot = CrawlerAgent.objects.get(token="GPTBot")
    response = client.post(
        f"/admin/shield/crawleragent/{gptbot.pk}/change/",
        {"token": "GPTBot", "operator": "Our note", "purpose": "Allowed by agreement"},
    )
    assert response.status_code == 302
    CrawlerAgent.objects.create(token="LocalScraper", operator="Us")
    list_server.body = _published(GPTBot={"operator": "OpenAI", "function": "Training"})
    call_command("update_crawler_list", url=list_server.url)
    gptbot.refresh_from_db()
    assert (gptbot.operator, gptbot.purpose, gptbot.refused, gptbot.source) == (
        "Our note",
        "Allowed by agreement",
        False,
        CrawlerSource.ADMIN,
    )
    assert CrawlerAgent.objects.filter(token="LocalScraper", source=CrawlerSource.ADMIN).exists()


@pytest.mark.parametrize(
    "body",
    [
        b"<html>not json</html>",
        b"[]",
        b"{}",
        json.dumps({"Evil\nUser-agent: *\nAllow: /": {}}).encode(),  # would inject robots.txt lines
        json.dumps({"Bot:Disallow": {}}).encode(),
        b"\xff\xfe garbage",
    ],
)
def test_a_bad_list_changes_nothing_and_says_why(list_server, body):
    before = set(CrawlerAgent.objects.values_list("token", "operator", "purpose", "source"))
    list_server.body = body
    with pytest.raises(CommandError, match="Crawler list not updated"):
        call_command("update_crawler_list", url=list_server.url)
    assert set(CrawlerAgent.objects.values_list("token", "operator", "purpose", "source")) == before


def test_an_oversized_list_is_refused(list_server):
    list_server.body = b'{"A": "' + b"x" * (2 * 1024 * 1024 + 10) + b'"}'
    with pytest.raises(CommandError, match="larger than 2 MB"):
        call_command("update_crawler_list", url=list_server.url)


def test_an_unreachable_list_is_a_clear_error():
    with pytest.raises(CommandError, match="Could not download"):
        call_command("update_crawler_list", url="http://127.0.0.1:9/robots.json")
    with pytest.raises(CommandError, match="http"):
        call_command("update_crawler_list", url="file:///etc/passwd")


def test_the_published_url_is_the_projects_json():
    assert PUBLISHED_LIST_URL.endswith("/ai.robots.txt/main/robots.json")
