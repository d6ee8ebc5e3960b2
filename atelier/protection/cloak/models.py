"""Who wants the style cloak on what, and each image's cloak job: its state, progress and what it measured.

The engine (engine.py and the modules it uses) is plain Python and knows nothing of these rows."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Strength(models.TextChoices):
    LOW = "low", "Low — least visible, weakest effect"
    DEFAULT = "default", "Default"
    HIGH = "high", "High — strongest effect, most visible"


class CloakPreference(models.Model):
    """An artist's default for new posts."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="cloak_preference"
    )
    cloak_new_work = models.BooleanField("Cloak my new work by default", default=False)
    strength = models.CharField(max_length=8, choices=Strength.choices, default=Strength.DEFAULT)

    def __str__(self):
        return f"cloak preference of {self.user_id}"


class PostCloak(models.Model):
    """The choice made in the composer for one post; absent means the author's default applies."""

    post = models.OneToOneField("posts.Post", primary_key=True, on_delete=models.CASCADE, related_name="cloak_choice")
    enabled = models.BooleanField(default=False)
    strength = models.CharField(max_length=8, choices=Strength.choices, default=Strength.DEFAULT)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"cloak {'on' if self.enabled else 'off'} for post {self.post_id}"


class CloakState(models.TextChoices):
    QUEUED = "queued", "Waiting for the worker"
    RUNNING = "running", "Cloaking"
    DONE = "done", "Cloaked"
    REFUSED = "refused", "Can't be cloaked"
    FAILED = "failed", "Failed"
    REMOVED = "removed", "Cloak removed"


class ItemCloak(models.Model):
    """One still image's cloak. `version` goes up with every request (cloak, re-cloak, un-cloak), so a
    task for an older request does nothing and a killed task that is delivered again resumes cleanly."""

    item = models.OneToOneField("media.MediaItem", primary_key=True, on_delete=models.CASCADE, related_name="cloak")
    strength = models.CharField(max_length=8, choices=Strength.choices, default=Strength.DEFAULT)
    state = models.CharField(max_length=8, choices=CloakState.choices, default=CloakState.QUEUED)
    version = models.PositiveIntegerField(default=1)
    progress = models.FloatField(default=0)
    eta_seconds = models.PositiveIntegerField(null=True, blank=True)
    tiles = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)  # why it was refused or failed, for the artist
    # The cloaked pixels, stored privately; public renditions are made from them.
    cloaked_name = models.CharField(max_length=255, blank=True)
    psnr = models.FloatField(null=True, blank=True)
    ssim = models.FloatField(null=True, blank=True)
    max_change = models.PositiveSmallIntegerField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "started_at"], name="cloak_state_started")]

    def __str__(self):
        return f"cloak of item {self.item_id}: {self.state}"

    @property
    def is_pending(self) -> bool:
        return self.state in (CloakState.QUEUED, CloakState.RUNNING)
