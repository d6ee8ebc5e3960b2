"""Notifications of what others did to you (followed, liked, commented, replied, mentioned), what
moderation decided about your work, and email choices.

Rows are written only by `notifications.services.notify`, which the social services call in the same
transaction as the action itself; what a person may see of them is decided by `selectors`.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Verb(models.TextChoices):
    FOLLOW = "follow", "Follow"
    LIKE = "like", "Like"
    COMMENT = "comment", "Comment"
    REPLY = "reply", "Reply"
    MENTION = "mention", "Mention"
    # From moderation: what happened to the recipient's own post (no actor is named).
    HELD = "held", "Post held for review"
    APPROVED = "approved", "Post approved"
    CONFIRMED_AI = "confirmed", "Post confirmed AI-generated"
    PROOF_REQUESTED = "proof", "Process proof requested"
    # The AI check could not run through its retry budget: private, still retried, queued for a person.
    UNCHECKED = "unchecked", "Post could not be checked"
    # From art-theft detection: an upload held because it looks like the recipient's public work.
    REPOST = "repost", "Possible repost of your work"
    TAKEN_DOWN = "taken_down", "Post taken down"


REVIEW_VERBS = (
    Verb.HELD,
    Verb.APPROVED,
    Verb.CONFIRMED_AI,
    Verb.PROOF_REQUESTED,
    Verb.UNCHECKED,
    Verb.REPOST,
    Verb.TAKEN_DOWN,
)


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    # None for what the site itself tells the recipient (moderation of their own work).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    verb = models.CharField(max_length=10, choices=Verb.choices)
    post = models.ForeignKey("posts.Post", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey("social.Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notif_recipient_unread"),
            # The paged list, newest first, read or not.
            models.Index(fields=["recipient", "-created_at", "-id"], name="notif_recipient_newest"),
        ]

    def __str__(self):
        return f"{self.verb} from {self.actor_id} to {self.recipient_id}"


class NotificationSettings(models.Model):
    """Which kinds of notification may reach a person by email (in the daily digest), if any."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="notification_settings"
    )
    email_follow = models.BooleanField("New followers", default=True)
    email_like = models.BooleanField("Likes on your work", default=True)
    email_comment = models.BooleanField("Comments and replies", default=True)
    email_mention = models.BooleanField("Mentions", default=True)
    digest = models.BooleanField("Send me a daily email digest", default=True)
    # The digest covers unread notifications made after this; it also keeps a second run on the same day silent.
    last_digest_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self):
        return f"notification settings of {self.user_id}"

    def emails_verb(self, verb: str) -> bool:
        flag = {
            Verb.FOLLOW: self.email_follow,
            Verb.LIKE: self.email_like,
            Verb.COMMENT: self.email_comment,
            Verb.REPLY: self.email_comment,
            Verb.MENTION: self.email_mention,
        }
        return flag.get(verb, False)
