"""Writing notifications and marking them read.

The social services call `notify` / `notify_comment` inside their own transaction, so a rolled-back
like or comment leaves no notification behind. Nothing is ever sent to someone about their own
action, across a block in either direction, or from someone the recipient muted.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from atelier.accounts.mentions import mentioned_handles
from atelier.accounts.models import User
from atelier.core.email import queue_templated_email
from atelier.notifications.models import Notification, Verb
from atelier.posts.models import Post, hidden_author_ids


def _silenced(*, recipient, actor) -> bool:
    """One query: either blocked the other, or the recipient muted the actor — the same people
    `Post.objects.visible_to` hides from the recipient (`posts.models.hidden_author_ids`)."""
    return User.objects.filter(pk=actor.pk, pk__in=hidden_author_ids(recipient)).exists()


def notify(*, recipient, actor, verb: str, post=None, comment=None) -> Notification | None:
    """Record that `actor` did `verb` to `recipient` (on `post` / in `comment`); None when it must not be told."""
    if recipient.pk == actor.pk or _silenced(recipient=recipient, actor=actor):
        return None
    return Notification.objects.create(recipient=recipient, actor=actor, verb=verb, post=post, comment=comment)


def notify_comment(*, comment, mentioned_handles=()) -> list[Notification]:
    """Everyone a new comment concerns, each told once, by the most specific reason:
    a reply to their comment, then a comment on their post, then a mention."""
    recipients: dict[int, tuple] = {}
    if comment.parent_id is not None:
        recipients[comment.parent.author_id] = (comment.parent.author, Verb.REPLY)
    recipients.setdefault(comment.post.author_id, (comment.post.author, Verb.COMMENT))
    if mentioned_handles:
        for person in User.objects.filter(handle__in=set(mentioned_handles), is_active=True):
            recipients.setdefault(person.pk, (person, Verb.MENTION))
    made = []
    for recipient, verb in recipients.values():
        notification = notify(recipient=recipient, actor=comment.author, verb=verb, post=comment.post, comment=comment)
        if notification is not None:
            made.append(notification)
    return made


def notifications_mark_read(*, recipient, ids=None) -> int:
    """Mark `recipient`'s unread notifications read (only `ids` when given); other people's rows are never touched."""
    unread = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def notify_site(*, recipient, verb: str, post=None) -> Notification:
    """Something the site itself tells `recipient` (no actor is named), such as an upload held
    because it looks like their public work (protection.theft)."""
    return Notification.objects.create(recipient=recipient, actor=None, verb=verb, post=post)


def notify_review(*, post, verb: str, note: str = "") -> Notification:
    """Tell an author what moderation did with their post: in the app, and by email at once when
    their address is confirmed (it concerns their own work, so no setting turns it off)."""
    author = post.author
    notification = Notification.objects.create(recipient=author, actor=None, verb=verb, post=post)
    if author.email and author.email_verified_at:
        queue_templated_email(
            template="notifications/email/review",
            context={"user": author, "post": post, "verb": verb, "note": note, "site_url": settings.SITE_URL},
            to=author.email,
        )
    return notification


def notify_post_mentions(*, post_id: int) -> list[Notification]:
    """The people a post's description mentions, told when the post became public — once per post and
    person: a post released after a hold, or republished, does not tell them again. A post that never
    becomes public tells no one."""
    post = Post.objects.public().filter(pk=post_id).select_related("author").first()
    if post is None:
        return []
    handles = mentioned_handles(post.description)
    if not handles:
        return []
    told = set(
        Notification.objects.filter(post=post, verb=Verb.MENTION, comment__isnull=True).values_list(
            "recipient_id", flat=True
        )
    )
    made = []
    for person in get_user_model().objects.filter(handle__in=handles, is_active=True).exclude(pk__in=told):
        notification = notify(recipient=person, actor=post.author, verb=Verb.MENTION, post=post)
        if notification is not None:
            made.append(notification)
    return made
