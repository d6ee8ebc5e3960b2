"""Media items: one image, animation, video or embed, its private original and its public renditions.

The pipeline around them lives beside them (`states`, `intake`, `processing`). An item belongs to a
post (`post`, named by string: media sits below posts and imports none of it); the post decides who
may see it, and the item's renditions follow (`posts.files`).
"""

import logging

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from atelier.media.embeds import Embed
from atelier.media.states import CheckState, MediaState

logger = logging.getLogger(__name__)


class MediaKind(models.TextChoices):
    IMAGE = "image", "Image"
    ANIMATION = "animation", "Animated GIF"
    VIDEO = "video", "Video"
    EMBED = "embed", "Embed"


class MediaItem(models.Model):
    """One image, animation, video or embed of a post, in the author's order."""

    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=MediaKind.choices)
    state = models.CharField(max_length=12, choices=MediaState.choices, default=MediaState.UPLOADED)
    # The AI check (protection.detection hands its verdict over through `posts.media_checks`);
    # the post goes public only when every item is ready and every check lets it through.
    ai_check = models.CharField(max_length=8, choices=CheckState.choices, default=CheckState.PENDING)
    # The item's own metadata or watermark, or a moderator, said it is AI-generated: its Content
    # Credentials never call it human work, whatever happens to the post.
    said_ai = models.BooleanField(default=False)
    # Why the check holds it, in words for the author (shown as the post's held reason).
    check_reason = models.TextField(blank=True)
    # Why processing failed, in words for the author; the original is kept for a retry.
    failure_reason = models.CharField(max_length=300, blank=True)
    progress = models.FloatField(default=0)
    alt_text = models.CharField(max_length=500, blank=True)
    # Private original (name in the originals storage); empty for embeds.
    original_name = models.CharField(max_length=255, blank=True)
    original_format = models.CharField(max_length=20, blank=True)
    # A private file the public renditions are made from instead of the original (the style-cloaked
    # pixels, protection.cloak); empty: the original. The original itself is never altered.
    public_source_name = models.CharField(max_length=255, blank=True)
    original_bytes = models.PositiveBigIntegerField(default=0)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    duration_seconds = models.FloatField(null=True, blank=True)
    # Public rendition names and facts, filled by the worker. Shapes by kind:
    # image/animation: {"sizes": [{"w", "h", "name"}], "colour", "animated": {"webp", "mp4", "poster"}}
    # video: {"mp4", "poster", "poster_sizes": [...], "colour"}
    renditions = models.JSONField(default=dict, blank=True)
    # Embeds: atelier.media.embeds.Embed.as_dict()
    embed = models.JSONField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The table keeps the name it had when the model lived in posts: moving the model moved no data.
        db_table = "posts_mediaitem"
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["post", "position"], name="posts_item_order")]

    def __str__(self):
        return f"{self.kind} {self.pk} of post {self.post_id}"

    @property
    def is_ready(self) -> bool:
        return self.state == MediaState.READY

    @property
    def check_lets_through(self) -> bool:
        return self.ai_check in (CheckState.PASS, CheckState.REVIEW)

    @property
    def rendition_source_name(self) -> str:
        return self.public_source_name or self.original_name

    @property
    def private_file_names(self) -> list[str]:
        return [name for name in (self.original_name, self.public_source_name) if name]

    # --- what templates need, from the stored renditions

    def public_url(self, name: str) -> str:
        """Public storage while the post is public; the author's and moderators' view otherwise."""
        return self.post.file_url(name)

    @property
    def sizes(self) -> list[dict]:
        return sorted(self.renditions.get("sizes", []), key=lambda size: size["w"])

    @property
    def src(self) -> str:
        sizes = self.sizes
        return self.public_url(sizes[-1]["name"]) if sizes else self.poster_url

    @property
    def srcset(self) -> str:
        return ", ".join(f"{self.public_url(size['name'])} {size['w']}w" for size in self.sizes)

    @property
    def colour(self) -> str:
        return self.renditions.get("colour", "#888888")

    @property
    def poster_url(self) -> str:
        return self.public_url(self.renditions.get("poster", ""))

    @property
    def animated_webp_url(self) -> str:
        return self.public_url(self.renditions.get("animated", {}).get("webp", ""))

    @property
    def animated_mp4_url(self) -> str:
        return self.public_url(self.renditions.get("animated", {}).get("mp4", ""))

    @property
    def embed_info(self):
        """The parsed embed (validated again on the way out, so a tampered row cannot inject markup).

        None for a row that fails that check: the page shows nothing for it rather than failing."""
        if not self.embed:
            return None
        try:
            return Embed.from_dict(self.embed)
        except (ValidationError, TypeError):
            logger.warning("Media item %s has an invalid stored embed; not rendering it", self.pk)
            return None

    @property
    def video_url(self) -> str:
        return self.public_url(self.renditions.get("mp4", ""))
