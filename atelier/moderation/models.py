"""Human review of work the detector held or people reported: one case per post, the authors'
appeals with their process proof, reports, every decision (who, when, why) and strikes.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class CaseStatus(models.TextChoices):
    OPEN = "open", "Waiting for a moderator"
    PROOF_REQUESTED = "proof", "Waiting for the artist's process proof"
    APPROVED = "approved", "Approved as human-made"
    CONFIRMED_AI = "confirmed", "Confirmed AI-generated"
    TAKEN_DOWN = "taken_down", "Taken down: not the uploader's work"


class ReviewCase(models.Model):
    """Everything a moderator needs about one post; re-opened when new reasons arrive."""

    post = models.OneToOneField("posts.Post", on_delete=models.CASCADE, related_name="review_case")
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    # Why it is here; any combination. `labelled`: a near-certain signal (provenance, watermark)
    # held it; `flag_score`: the classifier's or Hive's score that sent it to review.
    labelled = models.BooleanField(default=False)
    flag_score = models.FloatField(null=True, blank=True)
    detection_reason = models.TextField(blank=True)
    report_count = models.PositiveIntegerField(default=0)
    appealed_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "-appealed_at", "-report_count", "opened_at"], name="case_queue")]
        permissions = [("review_case", "Can review held and reported posts")]

    def __str__(self):
        return f"case of post {self.post_id} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status in (CaseStatus.OPEN, CaseStatus.PROOF_REQUESTED)


class Appeal(models.Model):
    case = models.ForeignKey(ReviewCase, on_delete=models.CASCADE, related_name="appeals")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    message = models.TextField(max_length=3000)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"appeal on case {self.case_id}"


class ProofKind(models.TextChoices):
    IMAGE = "image", "Work-in-progress image"
    VIDEO = "video", "Timelapse or process video"
    LAYERED = "layered", "Layered working file"


class ProofFile(models.Model):
    """A file an author sent as process proof: stored privately, shown only to them and moderators."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=8, choices=ProofKind.choices)
    format = models.CharField(max_length=20)
    stored_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()

    def __str__(self):
        return f"{self.kind} proof for appeal {self.appeal_id}"


class AIReport(models.Model):
    """Someone believes a published post is AI-generated; one per person and post."""

    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="ai_reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    note = models.TextField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "reporter"], name="one_ai_report_per_person")]

    def __str__(self):
        return f"AI report on post {self.post_id}"


class Action(models.TextChoices):
    APPROVE = "approve", "Approve: human-made, publish"
    CONFIRM_AI = "confirm", "Confirm AI-generated: keep hidden"
    REQUEST_PROOF = "proof", "Ask the artist for process proof"
    TAKE_DOWN = "take_down", "Take down: a repost of someone else's work"


class Decision(models.Model):
    """The log: who decided what on which case, when and why. Never edited or deleted by the site."""

    case = models.ForeignKey(ReviewCase, on_delete=models.CASCADE, related_name="decisions")
    moderator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    note = models.TextField(max_length=2000)
    strike = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["case", "-created_at"], name="decision_case_newest")]

    def __str__(self):
        return f"{self.action} on case {self.case_id}"


class Strike(models.Model):
    """A confirmed case of AI work passed off as human-made, counted against the account."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="strikes")
    decision = models.OneToOneField(Decision, on_delete=models.CASCADE, related_name="strike_record")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"strike against {self.user_id}"
