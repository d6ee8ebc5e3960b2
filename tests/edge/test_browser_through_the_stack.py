"""Through the stack in a real browser, on a phone and on a desktop: sign up at the nginx edge,
post two images, and see them on the post page served by nginx from SeaweedFS, with the edge's
headers on every picture."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from atelier.posts.models import Post
from tests.browser.pictures import quadrant_png
from tests.browser.support import DESKTOP, PHONE, open_page
from tests.edge.conftest import fetch

pytestmark = [pytest.mark.browser, pytest.mark.end_to_end, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


@pytest.fixture
def collected_static(settings, tmp_path):
    """The edge serves /static/ from STATIC_ROOT, as after `collectstatic` in production."""
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=lambda viewport: viewport.name)
def test_sign_up_post_two_images_and_see_them_from_the_object_store(
    chromium, collected_static, edge_over, viewport, tmp_path, settings
):
    handle = f"edge_{viewport.name}"
    browser_page = open_page(chromium, edge_over.url, viewport, ARTIFACTS / viewport.name / "edge_stack")
    page = browser_page.page
    media_responses = []
    page.on("response", lambda response: media_responses.append(response) if "/media/" in response.url else None)

    browser_page.goto("/accounts/signup/")
    page.get_by_label("Email").fill(f"{handle}@example.com")
    page.get_by_label("Handle").fill(handle)
    page.get_by_label("Password").fill("lanterns-over-the-harbour-42")
    page.get_by_role("button", name="Create account").click()
    # Sign-up answers alike for every address; the mailed link is the new account's first sign-in.
    page.wait_for_url("**/accounts/signup/sent/")
    link = re.search(r"https?://\S+/accounts/verify/\S+/", mail.outbox[-1].body)
    browser_page.goto(urlsplit(link.group()).path)
    page.wait_for_url("**/settings/profile/")
    browser_page.shot("01-signed-up")

    browser_page.goto(f"/@{handle}")
    page.get_by_role("button", name="New post").first.click()
    page.wait_for_url(re.compile(r"/posts/\d+/edit$"))
    files = [quadrant_png(tmp_path / "harbour.png", (1400, 900)), quadrant_png(tmp_path / "ridge.png", (900, 1300))]
    page.get_by_label("Add files").set_input_files(files)
    expect(page.locator(".media-item.state-ready")).to_have_count(2, timeout=60_000)
    page.get_by_label("Title").fill("Two harbours")
    media_responses.clear()  # from here on: the post page's pictures
    with page.expect_navigation():
        page.get_by_role("button", name="Publish").click()
    assert re.search(r"/posts/\d+/$", page.url), page.url

    images = page.locator(".post-item-image img")
    expect(images).to_have_count(2)
    for index in range(2):
        browser_page.assert_image_loaded(images.nth(index))
    browser_page.assert_no_horizontal_overflow()
    browser_page.assert_clean_console()
    browser_page.shot("02-post-page")

    post = Post.objects.get(author__handle=handle)
    assert post.is_public
    seen = [response for response in media_responses if response.request.resource_type == "image"]
    assert seen, "the page loaded no pictures from /media/"
    for response in seen:
        assert response.status == 200, response.url
        headers = response.all_headers()
        assert headers["x-robots-tag"] == "noai, noimageai"
        assert headers["tdm-reservation"] == "1"
        assert headers["server"] == "nginx"  # served by the edge, not the app
    # The bytes the browser got are the object in the store's public bucket, where the edge fetched them.
    options = settings.STORAGES["default"]["OPTIONS"]
    client = boto3.client(
        "s3", endpoint_url=options["endpoint_url"], aws_access_key_id=options["access_key"],
        aws_secret_access_key=options["secret_key"], region_name="us-east-1",
    )  # fmt: skip
    for response in seen:
        key = "public/" + urlsplit(response.url).path.removeprefix("/media/")
        assert client.get_object(Bucket=options["bucket_name"], Key=key)["Body"].read() == fetch(response.url).body
    page.context.close()
