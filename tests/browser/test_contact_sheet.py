"""The site's journeys at one width, end to end, each step's first screen collected into one contact
sheet (test-artifacts/browser/<width>/contact_sheet.png; a copy is kept in docs/screens/), so a
reader sees the site without running it:

1. a visitor: the front page, Discover, an artist's profile, a post and its lightbox at 100 %, jobs;
2. a new artist: signs up, uploads and crops an avatar, publishes a three-image post;
3. a follower: follows the artist from a post page, likes the post, reads the home feed;
4. a moderator: the review queue and a case;
5. a studio: posts a job and sees it listed.
"""

import io
import math
import random
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from PIL import Image, ImageDraw, ImageFilter
from playwright.sync_api import expect

from atelier.accounts.models import User
from atelier.jobs import services as job_services
from atelier.moderation import services as moderation_services
from atelier.posts import services as post_services
from atelier.posts.models import Post
from tests.browser.conftest import ARTIFACTS
from tests.browser.crop_editor import CropEditor
from tests.browser.staff import log_in_with_second_factor
from tests.browser.support import DESKTOP, PHONE, open_page
from tests.browser.test_social_journey import _log_in
from tests.jobs.conftest import job_data
from tests.media.sample_files import store_profile_image
from tests.posts.support import add_file, publish

pytestmark = pytest.mark.browser

# Each screenshot is scaled to this width on the sheet; a phone sheet is 6 across, a desktop one 4.
TILE_WIDTH = {"phone": 195, "desktop": 480}
TILES_PER_ROW = {"phone": 6, "desktop": 4}


def artwork(size: tuple[int, int], seed: int) -> bytes:
    """A small generated painting (gradient, soft discs, strokes): the sheets should look like art."""
    rng = random.Random(seed)
    width, height = size
    top, bottom = [tuple(rng.randrange(30, 230) for _ in range(3)) for _ in range(2)]
    picture = Image.new("RGB", size)
    draw = ImageDraw.Draw(picture)
    for y in range(height):
        mix = y / max(1, height - 1)
        draw.line([(0, y), (width, y)], fill=tuple(int(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True)))
    for _ in range(7):
        radius = rng.randrange(min(size) // 10, min(size) // 3)
        x, y = rng.randrange(width), rng.randrange(height)
        colour = tuple(rng.randrange(40, 255) for _ in range(3))
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colour)
    picture = picture.filter(ImageFilter.GaussianBlur(min(size) / 80))
    draw = ImageDraw.Draw(picture)
    for _ in range(5):
        start = (rng.randrange(width), rng.randrange(height))
        angle = rng.random() * math.tau
        end = (start[0] + math.cos(angle) * width / 3, start[1] + math.sin(angle) * height / 3)
        draw.line([start, end], fill=tuple(rng.randrange(0, 255) for _ in range(3)), width=max(3, width // 120))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def _artwork_file(tmp_path, name: str, size, seed: int):
    path = tmp_path / name
    path.write_bytes(artwork(size, seed))
    return path


def contact_sheet(shots: list[tuple[str, Path]], viewport_name: str, out: Path) -> None:
    """Paste the screenshots side by side, labelled, in rows; palette PNG to keep it small."""
    tile_width, per_row = TILE_WIDTH[viewport_name], TILES_PER_ROW[viewport_name]
    tiles = []
    for label, path in shots:
        with Image.open(path) as shot:
            shot = shot.convert("RGB")
            scale = tile_width / shot.width
            tiles.append((label, shot.resize((tile_width, round(shot.height * scale)), Image.LANCZOS)))
    label_height, gap = 22, 10
    tile_height = max(tile.height for _, tile in tiles)
    rows = math.ceil(len(tiles) / per_row)
    sheet = Image.new(
        "RGB", (gap + per_row * (tile_width + gap), gap + rows * (tile_height + label_height + gap)), "white"
    )
    draw = ImageDraw.Draw(sheet)
    for index, (label, tile) in enumerate(tiles):
        x = gap + (index % per_row) * (tile_width + gap)
        y = gap + (index // per_row) * (tile_height + label_height + gap)
        draw.text((x, y + 4), label, fill=(40, 40, 40))
        sheet.paste(tile, (x, y + label_height))
    sheet.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)


@pytest.fixture
def community(make_user, django_capture_on_commit_callbacks):
    """Two artists with painted work, a studio and a moderator with a held post in the queue."""
    capture = django_capture_on_commit_callbacks
    artists = []
    for number, (handle, name, headline) in enumerate(
        [
            ("ines_ortega", "Inés Ortega", "Illustrator · picture books and editorial"),
            ("kofi_mensah", "Kofi Mensah", "Concept artist for games"),
        ]
    ):
        artist = make_user(handle)
        profile = artist.profile
        profile.display_name, profile.headline = name, headline
        profile.bio = "Gouache first, finished digitally. Prints on request."
        profile.save()
        store_profile_image(profile, "avatar", artwork((500, 500), 10 + number), capture=capture)
        store_profile_image(profile, "banner", artwork((1500, 500), 20 + number), capture=capture)
        for index in range(4):
            draft = post_services.post_create_draft(author=artist)
            add_file(draft, artwork((1400, 1000 + 150 * index), 100 * number + index), capture=capture)
            publish(
                draft,
                capture=capture,
                title=["Harbour at dawn", "Market morning", "Ridge study", "Night ferry"][index],
                tags=["harbour", "gouache"],
            )
        artists.append(artist)
    studio = make_user("lanternfish_games", account_type="studio")
    studio.profile.display_name = "Lanternfish Games"
    studio.profile.save()
    job_services.job_save(studio=studio, data=job_data(title="Environment artist for Tidewake"))
    held_draft = post_services.post_create_draft(author=artists[1])
    add_file(held_draft, artwork((1200, 900), 999), capture=capture)
    held = publish(held_draft, capture=capture, title="Lighthouse keeper")
    moderation_services.case_open_from_detection(
        post=held, reason="The file carries an image generator's settings.", labelled=True
    )
    moderator = make_user("mira_moderates")
    moderator.is_staff = True
    moderator.save(update_fields=["is_staff"])
    moderator.user_permissions.add(Permission.objects.get(codename="review_case"))
    follower = make_user("lars_eriksen")
    return {"artists": artists, "studio": studio, "moderator": moderator, "follower": follower}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=lambda viewport: viewport.name)
def test_journeys_make_a_contact_sheet(chromium, live_server, community, viewport, tmp_path):
    steps = ARTIFACTS / viewport.name / "contact_sheet"
    shots: list[tuple[str, Path]] = []
    ines = community["artists"][0]
    post = Post.objects.filter(author=ines).order_by("-published_at").first()

    def shot(browser_page, label: str):
        browser_page.assert_no_horizontal_overflow()
        path = steps / f"{len(shots) + 1:02d}-{re.sub(r'[^a-z0-9]+', '-', label.lower())}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        browser_page.page.wait_for_load_state("networkidle")
        browser_page.page.screenshot(path=path)  # the first screen, as a person sees it
        shots.append((label, path))

    # 1. A visitor.
    visitor = open_page(chromium, live_server.url, viewport, steps / "visitor")
    page = visitor.page
    visitor.goto("/")
    shot(visitor, "Visitor: front page")
    visitor.goto("/feed/discover/")
    shot(visitor, "Discover")
    visitor.goto(ines.get_absolute_url())
    shot(visitor, "Profile")
    visitor.goto(post.get_absolute_url())
    shot(visitor, "Post page")
    page.locator(".post-items img.zoomable").first.click()
    page.get_by_role("button", name="Actual size").click()
    expect(page.locator("dialog.lightbox.is-zoomed")).to_be_visible()
    shot(visitor, "Lightbox at 100 %")
    page.keyboard.press("Escape")
    visitor.goto("/jobs/")
    shot(visitor, "Jobs")
    visitor.assert_clean_console()
    page.context.close()

    # 2. A new artist: sign up, crop an avatar, publish three images.
    handle = f"nadia_{viewport.name}"
    artist = open_page(chromium, live_server.url, viewport, steps / "artist", timeout_ms=20_000)
    page = artist.page
    artist.goto("/accounts/signup/")
    page.get_by_label("Email").fill(f"{handle}@example.com")
    page.get_by_label("Handle").fill(handle)
    page.get_by_label("Password").fill("lanterns-over-the-harbour-42")
    shot(artist, "Artist: sign up")
    page.get_by_role("button", name="Create account").click()
    # Sign-up answers alike for every address; the mailed link is the new account's first sign-in.
    page.wait_for_url("**/accounts/signup/sent/")
    link = re.search(r"https?://\S+/accounts/verify/\S+/", mail.outbox[-1].body)
    artist.goto(urlsplit(link.group()).path)
    page.wait_for_url("**/settings/profile/")
    page.get_by_label("Display name").fill("Nadia Haddad")
    page.get_by_label("Headline").fill("Painter of harbours")
    page.get_by_label(re.compile(r"^Avatar")).set_input_files(_artwork_file(tmp_path, "avatar.png", (1200, 900), 7))
    CropEditor(artist, "avatar").wait_until_ready()
    shot(artist, "Avatar crop")
    with page.expect_navigation():
        page.get_by_role("button", name="Save profile").click()
    artist.goto(f"/@{handle}")
    page.get_by_role("button", name="New post").first.click()
    page.wait_for_url(re.compile(r"/posts/\d+/edit$"))
    page.get_by_label("Title").fill("Three harbours")
    page.get_by_label("Add files").set_input_files(
        [_artwork_file(tmp_path, f"harbour-{index}.png", (1400, 1000), 40 + index) for index in range(3)]
    )
    expect(page.locator(".media-item.state-ready")).to_have_count(3, timeout=30_000)
    shot(artist, "Composer, 3 images")
    with page.expect_navigation():
        page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", name="Three harbours")).to_be_visible()
    shot(artist, "Published post")
    artist.goto(f"/@{handle}")
    shot(artist, "Own profile")
    assert Post.objects.get(author__handle=handle).is_public
    artist.assert_clean_console()
    page.context.close()

    # 3. A follower.
    follower = open_page(chromium, live_server.url, viewport, steps / "follower")
    page = follower.page
    _log_in(follower, community["follower"].handle)
    follower.goto(post.get_absolute_url())
    page.locator(".artist-panel").get_by_role("button", name="Follow", exact=True).click()
    expect(page.locator(".artist-panel").get_by_role("button", name="Unfollow")).to_be_visible()
    page.get_by_role("button", name="♡ Like").click()
    expect(page.get_by_role("button", name="♥ Liked")).to_be_visible()
    shot(follower, "Follower: follow + like")
    follower.goto("/feed/following/")
    shot(follower, "Following feed")
    follower.assert_clean_console()
    page.context.close()

    # 4. A moderator.
    moderator = open_page(chromium, live_server.url, viewport, steps / "moderator")
    page = moderator.page
    log_in_with_second_factor(moderator, community["moderator"])
    moderator.goto("/moderation/")
    shot(moderator, "Moderator: queue")
    # A plain link: the shot waits for the case page, not the queue it is leaving (its document
    # can be half swapped when the shot measures it: a flaky "documentElement is null").
    page.locator(".case-link").first.click()
    page.wait_for_url(re.compile(r"/moderation/cases?/\d+"))
    shot(moderator, "Case")
    moderator.assert_clean_console()
    page.context.close()

    # 5. A studio.
    studio = open_page(chromium, live_server.url, viewport, steps / "studio")
    page = studio.page
    _log_in(studio, community["studio"].handle)
    studio.goto("/jobs/new")
    page.get_by_label("Title").fill("Technical animator")
    page.get_by_label("Animation").check()
    page.get_by_label("Employment type").select_option("contract")
    page.get_by_label("Seniority").select_option("senior")
    page.get_by_label("Remote", exact=True).check()
    page.get_by_label("Country").select_option("PT")
    page.get_by_label("Description (Markdown)").fill("Rig and animate the keeper and her cat.")
    page.get_by_label("Statement on generative AI").fill("No generative AI in our art, ever.")
    shot(studio, "Studio: job form")
    page.get_by_role("button", name="Post job").click()
    expect(page.get_by_role("heading", name="Technical animator")).to_be_visible()
    shot(studio, "Job posted")
    studio.assert_clean_console()
    page.context.close()

    assert User.objects.filter(handle=handle).exists()
    sheet = ARTIFACTS / viewport.name / "contact_sheet.png"
    contact_sheet(shots, viewport.name, sheet)
    with Image.open(sheet) as made:
        assert made.width == 10 + TILES_PER_ROW[viewport.name] * (TILE_WIDTH[viewport.name] + 10)
