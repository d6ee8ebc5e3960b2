"""Files through the real edge: nginx checks each URL's signature (no Python on the image path),
refuses every listed AI crawler, adds the do-not-train headers, and fetches renditions from the
SeaweedFS object store; originals and anything outside the public prefix are never reachable."""

import base64
import hashlib
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from atelier.media import signed_media
from atelier.media.models import MediaKind
from atelier.media.renditions import rendition_names
from atelier.media.storages import public_storage
from atelier.posts import services as post_services
from atelier.protection.shield.models import CrawlerAgent
from tests.edge.conftest import fetch
from tests.media.sample_files import animated_gif, make_clip, quadrant_bytes
from tests.posts.support import add_file, publish

# The live server (the app behind nginx) makes these transactional: each test starts from an empty
# database, so the crawler list (migration data elsewhere) is written by `crawler_list`.
pytestmark = [pytest.mark.end_to_end, pytest.mark.django_db(transaction=True)]
KNOWN_CRAWLERS = ["GPTBot", "ChatGPT-User", "OAI-SearchBot", "CCBot", "ClaudeBot", "anthropic-ai", "Google-Extended",
                  "Applebot-Extended", "Bytespider", "PerplexityBot", "Meta-ExternalAgent", "Amazonbot", "cohere-ai",
                  "Diffbot", "ImagesiftBot", "Omgilibot", "Timpibot", "img2dataset"]  # fmt: skip


@pytest.fixture
def crawler_list(db):
    """The refused crawlers, in the database before the edge renders its map."""
    for token in KNOWN_CRAWLERS:
        CrawlerAgent.objects.get_or_create(token=token)


@pytest.fixture
def published(make_user, edge_over, django_capture_on_commit_callbacks):
    """A post with a still image, uploaded and rendered into the object store by the real pipeline."""
    capture = django_capture_on_commit_callbacks
    draft = post_services.post_create_draft(author=make_user("harbour"))
    item = add_file(draft, quadrant_bytes(size=(1200, 800)), capture=capture)
    return publish(draft, capture=capture, title="Harbour"), item


def _rendition(item, width: int = 640) -> str:
    names = rendition_names(item.renditions)
    return next((name for name in names if f"-{width}." in name), names[0])


def _query(url: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def _assert_do_not_train_headers(response) -> None:
    assert response.headers["x-robots-tag"] == "noai, noimageai"
    assert response.headers["tdm-reservation"] == "1"
    assert response.headers["tdm-policy"].endswith("/tdm-policy.json")


def test_an_upload_goes_to_the_object_store_and_the_edge_serves_its_rendition(published, edge_over, settings):
    _, item = published
    name = _rendition(item)
    options = settings.STORAGES["default"]["OPTIONS"]
    client = boto3.client(
        "s3", endpoint_url=options["endpoint_url"], aws_access_key_id=options["access_key"],
        aws_secret_access_key=options["secret_key"], region_name="us-east-1",
    )  # fmt: skip
    stored = client.get_object(Bucket=options["bucket_name"], Key=f"public/{name}")["Body"].read()

    url = public_storage().url(name)
    response = edge_over.get(url)

    assert response.status == 200
    assert response.body == stored
    assert response.headers["content-type"] == "image/webp"
    _assert_do_not_train_headers(response)
    # Cached no longer than the URL is valid.
    max_age = int(response.headers["cache-control"].split("max-age=")[1].split(",")[0])
    assert 0 < max_age <= int(_query(url)["e"]) - time.time() + 1
    # Served again from the edge's cache, identically.
    assert edge_over.get(url).body == stored


def test_expired_tampered_and_foreign_signatures_are_refused(published, edge_over):
    _, item = published
    first, second = rendition_names(item.renditions)[:2]
    good = _query(public_storage().url(first))
    past = time.time() - 3 * 86400
    expired = public_storage().url(first).split("?")[0] + "?" + signed_media.signed_query(first, now=past)
    other_key = "a-key-that-is-not-this-sites"
    forged_digest = hashlib.md5(f"{good['e']}/media/{first} {other_key}".encode()).digest()  # noqa: S324
    forged = base64.urlsafe_b64encode(forged_digest).decode().rstrip("=")
    refused = [
        expired,
        # Tampered: the first character (the last of 22 carries only 2 bits, which base64 decoding drops).
        f"/media/{first}?e={good['e']}&s={'B' if good['s'][0] == 'A' else 'A'}{good['s'][1:]}",
        f"/media/{first}?e={int(good['e']) + 86400}&s={good['s']}",  # a longer life, same signature
        f"/media/{second}?e={good['e']}&s={good['s']}",  # another file's signature
        f"/media/{first}?e={good['e']}&s={forged}",  # signed with a foreign key
        f"/media/{first}",  # unsigned
    ]
    assert edge_over.get(public_storage().url(first)).status == 200
    for url in refused:
        response = edge_over.get(url)
        assert response.status == 403, url
        assert b"expired or was altered" in response.body


def test_every_listed_ai_crawler_is_refused_on_files_and_an_admin_edit_reaches_the_edge(
    crawler_list, published, edge_over, django_capture_on_commit_callbacks
):
    _, item = published
    url = public_storage().url(_rendition(item))
    tokens = list(CrawlerAgent.objects.filter(refused=True).values_list("token", flat=True))
    assert set(KNOWN_CRAWLERS) <= set(tokens)
    for token in tokens:
        response = edge_over.get(url, agent=f"Mozilla/5.0 (compatible; {token}/1.0; +https://example.com/bot)")
        assert response.status == 403, token
        assert edge_over.get(url, agent=token.lower()).status == 403, token
    assert edge_over.get(url).status == 200
    assert edge_over.get("/robots.txt", agent=tokens[0]).status == 200  # the rules stay readable to them

    # An admin adds a crawler: after commit the map is re-rendered and nginx reloaded.
    with django_capture_on_commit_callbacks(execute=True):
        CrawlerAgent.objects.create(token="Harvest-Bot 3", operator="Example")
    assert "harvest\\-bot\\ 3" in (edge_over.config_dir / "ai-crawlers.map").read_text()
    deadline = time.monotonic() + 10
    while edge_over.get(url, agent="harvest-bot 3/1.0").status != 403:  # nginx reloads its workers
        assert time.monotonic() < deadline, "the edge did not pick up the new crawler"
        time.sleep(0.1)
    with django_capture_on_commit_callbacks(execute=True):
        CrawlerAgent.objects.filter(token="Harvest-Bot 3").delete()
    deadline = time.monotonic() + 10
    while edge_over.get(url, agent="harvest-bot 3/1.0").status != 200:
        assert time.monotonic() < deadline, "the edge kept refusing a removed crawler"
        time.sleep(0.1)


def test_headers_on_video_and_animated_covers(make_user, edge_over, django_capture_on_commit_callbacks, tmp_path):
    capture = django_capture_on_commit_callbacks
    clip = make_clip(tmp_path / "clip.mp4", seconds=1.0)
    draft = post_services.post_create_draft(author=make_user("lanterns"))
    gif = add_file(draft, animated_gif(), capture=capture)
    video = add_file(draft, Path(clip).read_bytes(), capture=capture)
    post = publish(draft, capture=capture, title="Lanterns")
    gif.refresh_from_db()
    video.refresh_from_db()
    assert gif.kind == MediaKind.ANIMATION and video.kind == MediaKind.VIDEO
    post.refresh_from_db()
    names = rendition_names(gif.renditions) + rendition_names(video.renditions) + _all_names(post.covers)
    assert any(name.endswith(".mp4") for name in names) and any("anim" in name for name in names)
    served = {}
    for name in names:
        response = edge_over.get(public_storage().url(name))
        assert response.status == 200, name
        _assert_do_not_train_headers(response)
        served[name.rsplit(".", 1)[-1]] = response.headers["content-type"]
    assert served.get("mp4") == "video/mp4"
    assert served.get("webp") == "image/webp"


def _all_names(value) -> list[str]:
    if isinstance(value, str):
        return [value] if "." in value.rsplit("/", 1)[-1] else []
    if isinstance(value, dict):
        return [name for inner in value.values() for name in _all_names(inner)]
    if isinstance(value, list):
        return [name for inner in value for name in _all_names(inner)]
    return []


def test_originals_and_private_files_are_never_reachable(published, edge_over, object_store):
    _, item = published
    original = item.original_name
    # A valid signature for the original's name: the edge only ever looks in the public prefix.
    assert edge_over.get(public_storage().url(original)).status == 404
    # Dot segments leave /media/ (nginx normalises them) and reach the app, which has no originals route.
    # (Behind the test's live server its own /media/ handler answers the raw path; gunicorn answers 404.)
    for sneaky in (f"/media/../originals/{original}", f"/media/%2e%2e/originals/{original}"):
        assert edge_over.get(sneaky).status in (400, 403, 404, 500)
    # The store itself refuses anonymous reads of the private bucket and listings of the public one.
    assert fetch(f"{object_store.endpoint}/{object_store.private_bucket}/originals/{original}").status == 403
    assert fetch(f"{object_store.endpoint}/{object_store.public_bucket}/").status == 403
    # Only GET (and HEAD) reaches files.
    request = urllib.request.Request(edge_over.url + public_storage().url(_rendition(item)), data=b"x", method="PUT")  # noqa: S310
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310
    assert refused.value.code in (403, 404)  # limit_except refuses; the media location answers 404
