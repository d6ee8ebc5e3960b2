"""`manage.py seed_demo_moderation`: a demo moderator, one upload the detector holds (a PNG carrying
Automatic1111 generation settings, checked by the real detection step) and one report, so the review
queue has something in it. Run after the other demo commands (bin/serve runs them all). Idempotent."""

import io
import tempfile
from pathlib import Path

from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.utils import timezone
from PIL import PngImagePlugin

from atelier.accounts.models import User
from atelier.demo import artworks
from atelier.demo.management.commands.seed_demo import DEMO_PASSWORD
from atelier.moderation import services as moderation
from atelier.posts import services as posts
from atelier.posts.items import media_item_process
from atelier.posts.models import Post
from atelier.protection.detection.services import media_item_detect

MODERATOR = "mira_moderates"
PROMPTER = "prompt_parrot"
REPORTER = "ines_ortega"
A1111_SETTINGS = (
    "lighthouse on a cliff at dusk, oil painting, masterpiece\nNegative prompt: blurry\n"
    "Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234567, Model: sd_xl_base_1.0"
)


def _person(handle: str, name: str, *, staff: bool = False) -> User:
    user = User.objects.filter(handle=handle).first()
    if user is None:
        user = User.objects.create_user(email=f"{handle}@demo.atelier.local", handle=handle, password=DEMO_PASSWORD)
        user.email_verified_at = timezone.now()
        user.is_staff = staff
        user.save(update_fields=["email_verified_at", "is_staff"])
        user.profile.display_name = name
        user.profile.save(update_fields=["display_name"])
    return user


def _a1111_png() -> bytes:
    from PIL import Image

    picture = Image.open(io.BytesIO(artworks.artwork_jpeg("prompted-lighthouse", (768, 512))))
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111_SETTINGS)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


class Command(BaseCommand):
    help = "Create a demo moderator, a held AI upload and a report for the review queue (once)."

    def handle(self, *args, **options):
        moderator = _person(MODERATOR, "Mira (moderator)", staff=True)
        moderator.user_permissions.add(Permission.objects.get(codename="review_case"))
        prompter = _person(PROMPTER, "Prompt Parrot")
        if Post.objects.filter(author=prompter).exists():
            self.stdout.write("Demo moderation content exists already.")
            return
        draft = posts.post_create_draft(author=prompter)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder, "upload.png")
            path.write_bytes(_a1111_png())
            item = posts.media_add_file(post=draft, user=prompter, path=path)
        media_item_process(item_id=item.pk, version=item.version)
        posts.post_update_details(
            post=draft, user=prompter, title="Lighthouse at dusk (oil)", description="", medium="", category="",
            tags=["lighthouse"], software=[], is_mature=False, made_with_ai=False,
        )  # fmt: skip
        posts.post_publish(post=draft, user=prompter)
        media_item_detect(item_id=item.pk)  # the real detection step holds it
        reporter = User.objects.filter(handle=REPORTER).first()
        suspect = Post.objects.public().exclude(author__handle=REPORTER).order_by("-published_at").first()
        if reporter and suspect:
            moderation.post_report_ai(post_id=suspect.pk, reporter=reporter, note="The hands look generated to me.")
        self.stdout.write(f"Review queue: 2 cases. Moderator @{MODERATOR}, password {DEMO_PASSWORD}.")
