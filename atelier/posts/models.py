"""Posts and their media items.

A post's public life is one `state` (draft, checking, public, held, unpublished, taken down),
written only by `posts.visibility`; `PostQuerySet.visible_to` is the one place that turns it,
and the viewer's relations, into what a person may see.
"""

import logging
import math

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from atelier.media.storages import public_storage

logger = logging.getLogger(__name__)


# Discover: every 12 hours of age cost a post what ten times its engagement gains it.
DISCOVER_DECAY_SECONDS = 12 * 3600


def discover_base_for(published_at) -> float:
    return published_at.timestamp() / DISCOVER_DECAY_SECONDS


def discover_score_for(base: float, likes: int, comments: int) -> float:
    """Discover's rank: the recency term plus log10(1 + likes + 2 × comments) (see feeds.selectors)."""
    return base + math.log10(1 + likes + 2 * comments)


class Medium(models.TextChoices):
    DIGITAL_2D = "digital_2d", "2D digital"
    TRADITIONAL = "traditional", "Traditional"
    THREE_D = "3d", "3D"
    ANIMATION = "animation", "Animation"
    PHOTOGRAPHY = "photography", "Photography"
    MIXED = "mixed", "Mixed media"
    PIXEL = "pixel", "Pixel art"
    SCULPTURE = "sculpture", "Sculpture"


class Category(models.TextChoices):
    CONCEPT_ART = "concept_art", "Concept art"
    ILLUSTRATION = "illustration", "Illustration"
    CHARACTER_DESIGN = "character_design", "Character design"
    ENVIRONMENT = "environment", "Environment design"
    COMICS = "comics", "Comics"
    STORYBOARD = "storyboard", "Storyboards"
    GAME_ART = "game_art", "Game art"
    FAN_ART = "fan_art", "Fan art"
    FINE_ART = "fine_art", "Fine art"
    VFX = "vfx", "VFX"
    UI = "ui", "UI and graphic design"


class Licence(models.TextChoices):
    """The terms a post's work is shared under; shown on the post and written into every rendition."""

    ALL_RIGHTS_RESERVED = "arr", "All rights reserved"
    CC_BY = "cc-by-4.0", "CC BY 4.0"
    CC_BY_SA = "cc-by-sa-4.0", "CC BY-SA 4.0"
    CC_BY_NC = "cc-by-nc-4.0", "CC BY-NC 4.0"
    CC_BY_NC_SA = "cc-by-nc-sa-4.0", "CC BY-NC-SA 4.0"
    CC_BY_ND = "cc-by-nd-4.0", "CC BY-ND 4.0"
    CC_BY_NC_ND = "cc-by-nc-nd-4.0", "CC BY-NC-ND 4.0"
    CC0 = "cc0-1.0", "CC0 1.0 (public domain dedication)"


def licence_url(code: str) -> str:
    """The licence's deed, or "" for all rights reserved."""
    if code == Licence.CC0:
        return "https://creativecommons.org/publicdomain/zero/1.0/"
    if code.startswith("cc-"):
        kind = code.removeprefix("cc-").removesuffix("-4.0")
        return f"https://creativecommons.org/licenses/{kind}/4.0/"
    return ""


class PostState(models.TextChoices):
    """Where a post is in its public life; the moves between them are in `posts.visibility`."""

    DRAFT = "draft", "Draft"
    # Published by its author; waiting for every item's rendering and AI check.
    CHECKING = "checking", "Checking"
    PUBLIC = "public", "Public"
    # Kept from everyone but its author and moderators: the AI check, the author's own disclosure
    # or a moderator held it.
    HELD = "held", "Held for review"
    UNPUBLISHED = "unpublished", "Back in drafts"
    TAKEN_DOWN = "taken_down", "Taken down"


class Tag(models.Model):
    name = models.SlugField(max_length=40, unique=True, allow_unicode=True)

    def __str__(self):
        return f"#{self.name}"


def hidden_author_ids(viewer):
    """A subquery of the people whose work `viewer` must not see: blocked either way, or muted.

    Read through the person's own relations (`blocks_received`, `blocks_made`, `mutes_made`, the
    related names social's Block and Mute declare on the user): posts sits below social, which
    builds likes and comments on posts, so it names those rows by relation instead of importing them."""
    return viewer.blocks_received.values("blocker_id").union(
        viewer.blocks_made.values("blocked_id"),
        viewer.mutes_made.values("muted_id"),
    )


class PostQuerySet(models.QuerySet):
    def visible_to(self, viewer) -> "PostQuerySet":
        """Posts `viewer` may see: public ones (`posts.visibility` decided that), plus their own in any
        state but taken down (held ones with the reason, checking ones with their progress); never
        posts of someone who blocked the viewer, whom the viewer blocked or muted.

        Pure SQL (the hidden people are a subquery, no cache is read while building it), so the
        feeds, profiles, search, albums, jobs and counts all start here and cannot drift."""
        public = models.Q(state=PostState.PUBLIC)
        if viewer is None or not viewer.is_authenticated:
            return self.filter(public)
        own = models.Q(author=viewer) & ~models.Q(state=PostState.TAKEN_DOWN)
        return self.filter(public | own).exclude(author_id__in=hidden_author_ids(viewer))

    def public(self) -> "PostQuerySet":
        return self.filter(state=PostState.PUBLIC)


class Post(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts")
    title = models.CharField(max_length=140, blank=True)
    description = models.TextField(max_length=5000, blank=True)
    medium = models.CharField(max_length=20, choices=Medium.choices, blank=True)
    category = models.CharField(max_length=20, choices=Category.choices, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts")
    software = models.JSONField(default=list, blank=True)
    is_mature = models.BooleanField("mature content", default=False)
    made_with_ai = models.BooleanField("made with AI tools", default=False)
    licence = models.CharField(max_length=16, choices=Licence.choices, default=Licence.ALL_RIGHTS_RESERVED)
    # Written only by `posts.visibility` (the transitions and who may make them are there).
    state = models.CharField(max_length=12, choices=PostState.choices, default=PostState.DRAFT)
    # When the post entered its current state: "held since", "taken down on" for the author and moderators.
    state_changed_at = models.DateTimeField(default=timezone.now)
    # Why it is held or taken down, in words for its author (empty otherwise).
    held_reason = models.TextField(blank=True)
    # Thumbnail (square, grids) and cover (wide, profile and feeds): an item and a normalised crop.
    thumbnail_item = models.ForeignKey(
        "media.MediaItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    thumbnail_crop = models.JSONField(null=True, blank=True)
    cover_item = models.ForeignKey(
        "media.MediaItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cover_crop = models.JSONField(null=True, blank=True)
    # {"thumbnail": {...}, "cover": {...}}: names of public renditions, built by the worker.
    covers = models.JSONField(default=dict, blank=True)
    covers_version = models.PositiveIntegerField(default=0)
    # The covers_version the stored covers were built for: a task for a version already built
    # (delivered twice, or built inline by the demo seed) does nothing.
    covers_built_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Discover's recency term, fixed at publishing (see feeds.selectors): published_at / 12 h.
    discover_base = models.FloatField(default=0)
    # Engagement counts and the Discover score they give, stored so Discover reads one index instead
    # of counting every recent post's likes and comments per page. Kept current by
    # `social.engagement.post_engagement_refresh`, which the like and comment services call.
    like_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    discover_score = models.FloatField(default=0)

    objects = PostQuerySet.as_manager()

    class Meta:
        indexes = [
            # The id breaks ties in every keyset order, so it is in each index: pages read in index order.
            # Following reads each followed artist's newest posts from this one; the included columns
            # let PostgreSQL check visibility without visiting the table (an index-only scan).
            models.Index(
                fields=["author", "-published_at", "-id"],
                include=["state", "is_mature"],
                name="posts_author_published",
            ),
            models.Index(fields=["-published_at", "-id"], name="posts_published"),
            models.Index(fields=["-discover_score", "-id"], name="posts_discover"),
        ]

    def __str__(self):
        return self.title or f"Untitled post {self.pk}"

    def get_absolute_url(self):
        return reverse("posts:detail", kwargs={"post_id": self.pk})

    @property
    def licence_url(self) -> str:
        return licence_url(self.licence)

    @property
    def is_draft(self) -> bool:
        """Not published, or taken back by its author: the composer offers "Publish"."""
        return self.state in (PostState.DRAFT, PostState.UNPUBLISHED)

    @property
    def is_public(self) -> bool:
        return self.state == PostState.PUBLIC

    @property
    def is_checking(self) -> bool:
        return self.state == PostState.CHECKING

    @property
    def is_held(self) -> bool:
        return self.state == PostState.HELD

    @property
    def is_taken_down(self) -> bool:
        return self.state == PostState.TAKEN_DOWN

    @property
    def thumbnail(self) -> dict | None:
        return self._cover_for_template("thumbnail")

    @property
    def cover(self) -> dict | None:
        return self._cover_for_template("cover")

    def file_url(self, name: str) -> str:
        """The URL of one of this post's renditions or covers. A public post's files are in the public
        storage; any other post's were moved out of it (`posts.files`), and only its author and
        moderators reach them, through `posts:withheld_file`."""
        if not name:
            return ""
        if self.state == PostState.PUBLIC:
            return public_storage().url(name)
        return reverse("posts:withheld_file", kwargs={"post_id": self.pk, "name": name})

    def _cover_for_template(self, kind: str) -> dict | None:
        """src, srcset, size, colour and (for GIFs) the animated WebP of a built cover."""
        built = self.covers.get(kind)
        if not built or not built.get("sizes"):
            return None
        url = self.file_url
        sizes = sorted(built["sizes"], key=lambda size: size["w"])
        animated = built.get("animated", {})
        return {
            "src": url(sizes[-1]["name"]),
            "srcset": ", ".join(f"{url(size['name'])} {size['w']}w" for size in sizes),
            "avif_srcset": ", ".join(f"{url(size['avif'])} {size['w']}w" for size in sizes if size.get("avif")),
            "width": sizes[-1]["w"],
            "height": sizes[-1]["h"],
            "colour": built.get("colour", "#888888"),
            "animated_webp": url(animated.get("webp", "")),
            "animated_mp4": url(animated.get("mp4", "")),
        }


class PostStateChange(models.Model):
    """The audit of a post's public life: every move `posts.visibility` made, who asked (empty: the
    system, such as the AI check) and why. Written in the move's transaction; never edited."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="state_changes")
    source = models.CharField(max_length=12, choices=PostState.choices)
    target = models.CharField(max_length=12, choices=PostState.choices)
    action = models.CharField(max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["post", "-created_at"], name="posts_state_change_newest")]

    def __str__(self):
        return f"post {self.post_id}: {self.source} → {self.target} ({self.action})"
