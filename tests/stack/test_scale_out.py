"""Two app-server instances behind nginx, as one site (issue 19, scale-out as configuration).

Each test talks to the instances' own addresses, so it knows which process answered: a session made
on one is signed in on the other, an upload budget is one budget across both, a tus upload takes
chunks on either, and a follow made on one shows the followed artist's work on the other's feed.
"""

import io
import re
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from PIL import Image

from atelier.posts import services
from atelier.posts.models import PostState
from atelier.uploads.models import Upload
from tests.conftest import TEST_PASSWORD
from tests.posts.support import save_details
from tests.stack.conftest import UPLOADS_PER_HOUR, send

TUS = {"Tus-Resumable": "1.0.0"}


def person(handle: str):
    user = get_user_model().objects.create_user(email=f"{handle}@example.com", handle=handle, password=TEST_PASSWORD)
    get_user_model().objects.filter(pk=user.pk).update(email_verified_at=timezone.now(), last_login=timezone.now())
    return user


def sign_in(instance, user) -> dict:
    """Sign in through the form on `instance`; the cookies a browser would then hold."""
    form = instance.request("GET", "/accounts/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.body).group(1).decode()
    cookies = dict(form.cookies)
    body = f"csrfmiddlewaretoken={token}&identifier={user.handle}&password={TEST_PASSWORD}".encode()
    answer = instance.request("POST", "/accounts/login/", headers={
        "Cookie": cookie_header(cookies), "Content-Type": "application/x-www-form-urlencoded",
    }, body=body)  # fmt: skip
    assert answer.status == 302, answer.body[:300]
    return cookies | answer.cookies


def cookie_header(cookies: dict) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def signed_in_headers(cookies: dict) -> dict:
    return {"Cookie": cookie_header(cookies), "X-CSRFToken": cookies["csrftoken"]}


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((600, 400), 60).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


def test_the_edge_balances_over_every_instance(scale_out):
    config = scale_out["config"].read_text()
    for instance in scale_out["instances"]:
        assert f"server {instance.address} max_fails=1 fail_timeout=5s;" in config
    host, port = scale_out["edge"].split(":")
    assert {send(host, int(port), "GET", "/").status for _ in range(6)} == {200}


def test_a_session_made_on_one_instance_is_signed_in_on_the_other(scale_out):
    first, second = scale_out["instances"]
    mira = person("mira")
    cookies = sign_in(first, mira)
    assert settings.SESSION_COOKIE_NAME in cookies
    feed = second.request("GET", "/feed/following/", headers={"Cookie": cookie_header(cookies)})
    assert feed.status == 200
    assert b"@mira" in feed.body
    # Signed out on the second: the first no longer knows the session either.
    out = second.request("POST", "/accounts/logout/", headers=signed_in_headers(cookies))
    assert out.status == 302
    again = first.request("GET", "/feed/following/", headers={"Cookie": cookie_header(cookies)})
    assert again.status == 302
    assert "/accounts/login/" in again.headers["location"]


def test_an_upload_budget_is_one_budget_across_instances(scale_out):
    first, second = scale_out["instances"]
    cookies = sign_in(first, person("noor"))
    headers = signed_in_headers(cookies) | TUS | {"Upload-Length": "1000", "Content-Length": "0"}
    statuses = [(first, second)[n % 2].request("POST", "/uploads/", headers=headers).status for n in range(6)]
    assert statuses == [201] * UPLOADS_PER_HOUR + [429] * (6 - UPLOADS_PER_HOUR)


def test_a_resumable_upload_takes_its_chunks_on_either_instance(scale_out):
    first, second = scale_out["instances"]
    cookies = sign_in(second, person("ines"))
    data = png_bytes()
    half = len(data) // 2
    headers = signed_in_headers(cookies) | TUS
    created = first.request("POST", "/uploads/", headers=headers | {"Upload-Length": str(len(data))})
    assert created.status == 201
    location = created.headers["location"]
    chunk = headers | {"Content-Type": "application/offset+octet-stream"}
    one = first.request("PATCH", location, headers=chunk | {"Upload-Offset": "0"}, body=data[:half])
    assert (one.status, one.headers["upload-offset"]) == (204, str(half))
    seen = second.request("HEAD", location, headers=headers)
    assert seen.headers["upload-offset"] == str(half)
    # And through the edge, as a client resuming asks: a HEAD, never turned into a GET by a cache.
    host, port = scale_out["edge"].split(":")
    resumed = send(host, int(port), "HEAD", location, headers=headers)
    assert (resumed.status, resumed.headers["upload-offset"]) == (200, str(half))
    # A chunk sent again to the other instance at a stale offset is refused, not appended twice.
    stale = second.request("PATCH", location, headers=chunk | {"Upload-Offset": "0"}, body=data[:half])
    assert stale.status == 409
    two = second.request("PATCH", location, headers=chunk | {"Upload-Offset": str(half)}, body=data[half:])
    assert (two.status, two.headers["upload-offset"]) == (204, str(len(data)))
    upload = Upload.objects.get(pk=location.rstrip("/").rsplit("/", 1)[1])
    assert upload.offset == upload.length == len(data)


def test_a_follow_made_on_one_instance_fills_the_following_feed_on_the_other(scale_out):
    first, second = scale_out["instances"]
    artist, reader = person("hana"), person("tomas")
    post = publish_one(artist)
    cookies = sign_in(first, reader)
    before = second.request("GET", "/feed/following/", headers={"Cookie": cookie_header(cookies)})
    assert post.title.encode() not in before.body
    followed = first.request("POST", f"/@{artist.handle}/follow", headers=signed_in_headers(cookies))
    assert followed.status in (200, 302)
    after = second.request("GET", "/feed/following/", headers={"Cookie": cookie_header(cookies)})
    assert after.status == 200
    assert post.title.encode() in after.body


def publish_one(artist):
    """A post made public through the services; committed at once (no test transaction), so its
    processing, queued after commit, runs in this process before the instances read it."""
    draft = services.post_create_draft(author=artist)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "upload.png")
        path.write_bytes(png_bytes())
        services.media_add_file(post=draft, user=artist, path=path)
    save_details(draft, title="Lighthouse in fog")
    services.post_publish(post=draft, user=artist)
    draft.refresh_from_db()
    assert draft.state == PostState.PUBLIC
    return draft
