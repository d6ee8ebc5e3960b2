"""The jobs Atom feed with script in every field a studio writes: feed readers get the text, never
a live tag. The summary is HTML inside XML, so it is checked the way a reader would see it: the XML
text, parsed again as HTML."""

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from atelier.jobs.choices import LocationMode

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
PAYLOAD = "<img src=x onerror=alert(1)>"


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def test_script_in_every_studio_field_reaches_feed_readers_as_text(client, studio, make_job):
    studio.profile.display_name = f"Studio {PAYLOAD}"
    studio.profile.save(update_fields=["display_name"])
    make_job(
        title=f"Painter {PAYLOAD}",
        location_mode=LocationMode.ONSITE,
        city=f"Porto {PAYLOAD}",
        description=f"Paint {PAYLOAD} and <script>alert(2)</script> [x](javascript:alert(3))",
        ai_statement=f"None {PAYLOAD}",
    )
    response = client.get(reverse("jobs:atom"), {"q": PAYLOAD})
    assert response.status_code == 200
    client_feed = client.get(reverse("jobs:atom"))
    for feed in (response, client_feed):
        root = ET.fromstring(feed.content)  # well-formed XML whatever was typed
        assert root.find(f"{ATOM}title").text.startswith("Atelier jobs")
    (entry,) = ET.fromstring(client_feed.content).findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == f"Painter {PAYLOAD} — Studio {PAYLOAD}"
    assert entry.find(f"{ATOM}author/{ATOM}name").text == f"Studio {PAYLOAD}"
    summary = entry.find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    tags = _tags(summary.text)
    assert {tag for tag, _ in tags} <= {"p", "a", "em", "strong"}, tags
    assert not any(name.startswith("on") for _, attrs in tags for name in attrs)
    assert not any(str(value).startswith("javascript") for _, attrs in tags for value in attrs.values())
    assert f"Porto {PAYLOAD}" in _text(summary.text)


def _text(html: str) -> str:
    parts: list[str] = []
    parser = HTMLParser()
    parser.handle_data = parts.append
    parser.feed(html)
    return "".join(parts)
