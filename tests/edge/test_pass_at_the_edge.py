"""The browser check held at the edge too: with the check on, neither the micro-cache's pages nor
the files are served to a client without a valid pass; the app answers the edge's question once
per client and the edge remembers it."""

import time

import pytest

from atelier.media.renditions import rendition_names
from atelier.media.storages import public_storage
from atelier.posts import services as post_services
from atelier.protection.shield.passes import PASS_COOKIE, mint_pass
from tests.edge.conftest import BROWSER_UA
from tests.media.sample_files import quadrant_bytes
from tests.posts.support import add_file, publish

pytestmark = [pytest.mark.end_to_end, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def check_on(settings):
    settings.SHIELD_CHALLENGE_BITS = 8  # rendered into the edge the test starts


@pytest.fixture
def post_and_image(check_on, make_user, edge_over, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    draft = post_services.post_create_draft(author=make_user("tidepool"))
    item = add_file(draft, quadrant_bytes(size=(1000, 700)), capture=capture)
    post = publish(draft, capture=capture, title="Tide pool")
    item.refresh_from_db()
    return post, public_storage().url(rendition_names(item.renditions)[0]).removeprefix("http://testserver")


def _pass_cookie(agent: str = BROWSER_UA) -> dict:
    # The live server sees nginx's loopback address, as the edge's question comes from nginx.
    value, _ = mint_pass(address="127.0.0.1", user_agent=agent, now=time.time())
    return {"Cookie": f"{PASS_COOKIE}={value}"}


def test_a_cached_page_is_never_served_without_a_pass(post_and_image, edge_over):
    post, _ = post_and_image
    path = post.get_absolute_url()
    with_pass = _pass_cookie()
    first, second = edge_over.get(path, headers=with_pass), edge_over.get(path, headers=with_pass)
    assert (first.status, second.status) == (200, 200)
    assert second.headers["x-edge-cache"] == "HIT" and b"Tide pool" in second.body
    for headers in ({}, {"Cookie": f"{PASS_COOKIE}=forged.9999999999"}):
        refused = edge_over.get(path, headers=headers)
        assert refused.status == 403 and refused.headers["x-edge-cache"] == "CHECK"
        assert b"Checking your browser" in refused.body and b"Tide pool" not in refused.body
    # A pass is bound to its User-Agent: copied into a scraper it is no pass.
    assert edge_over.get(path, agent="python-requests/2.32", headers=with_pass).status == 403


def test_files_need_a_pass_at_the_edge(post_and_image, edge_over):
    _, image = post_and_image
    assert edge_over.get(image, headers=_pass_cookie()).status == 200
    assert edge_over.get(image, headers=_pass_cookie()).body.startswith(b"RIFF")
    for agent, headers in ((BROWSER_UA, {}), ("curl/8.5.0", {}), (BROWSER_UA, {"Cookie": f"{PASS_COOKIE}=x.1"})):
        response = edge_over.get(image, agent=agent, headers=headers)
        assert response.status == 403 and not response.body.startswith(b"RIFF"), agent
        assert b"Open Atelier in a browser first" in response.body


@pytest.fixture
def small_edge_budget(settings):
    settings.SHIELD_MEDIA_PER_MINUTE = 4  # rendered into the edge: a burst of 1 for a cookie-less address
    settings.SHIELD_PASS_MEDIA_PER_MINUTE = 600


@pytest.mark.usefixtures("small_edge_budget")
def test_the_edge_budgets_files_per_pass_so_a_busy_address_does_not_punish_its_people(post_and_image, edge_over):
    _, image = post_and_image
    # Everyone here comes from 127.0.0.1: one address, as behind a studio's or a carrier's NAT.
    cookie_less = [edge_over.get(image, agent="curl/8.5.0").status for _ in range(12)]
    assert 429 in cookie_less and not {200} & set(cookie_less)
    statuses = [edge_over.get(image, headers=_pass_cookie()).status for _ in range(12)]
    assert statuses == [200] * 12  # her pass has its own budget
