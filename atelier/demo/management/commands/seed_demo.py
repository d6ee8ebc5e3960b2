"""`manage.py seed_demo`: a dozen artists and a studio with full profiles, so a fresh site looks lived in.

Safe to run on every start (`bin/serve` does): accounts whose handle exists are left alone.
Accounts go through the same services as sign-up and the profile editor. Addresses are marked
verified at once: the confirmation mail sign-up queues goes to demo.atelier.local, where nobody reads it.
"""

from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import connections, transaction
from django.utils import timezone

from atelier.accounts import services
from atelier.accounts.models import AccountType, ProfileImage, ProfileImageKind, ProfileImageState, User
from atelier.accounts.profile_images import profile_image_render, profile_image_replace
from atelier.demo import art as demo_art
from atelier.media.validation import inspect_image

DEMO_PASSWORD = "atelier-demo-2026"
DEMO_EMAIL_DOMAIN = "demo.atelier.local"


def _artist(*, handle, name, headline, location, bio, skills, software, open_to_work=False, links=()):
    """One artist's profile, with a fictional website and portfolio links built from the handle."""
    return {
        "handle": handle,
        "account_type": AccountType.ARTIST,
        "display_name": name,
        "headline": headline,
        "bio": bio,
        "location": location,
        "website": f"https://{handle.replace('_', '')}.example.com/",
        "social_links": [f"https://{site}.example.com/{handle}" for site in ("artstation", *links)],
        "skills": skills,
        "software": software,
        "open_to_work": open_to_work,
        "hiring": False,
    }


DEMO_ACCOUNTS = [
    _artist(
        handle="ines_ortega",
        name="Inés Ortega",
        headline="Illustrator · picture books and editorial",
        location="Valencia, Spain",
        bio="Picture books, magazine covers and the odd wine label.\n\n"
        "I work in gouache first and finish digitally. Recent: *El faro de los gatos* (2025).",
        skills=["Illustration", "Picture books", "Editorial", "Gouache"],
        software=["Procreate", "Photoshop"],
        open_to_work=True,
        links=("instagram", "bsky"),
    ),
    _artist(
        handle="kofi_mensah",
        name="Kofi Mensah",
        headline="Environment concept artist",
        location="Accra, Ghana",
        bio="Environment concepts for games and animation: **cities, markets, weather**.\n\n"
        "Previously at a mobile studio; now freelance and taking on keyframes and paintovers.",
        skills=["Concept art", "Environment design", "Matte painting", "Keyframes"],
        software=["Photoshop", "Blender"],
        open_to_work=True,
        links=("youtube",),
    ),
    _artist(
        handle="yuki_tanabe",
        name="Yuki Tanabe",
        headline="2D animator and key animation artist",
        location="Tokyo, Japan",
        bio="Key animation and effects for TV anime and music videos.\n\n"
        "I post animation timing breakdowns every Friday.",
        skills=["2D animation", "Key animation", "Effects animation"],
        software=["Toon Boom Harmony", "Clip Studio Paint"],
        links=("vimeo", "bsky"),
    ),
    _artist(
        handle="lars_eriksen",
        name="Lars Eriksen",
        headline="3D character artist",
        location="Oslo, Norway",
        bio="Realtime characters for games: sculpt, retopo, bake, texture.\n\n"
        "I like *weathered* things: old leather, chipped paint, tired faces.",
        skills=["Character art", "Hard-surface modelling", "Texturing", "Retopology"],
        software=["ZBrush", "Maya", "Substance Painter", "Marmoset Toolbag"],
        links=("sketchfab",),
    ),
    _artist(
        handle="priya_raman",
        name="Priya Raman",
        headline="Oil painter",
        location="Chennai, India",
        bio="Oil paintings of kitchens, courtyards and the people in them.\n\n"
        "Represented in Chennai and Bengaluru. **Commissions open** for portraits in 2026.",
        skills=["Oil painting", "Portraiture", "Still life"],
        software=["Lightroom"],
        open_to_work=True,
        links=("instagram",),
    ),
    _artist(
        handle="mateo_silva",
        name="Mateo Silva",
        headline="Comic artist and inker",
        location="Buenos Aires, Argentina",
        bio="Pencils and inks for indie comics, mostly noir and science fiction.\n\n"
        "Currently drawing *La ciudad debajo*, a 120-page graphic novel.",
        skills=["Comics", "Inking", "Sequential art", "Lettering"],
        software=["Clip Studio Paint", "Krita"],
        links=("bsky",),
    ),
    _artist(
        handle="amara_okafor",
        name="Amara Okafor",
        headline="Character designer",
        location="Lagos, Nigeria",
        bio="Character design for animation and games, with a soft spot for *big silhouettes*.\n\n"
        "Turnarounds, expression sheets and colour keys.",
        skills=["Character design", "Visual development", "Colour keys"],
        software=["Photoshop", "Procreate"],
        open_to_work=True,
        links=("instagram", "bsky"),
    ),
    _artist(
        handle="chloe_martin",
        name="Chloé Martin",
        headline="Motion designer and 3D animator",
        location="Montréal, Canada",
        bio="Title sequences, explainers and looping 3D vignettes.\n\n"
        "Simulation nerd: cloth, smoke and **lots** of rigid bodies.",
        skills=["Motion design", "3D animation", "Simulation"],
        software=["Cinema 4D", "Houdini", "After Effects"],
        links=("vimeo",),
    ),
    _artist(
        handle="jonas_weber",
        name="Jonas Weber",
        headline="Environment artist, games",
        location="Berlin, Germany",
        bio="Realtime environments and modular kits in Unreal Engine.\n\n"
        "Ten years in games; I write about *trim sheets* more than anyone should.",
        skills=["Environment art", "Level art", "Materials"],
        software=["Unreal Engine", "Blender", "Substance Designer"],
        links=("youtube",),
    ),
    _artist(
        handle="sofia_rossi",
        name="Sofia Rossi",
        headline="Watercolour landscape painter",
        location="Bologna, Italy",
        bio="Plein-air watercolours of the Apennines and the Po delta.\n\n"
        "I teach small workshops in spring and autumn.",
        skills=["Watercolour", "Plein air", "Landscape", "Teaching"],
        software=[],
        links=("instagram",),
    ),
    _artist(
        handle="hana_kim",
        name="Hana Kim",
        headline="Pixel artist",
        location="Seoul, South Korea",
        bio="Pixel art for games: tilesets, sprites and small animated scenes.\n\n"
        "Palettes of **16 colours or fewer**, always.",
        skills=["Pixel art", "Sprite animation", "Tilesets"],
        software=["Aseprite"],
        open_to_work=True,
        links=("bsky",),
    ),
    _artist(
        handle="diego_ramirez",
        name="Diego Ramírez",
        headline="Storyboard artist",
        location="Mexico City, Mexico",
        bio="Storyboards for features, series and commercials.\n\n"
        "Fast, clear boards; I can also cut an *animatic* in a day.",
        skills=["Storyboarding", "Animatics", "Layout"],
        software=["Storyboard Pro", "Photoshop", "Premiere Pro"],
        links=("vimeo",),
    ),
    {
        "handle": "lanternfish_games",
        "account_type": AccountType.STUDIO,
        "display_name": "Lanternfish Games",
        "headline": "Independent game studio",
        "bio": "Seven people making *Tidewake*, a hand-painted adventure about a lighthouse keeper.\n\n"
        "**Hiring:** a 2D environment artist and a technical animator (remote, EU time zones).",
        "location": "Lisbon, Portugal",
        "website": "https://lanternfish.example.com/",
        "social_links": ["https://bsky.example.com/lanternfish_games", "https://youtube.example.com/lanternfish_games"],
        "skills": ["Game development", "2D art", "Animation"],
        "software": ["Unity", "Blender", "Spine"],
        "open_to_work": False,
        "hiring": True,
    },
]


def _draw_pictures(handle: str) -> dict[str, bytes]:
    return {ProfileImageKind.AVATAR: demo_art.avatar_png(handle), ProfileImageKind.BANNER: demo_art.banner_png(handle)}


def _render_in_thread(image_id: int, version: int) -> None:
    """Build renditions now rather than wait for a worker, so the site looks complete at once.

    The task queued on commit still runs later, finds that version ready and does nothing.
    Runs in a pool thread, so it closes that thread's database connection when done.
    """
    try:
        profile_image_render(image_id=image_id, version=version)
    finally:
        connections.close_all()


class Command(BaseCommand):
    help = "Create demo artists and a studio with full profiles, avatars and banners (skips existing handles)."

    def handle(self, *args, **options):
        missing = [account for account in DEMO_ACCOUNTS if not User.objects.filter(handle=account["handle"]).exists()]
        # Drawing and rendering are Pillow work that releases the GIL, so two pool threads keep both
        # cores busy while this thread hashes passwords and writes rows; that nearly halves the run.
        with ThreadPoolExecutor(max_workers=2) as pool:
            drawings = [pool.submit(_draw_pictures, account["handle"]) for account in missing]
            renders = []
            for account, drawing in zip(missing, drawings, strict=True):
                user = self._create(account, drawing.result())
                # Where tasks run eagerly (tests) the on-commit render has happened already: nothing to do,
                # and no other thread touches the database.
                pending = ProfileImage.objects.filter(profile__user=user).exclude(state=ProfileImageState.READY)
                renders += [pool.submit(_render_in_thread, *row) for row in pending.values_list("pk", "version")]
                if options["verbosity"] > 1:
                    self.stdout.write(f"  created @{user.handle}")
            for render in renders:
                render.result()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo accounts: {len(missing)} created, {len(DEMO_ACCOUNTS) - len(missing)} already existed."
            )
            + f"\nSign in with a handle (for example {DEMO_ACCOUNTS[0]['handle']}) and the password {DEMO_PASSWORD}"
        )

    @transaction.atomic
    def _create(self, account: dict, pictures: dict[str, bytes]) -> User:
        """One account in one transaction, so an interrupted run never leaves half a profile behind."""
        fields = dict(account)
        handle, account_type = fields.pop("handle"), fields.pop("account_type")
        user = services.account_register(
            email=f"{handle}@{DEMO_EMAIL_DOMAIN}", handle=handle, password=DEMO_PASSWORD, account_type=account_type
        )
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        services.profile_update(profile=user.profile, **fields)
        for kind, png in pictures.items():
            upload = ContentFile(png, name=f"{kind}.png")
            facts = inspect_image(
                upload, max_bytes=settings.PROFILE_IMAGE_MAX_BYTES, max_pixels=settings.PROFILE_IMAGE_MAX_PIXELS
            )
            profile_image_replace(profile=user.profile, kind=kind, upload=upload, facts=facts, crop=None)
        return user
