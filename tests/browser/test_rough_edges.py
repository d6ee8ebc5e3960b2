"""Issue 22's rough edges that only a browser shows, each with the check that would have caught it:

- files dropped on the desktop composer are uploaded and added (and a file that isn't a picture is
  refused in words, not added);
- the composer's crop editors can sit clear of the sticky header and Save bar on a phone: scrolled to,
  the whole stage shows between them and every corner handle can be grabbed;
- the job form hides the fields that don't apply (a city for a remote job, the link or address for
  another way to apply, currency and period before an amount) and the saved job drops them;
- buttons over the art on phone cards are at least 40 px square;
- visitors who aren't signed in find Jobs at both widths;
- notifications show faces and work, and never "0 minutes ago".
"""

import base64
import re

import pytest
from playwright.sync_api import expect

from atelier.jobs.models import Job
from atelier.posts import services as post_services
from atelier.social import services as social_services
from tests.browser.crop_editor import CropEditor
from tests.browser.support import DESKTOP, PHONE, centre, open_page
from tests.browser.test_social_journey import _log_in
from tests.media.sample_files import quadrant_bytes, store_profile_image
from tests.posts.support import add_image, publish

pytestmark = pytest.mark.browser

# A DataTransfer holding the given files, as the desktop hands one to a drop.
_DATA_TRANSFER = """(files) => {
  const transfer = new DataTransfer();
  for (const [name, type, b64] of files) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], name, { type }));
  }
  return transfer;
}"""


def _draft_with_images(author, capture, sizes):
    draft = post_services.post_create_draft(author=author)
    for size in sizes:
        add_image(draft, capture=capture, size=size)
    return draft


@pytest.mark.parametrize("viewport", [DESKTOP], ids=lambda viewport: viewport.name)
def test_files_dropped_on_the_desktop_composer_are_added(chromium, live_server, make_user, viewport, tmp_path):
    artist = make_user("dropping_artist")
    draft = post_services.post_create_draft(author=artist)
    browser_page = open_page(chromium, live_server.url, viewport, tmp_path, timeout_ms=20_000)
    page = browser_page.page
    _log_in(browser_page, artist.handle)
    browser_page.goto(f"/posts/{draft.pk}/edit")
    zone = page.locator(".upload-form.drop-zone")
    expect(zone.locator(".drop-zone-hint")).to_be_visible()

    # Dragging text over it is not a file drop: the zone doesn't light up.
    text = page.evaluate_handle("() => { const t = new DataTransfer(); t.setData('text/plain', 'hi'); return t; }")
    zone.dispatch_event("dragover", {"dataTransfer": text})
    expect(zone).not_to_have_class(re.compile(r"\bis-over\b"))

    pictures = [
        [f"harbour-{number}.png", "image/png", base64.b64encode(quadrant_bytes("PNG", size)).decode()]
        for number, size in enumerate([(900, 600), (600, 900)])
    ]
    transfer = page.evaluate_handle(_DATA_TRANSFER, pictures)
    zone.dispatch_event("dragover", {"dataTransfer": transfer})
    expect(zone).to_have_class(re.compile(r"\bis-over\b"))
    zone.dispatch_event("drop", {"dataTransfer": transfer})
    expect(zone).not_to_have_class(re.compile(r"\bis-over\b"))
    expect(page.locator(".media-list .media-item")).to_have_count(2, timeout=30_000)
    expect(page.locator(".media-item.state-ready")).to_have_count(2, timeout=30_000)
    assert draft.items.count() == 2

    # A "picture" that is text is refused with a reason and adds nothing.
    fake = page.evaluate_handle(_DATA_TRANSFER, [["fake.png", "image/png", base64.b64encode(b"not a png").decode()]])
    zone.dispatch_event("drop", {"dataTransfer": fake})
    expect(page.locator(".upload-progress li.upload-failed")).to_have_count(1, timeout=20_000)
    assert page.locator(".upload-progress li.upload-failed").inner_text().strip()
    expect(page.locator(".media-list .media-item")).to_have_count(2)
    assert draft.items.count() == 2
    browser_page.assert_no_horizontal_overflow()


def _overlap(first: dict, second: dict) -> bool:
    return (
        first["x"] < second["x"] + second["width"] - 0.5
        and second["x"] < first["x"] + first["width"] - 0.5
        and first["y"] < second["y"] + second["height"] - 0.5
        and second["y"] < first["y"] + first["height"] - 0.5
    )


@pytest.mark.parametrize("viewport", [PHONE], ids=lambda viewport: viewport.name)
def test_crop_editors_sit_clear_of_the_sticky_bars_on_a_phone(
    chromium, live_server, make_user, viewport, tmp_path, django_capture_on_commit_callbacks
):
    artist = make_user("cropping_artist")
    # A tall picture makes the tallest stage.
    draft = _draft_with_images(artist, django_capture_on_commit_callbacks, [(600, 1800), (1600, 900)])
    browser_page = open_page(chromium, live_server.url, viewport, tmp_path, timeout_ms=20_000)
    page = browser_page.page
    _log_in(browser_page, artist.handle)
    browser_page.goto(f"/posts/{draft.pk}/edit")
    bars = {"header": page.locator(".site-header"), "Save bar": page.locator(".sticky-actions")}
    tab_bar = page.locator(".tab-bar")
    if tab_bar.count() and tab_bar.is_visible():
        bars["tab bar"] = tab_bar
    for kind in ("thumbnail", "cover"):
        editor = CropEditor(browser_page, kind, post_crop=True)
        editor.root.get_by_label("Cut from").select_option(label="Item 1 · Image")
        editor.wait_until_ready()
        stage = editor.root.locator(".crop-stage")
        # Scrolled to from above and from below, as a person or the keyboard brings it on screen.
        for block in ("start", "end"):
            stage.evaluate(f"stage => stage.scrollIntoView({{block: '{block}'}})")
            box = stage.bounding_box()
            for name, bar in bars.items():
                assert not _overlap(box, bar.bounding_box()), f"{kind} stage under the {name} ({block})"
            for handle in ("nw", "ne", "sw", "se"):
                x, y = centre(editor.root.locator(f".cropper-point.point-{handle}").bounding_box())
                topmost = page.evaluate(
                    "([x, y]) => document.elementFromPoint(x, y)?.closest('.crop-stage') !== null", [x, y]
                )
                assert topmost, f"the {handle} handle of the {kind} crop is covered ({block})"
    browser_page.assert_clean_console()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=lambda viewport: viewport.name)
def test_the_job_form_hides_fields_that_do_not_apply(chromium, live_server, make_user, viewport, tmp_path):
    studio = make_user("harbour_studio", account_type="studio")
    browser_page = open_page(chromium, live_server.url, viewport, tmp_path)
    page = browser_page.page
    _log_in(browser_page, studio.handle)
    browser_page.goto("/jobs/new")
    city, link, email = (
        page.get_by_label("City"),
        page.get_by_label("Application link"),
        page.get_by_label("Application email"),
    )
    currency, period = page.get_by_label("Currency"), page.get_by_label("Pay period")

    # Before an amount, the pay's currency and period don't apply.
    expect(currency).to_be_hidden()
    expect(period).to_be_hidden()
    page.get_by_label("Pay up to").fill("3000")
    expect(currency).to_be_visible()
    expect(period).to_be_visible()
    page.get_by_label("Pay up to").fill("")
    expect(currency).to_be_hidden()

    page.locator("label", has_text="On-site").click()
    expect(city).to_be_visible()
    city.fill("Lisbon")
    page.locator("label", has_text="Remote").click()
    expect(city).to_be_hidden()

    for method, shown in (("url", link), ("email", email)):
        page.locator(f'label:has(input[name="apply_method"][value="{method}"])').click()
        expect(shown).to_be_visible()
        expect(email if shown is link else link).to_be_hidden()
    page.get_by_label("Application email").fill("jobs@example.com")
    page.locator('label:has(input[name="apply_method"][value="url"])').click()
    page.get_by_label("Application link").fill("https://example.com/apply")
    browser_page.assert_no_horizontal_overflow()
    browser_page.shot("job-form-remote")

    page.get_by_label("Title").fill("Background painter")
    page.get_by_label("Concept art").check()
    page.get_by_label("Employment type").select_option("contract")
    page.get_by_label("Seniority").select_option("mid")
    page.get_by_label("Country").select_option("PT")
    page.get_by_label("Description (Markdown)").fill("Paint the harbour.")
    page.get_by_label("Statement on generative AI").fill("No generative AI.")
    page.get_by_role("button", name="Post job").click()
    expect(page.get_by_role("heading", name="Background painter")).to_be_visible()
    job = Job.objects.get(title="Background painter")
    # What was typed into fields that stopped applying is not kept.
    assert (job.city, job.apply_email, job.apply_url) == ("", "", "https://example.com/apply")
    assert (job.salary_currency, job.salary_period) == ("", "")
    browser_page.assert_clean_console()


@pytest.mark.parametrize("viewport", [PHONE], ids=lambda viewport: viewport.name)
def test_buttons_over_art_on_phone_cards_are_big_enough(
    chromium, live_server, make_user, make_published_post, viewport, tmp_path
):
    artist = make_user("card_artist")
    for number in range(4):
        make_published_post(artist, title=f"Card {number}", hours_ago=number + 1)
    reader = make_user("card_reader")
    for who in (None, reader):
        browser_page = open_page(chromium, live_server.url, viewport, tmp_path / (who.handle if who else "visitor"))
        if who:
            _log_in(browser_page, who.handle)
        for address in ("/feed/discover/", f"/@{artist.handle}"):
            browser_page.goto(address)
            buttons = browser_page.page.locator(".post-card .card-menu a, .post-card .card-menu button")
            assert buttons.count() >= 2, address
            for button in buttons.all():
                box = button.bounding_box()
                assert box["width"] >= 40 and box["height"] >= 40, (address, button.get_attribute("title"), box)
        browser_page.page.context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=lambda viewport: viewport.name)
def test_visitors_find_jobs_at_every_width(chromium, live_server, db, viewport, tmp_path):
    browser_page = open_page(chromium, live_server.url, viewport, tmp_path)
    page = browser_page.page
    browser_page.goto("/")
    jobs = page.get_by_role("link", name="Jobs", exact=True).locator("visible=true")
    expect(jobs.first).to_be_in_viewport()
    jobs.first.click()
    page.wait_for_url("**/jobs/")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=lambda viewport: viewport.name)
def test_notifications_show_faces_and_work(
    chromium, live_server, make_user, viewport, tmp_path, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    artist = make_user("noticed_artist")
    post = publish(_draft_with_images(artist, capture, [(800, 600)]), capture=capture, title="Lantern" * 11 + "xyz")
    for number in range(3):
        fan = make_user(f"fan_{number}_" + "f" * 20)
        store_profile_image(fan.profile, "avatar", quadrant_bytes("PNG", (200, 200)), capture=capture)
        social_services.like_create(user=fan, post_id=post.pk)
    social_services.follow_create(follower=make_user("faceless_follower"), followee=artist)

    browser_page = open_page(chromium, live_server.url, viewport, tmp_path)
    page = browser_page.page
    _log_in(browser_page, artist.handle)
    browser_page.goto("/notifications/")
    lines = page.locator(".notification")
    expect(lines).to_have_count(2)
    like_line = lines.filter(has_text="liked")
    faces = like_line.locator(".notification-avatar img")
    expect(faces).to_have_count(3)
    for face in faces.all():
        browser_page.assert_image_loaded(face)
        box = face.bounding_box()
        assert 32 <= box["width"] <= 48, box
    work = like_line.locator(".notification-work img")
    browser_page.assert_image_loaded(work)
    assert work.bounding_box()["width"] >= 48
    expect(like_line.locator("time")).to_have_text("just now")
    expect(lines.filter(has_text="followed you").locator(".avatar-empty")).to_have_text("F")
    expect(page.locator("body")).not_to_contain_text("0 minutes")
    browser_page.assert_no_horizontal_overflow()
    browser_page.assert_controls_named()
    browser_page.shot("notifications")
    like_line.locator(".notification-text").click()
    page.wait_for_url(f"**{post.get_absolute_url()}")
    browser_page.assert_clean_console()
