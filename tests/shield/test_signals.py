"""Do-not-train signals, checked with independent readers: Python's robots.txt parser, JSON, headers."""

import json
import urllib.robotparser

import pytest
from django.core.files.base import ContentFile

from atelier.media.storages import public_storage
from atelier.protection.shield.migrations import __name__ as _migrations  # noqa: F401 - the package exists
from tests.conftest import image_bytes

pytestmark = pytest.mark.django_db

AI_AGENTS = [
    "GPTBot", "ChatGPT-User", "OAI-SearchBot", "CCBot", "Google-Extended", "ClaudeBot", "Claude-Web",
    "anthropic-ai", "Bytespider", "PerplexityBot", "Applebot-Extended", "Meta-ExternalAgent",
    "meta-externalagent", "FacebookBot", "cohere-ai", "Amazonbot", "Diffbot", "img2dataset",
    "ImagesiftBot", "Timpibot", "omgili",
]  # fmt: skip
PAGES_AND_FILES = ["/", "/@someone", "/posts/1/", "/media/posts/1/12-abc.webp", "/media/posts/1/12-abc.jpg"]


def _robots(client) -> urllib.robotparser.RobotFileParser:
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(response.content.decode().splitlines())
    return parser


@pytest.mark.parametrize("agent", AI_AGENTS)
def test_robots_txt_refuses_every_ai_crawler_everywhere(client, agent):
    parser = _robots(client)
    for path in PAGES_AND_FILES:
        assert not parser.can_fetch(agent, f"http://testserver{path}"), (agent, path)


@pytest.mark.parametrize("agent", ["Googlebot", "Bingbot", "Googlebot-Image", "DuckDuckBot"])
def test_search_engines_may_index_pages_and_images(client, agent):
    parser = _robots(client)
    for path in PAGES_AND_FILES:
        assert parser.can_fetch(agent, f"http://testserver{path}"), (agent, path)
    assert not parser.can_fetch(agent, "http://testserver/settings/profile/")


def test_robots_txt_carries_the_content_signal_and_follows_admin_edits(client):
    from atelier.protection.shield.models import CrawlerAgent

    body = client.get("/robots.txt").content.decode()
    assert "Content-Signal: search=yes, ai-input=no, ai-train=no" in body
    CrawlerAgent.objects.create(token="NewDatasetBot", operator="Someone")
    assert not _robots(client).can_fetch("NewDatasetBot", "http://testserver/")


def test_ai_txt_disallows_everything(client):
    body = client.get("/ai.txt").content.decode()
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(body.splitlines())
    assert not parser.can_fetch("AnyAIAgent", "http://testserver/")
    assert not parser.can_fetch("AnyAIAgent", "http://testserver/media/posts/1/a.png")


def test_tdmrep_well_known_file_and_policy(client, settings):
    reservation = client.get("/.well-known/tdmrep.json")
    assert reservation.status_code == 200 and reservation["Content-Type"] == "application/json"
    entries = json.loads(reservation.content)
    assert entries == [{"location": "/*", "tdm-reservation": 1, "tdm-policy": settings.SITE_URL + "/tdm-policy.json"}]
    policy = client.get("/tdm-policy.json")
    assert policy["Content-Type"] == "application/ld+json"
    document = json.loads(policy.content)
    assert document["profile"] == "http://www.w3.org/ns/tdmrep"
    assert document["permission"][0]["action"] == "tdm:mine"
    assert document["permission"][0]["duty"][0]["action"] == "obtainConsent"


def _assert_tdm_headers(response, settings):
    assert response["tdm-reservation"] == "1"
    assert response["tdm-policy"] == settings.SITE_URL + "/tdm-policy.json"


@pytest.mark.parametrize("path", ["/", "/jobs/", "/no-such-page/", "/feed/discover/", "/robots.txt", "/api/v1/jobs"])
def test_every_response_reserves_tdm_rights(client, settings, path):
    _assert_tdm_headers(client.get(path), settings)


def test_every_page_has_the_noai_and_tdm_meta_tags(client):
    for path in ("/", "/jobs/", "/no-such-page/", "/do-not-train/"):
        page = client.get(path).content.decode()
        assert '<meta name="robots" content="noai, noimageai">' in page, path
        assert '<meta name="tdm-reservation" content="1">' in page, path


def test_images_and_videos_carry_x_robots_tag(client, settings, isolated_media):
    public_storage().save("posts/1/1-abc.webp", ContentFile(image_bytes("WEBP", size=(64, 64))))
    public_storage().save("posts/1/2-abc.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64))
    for name, kind in (("posts/1/1-abc.webp", "image/"), ("posts/1/2-abc.mp4", "video/")):
        response = client.get(public_storage().url(name))
        assert response.status_code == 200 and response["Content-Type"].startswith(kind)
        assert response["X-Robots-Tag"] == "noai, noimageai"
        _assert_tdm_headers(response, settings)
    assert client.get("/")["X-Robots-Tag"] == "noai, noimageai"  # pages say it in their meta tag too
