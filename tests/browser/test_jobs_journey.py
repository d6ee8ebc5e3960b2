"""The jobs board in real browsers: a studio posts a job on a desktop, an artist finds it through the
filters on a phone and applies with three pieces, the studio shortlists them, the artist sees it."""

import pytest
from playwright.sync_api import expect

from atelier.accounts.models import AccountType
from atelier.jobs.models import Application, Job
from tests.browser.conftest import ARTIFACTS
from tests.browser.support import DESKTOP, PHONE, BrowserPage, open_page
from tests.browser.test_social_journey import _log_in

pytestmark = pytest.mark.browser
STEPS = ARTIFACTS / "both" / "jobs_journey"


def _open(chromium, live_server, viewport, name: str) -> BrowserPage:
    return open_page(chromium, live_server.url, viewport, STEPS / name)


def test_post_find_apply_and_shortlist(chromium, live_server, make_user, make_published_post):
    studio = make_user("tidewake_studio", account_type=AccountType.STUDIO)
    artist = make_user("ines_painter")
    for number, title in enumerate(["Harbour at dawn", "Lighthouse keyframe", "Storm study", "Old sketch"]):
        make_published_post(artist, title=title, hours_ago=number + 1)
    make_user("decoy_studio", account_type=AccountType.STUDIO)

    # 1. The studio posts a job (desktop).
    desk = _open(chromium, live_server, DESKTOP, "desktop-studio")
    _log_in(desk, studio.handle)
    page = desk.page
    desk.goto("/jobs/new")
    page.get_by_label("Title").fill("Concept artist for Tidewake")
    page.get_by_label("Concept art").check()
    page.get_by_label("Employment type").select_option("full_time")
    page.get_by_label("Seniority").select_option("mid")
    page.get_by_label("Remote", exact=True).check()  # a segmented choice
    page.get_by_label("Country").select_option("PT")
    page.get_by_label("Pay from").fill("42000")
    page.get_by_label("Pay up to").fill("52000")
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_label("Pay period").select_option("year")
    page.get_by_label("Description (Markdown)").fill("Paint the **coast** of a hand-made adventure.")
    page.get_by_label("Statement on generative AI").fill("No generative AI in our art, ever.")
    desk.assert_controls_named()
    desk.shot("01-job-form")
    page.get_by_role("button", name="Post job").click()
    expect(page.get_by_role("heading", name="Concept artist for Tidewake")).to_be_visible()
    expect(page.locator(".job-facts")).to_contain_text("EUR 42,000–52,000 per year")
    desk.shot("02-job-posted")
    job = Job.objects.get()

    # 2. The artist finds it through the filters and applies with three pieces (phone).
    phone = _open(chromium, live_server, PHONE, "phone-artist")
    _log_in(phone, artist.handle)
    mobile = phone.page
    phone.goto("/jobs/")
    expect(mobile.locator(".job-row").first).to_be_in_viewport()  # a job on the first screen, filters folded
    mobile.get_by_text("Filters", exact=True).click()
    mobile.get_by_label("Discipline").select_option("concept_art")
    mobile.get_by_label("Remote only").check()
    mobile.get_by_role("button", name="Show jobs").click()
    expect(mobile.locator(".job-row")).to_have_count(1)
    phone.assert_no_horizontal_overflow()
    phone.shot("03-filtered-list")
    mobile.get_by_role("link", name="Concept artist for Tidewake").click()
    mobile.get_by_role("link", name="Apply with your portfolio").click()
    for title in ("Harbour at dawn", "Lighthouse keyframe", "Storm study"):
        mobile.get_by_label(title).check()
    mobile.get_by_label("A note to the studio").fill("I paint coastal light every day. Three pieces attached.")
    phone.assert_no_horizontal_overflow()
    phone.shot("04-application")
    mobile.get_by_role("button", name="Send application").click()
    expect(mobile.get_by_role("heading", name="Your applications")).to_be_visible()
    expect(mobile.locator(".my-application")).to_contain_text("New")
    phone.shot("05-applied")
    application = Application.objects.get()
    assert [piece.post.title for piece in application.pieces.all()] == [
        "Harbour at dawn",
        "Lighthouse keyframe",
        "Storm study",
    ]

    # 3. The studio shortlists the artist (desktop).
    desk.goto(job.get_absolute_url())
    page.get_by_role("link", name="See applicants").click()
    card = page.locator(f"#application-{application.pk}")
    expect(card).to_contain_text("I paint coastal light every day")
    expect(card.locator(".post-card")).to_have_count(3)
    desk.shot("06-inbox")
    card.get_by_role("button", name="Shortlisted").click()
    expect(page.locator(f"#application-{application.pk} .applicant-status")).to_have_text("Shortlisted")
    desk.shot("07-shortlisted")

    # 4. The artist sees "shortlisted" (phone).
    mobile.reload()
    expect(mobile.locator(".my-application")).to_contain_text("Shortlisted")
    phone.assert_no_horizontal_overflow()
    phone.shot("08-artist-sees-shortlisted")
    for browser_page in (desk, phone):
        browser_page.assert_clean_console()
        browser_page.page.context.close()
