"""Archive imports with the works found in them, what was imported from where, exports, and moves.

An import goes scanned → importing → done | failed; each of its works goes pending → imported |
skipped | failed with a message in words. `ImportedWork` remembers every source id that became a
post (per account), so running the same archive again skips what is already here.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Source(models.TextChoices):
    INSTAGRAM = "instagram", "Instagram"
    X = "x", "X (Twitter)"
    ATELIER = "atelier", "Another Atelier"


class ImportState(models.TextChoices):
    SCANNED = "scanned", "Ready to import"
    IMPORTING = "importing", "Importing"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    DISCARDED = "discarded", "Discarded"


class WorkState(models.TextChoices):
    PENDING = "pending", "Waiting"
    IMPORTED = "imported", "Imported"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Not imported"


class ArchiveImport(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="archive_imports")
    source = models.CharField(max_length=10, choices=Source.choices)
    state = models.CharField(max_length=10, choices=ImportState.choices, default=ImportState.SCANNED)
    # The uploaded ZIP in the private originals storage; deleted once the import ends or is discarded.
    archive_name = models.CharField(max_length=255, blank=True)
    archive_bytes = models.PositiveBigIntegerField(default=0)
    include_location = models.BooleanField(default=False)
    # What was counted and will not be imported (message threads, replies...), and reading notes.
    skipped_counts = models.JSONField(default=dict, blank=True)
    notes = models.JSONField(default=list, blank=True)
    extra = models.JSONField(default=dict, blank=True)  # an Atelier export's albums
    message = models.CharField(max_length=500, blank=True)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_source_display()} import {self.pk} of {self.owner_id}"

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else 100


class FoundWorkRow(models.Model):
    """One post, carousel, story or reel found in an archive, as the preview lists it."""

    archive_import = models.ForeignKey(ArchiveImport, on_delete=models.CASCADE, related_name="works")
    position = models.PositiveIntegerField()
    source_id = models.CharField(max_length=120)
    kind = models.CharField(max_length=10)
    taken_at = models.DateTimeField(null=True, blank=True)
    caption = models.TextField(blank=True)
    files = models.JSONField(default=list)
    location = models.CharField(max_length=60, blank=True)
    details = models.JSONField(default=dict, blank=True)
    selected = models.BooleanField(default=True)
    state = models.CharField(max_length=10, choices=WorkState.choices, default=WorkState.PENDING)
    message = models.TextField(blank=True)
    post = models.ForeignKey("posts.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["position"]
        indexes = [models.Index(fields=["archive_import", "state", "position"], name="portability_work_state")]

    def __str__(self):
        return f"{self.kind} {self.source_id}"


class ImportedWork(models.Model):
    """A source id that became one of the owner's posts; a re-run of any archive skips it."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices)
    source_id = models.CharField(max_length=120)
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "source", "source_id"], name="portability_imported_once")
        ]

    def __str__(self):
        return f"{self.source} {self.source_id} → post {self.post_id}"


class ExportState(models.TextChoices):
    QUEUED = "queued", "Queued"
    BUILDING = "building", "Being prepared"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class ArchiveExport(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="archive_exports")
    state = models.CharField(max_length=10, choices=ExportState.choices, default=ExportState.QUEUED)
    file_name = models.CharField(max_length=255, blank=True)  # in the private originals storage
    file_bytes = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"export {self.pk} of {self.owner_id}"

    def is_downloadable(self, now=None) -> bool:
        return (
            self.state == ExportState.READY
            and self.expires_at is not None
            and (now or timezone.now()) < self.expires_at
        )


class ProfileMove(models.Model):
    """The account moved to another instance: its profile says so, with a link."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile_move")
    moved_to = models.URLField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.user_id} moved to {self.moved_to}"
