"""Reading notifications: the grouped list, the unread count and the digest, each in a fixed number of queries.

A notification is shown only while its post is still one the recipient may see (the one rule,
`Post.objects.visible_to`, narrowed to published work) and its actor is not someone hidden from
the recipient by a block or a mute made since.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Prefetch, Q
from django.urls import reverse

from atelier.accounts.models import ProfileImage, ProfileImageKind
from atelier.core.cursors import decode_cursor, encode_cursor
from atelier.notifications.models import REVIEW_VERBS, Notification, Verb
from atelier.posts.models import Post, PostState, hidden_author_ids

# Notifications per page (before grouping); older ones follow through a signed keyset cursor.
PAGE_SIZE = 50
# Likes (or follows, comments…) of one post this close together make one line, even when other
# notifications came in between: a day's likes on a piece read as one line, last month's stay apart.
GROUP_WINDOW = timedelta(hours=24)

_PHRASES = {
    Verb.LIKE: "liked",
    Verb.COMMENT: "commented on",
    Verb.REPLY: "replied to your comment on",
    Verb.MENTION: "mentioned you on",
}
_REVIEW_LINES = {
    Verb.HELD: "Your post “{post}” is held for review: only you can see it. Open it to read why or to appeal.",
    Verb.APPROVED: "A moderator approved “{post}” as human-made: it is public again.",
    Verb.CONFIRMED_AI: "A moderator confirmed “{post}” as AI-generated: it stays hidden.",
    Verb.PROOF_REQUESTED: "A moderator asks for process proof for “{post}”.",
    Verb.UNCHECKED: (
        "The AI check of “{post}” failed: it stays private, never published unchecked. We keep retrying, "
        "and a moderator will check it by hand."
    ),
    Verb.TAKEN_DOWN: "A moderator took “{post}” down: it is not shown to anyone else any more.",
    Verb.REPOST: "An upload held for review looks like your work “{post}”. Open it to say whether it is yours.",
}


def visible_notifications(recipient):
    """`recipient`'s notifications they may still see, newest first, actors' profiles and posts joined in."""
    # Others' posts only while public; the recipient's own also while checked or held (the review
    # notifications are about those), never their drafts.
    posts = Post.objects.visible_to(recipient).exclude(state__in=[PostState.DRAFT, PostState.UNPUBLISHED]).values("pk")
    return (
        Notification.objects.filter(recipient=recipient)
        .filter(Q(post__isnull=True) | Q(post__in=posts))
        .exclude(actor_id__in=hidden_author_ids(recipient))
        .select_related("actor__profile", "post")
        # Each line shows its people's avatars: one query for every actor's on the page.
        .prefetch_related(
            Prefetch("actor__profile__images", queryset=ProfileImage.objects.filter(kind=ProfileImageKind.AVATAR))
        )
        .order_by("-created_at", "-pk")
    )


@dataclass
class NotificationGroup:
    """Consecutive notifications of one verb on one post (or follows): one line on the page or in an email."""

    verb: str
    post: Post | None
    latest_at: datetime
    earliest_at: datetime
    actors: list = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    unread: bool = False
    comment_id: int | None = None

    @property
    def others(self) -> int:
        return len(self.actors) - 1

    @property
    def phrase(self) -> str:
        return _PHRASES.get(self.verb, "")

    @property
    def text(self) -> str:
        """The line in words: "Inés Ortega and 11 others liked “Harbour”", "3 people followed you"."""
        if self.verb in REVIEW_VERBS:
            return _REVIEW_LINES[self.verb].format(post=self.post)
        first = self.actors[0].profile.name
        if self.verb == Verb.FOLLOW:
            return f"{first} followed you" if len(self.actors) == 1 else f"{len(self.actors)} people followed you"
        if self.others == 0:
            who = first
        elif self.others == 1:
            who = f"{first} and {self.actors[1].profile.name}"
        else:
            who = f"{first} and {self.others} others"
        return f"{who} {self.phrase} “{self.post}”"

    @property
    def url(self) -> str:
        if self.verb == Verb.FOLLOW:
            return self.actors[0].get_absolute_url()
        anchor = f"#comment-{self.comment_id}" if self.comment_id and len(self.ids) == 1 else ""
        if self.verb == Verb.REPOST:
            return reverse("theft:reposts")
        if self.verb in REVIEW_VERBS:
            anchor = "#review"
        elif self.verb in (Verb.COMMENT, Verb.REPLY, Verb.MENTION) and not anchor:
            anchor = "#comments"
        return reverse("posts:detail", kwargs={"post_id": self.post.pk}) + anchor


def group_notifications(notifications) -> list[NotificationGroup]:
    """Fold a newest-first sequence into lines: notifications of one verb on one post (or follows)
    within GROUP_WINDOW of the line's oldest become that line, wherever it stands, naming each actor
    once (newest first). A line keeps the place of its newest notification."""
    groups: list[NotificationGroup] = []
    open_lines: dict[tuple[str, int | None], NotificationGroup] = {}
    for notification in notifications:
        key = (notification.verb, notification.post_id)
        line = open_lines.get(key)
        if line is None or line.earliest_at - notification.created_at > GROUP_WINDOW:
            line = NotificationGroup(
                verb=notification.verb,
                post=notification.post,
                latest_at=notification.created_at,
                earliest_at=notification.created_at,
                comment_id=notification.comment_id,
            )
            groups.append(line)
            open_lines[key] = line
        line.earliest_at = notification.created_at
        line.ids.append(notification.pk)
        line.unread = line.unread or notification.read_at is None
        if notification.actor_id and all(actor.pk != notification.actor_id for actor in line.actors):
            line.actors.append(notification.actor)
    return groups


@dataclass
class NotificationPage:
    groups: list[NotificationGroup]
    next_cursor: str | None


def notification_page(*, recipient, cursor: str | None = None) -> NotificationPage:
    """PAGE_SIZE notifications after `cursor` (newest first), grouped: one query whatever their number.

    A run of one verb on one post that crosses a page boundary continues as a line on the next page.
    Raises core.cursors.InvalidCursor for a tampered or foreign cursor."""
    rows = visible_notifications(recipient)
    position = (decode_cursor("notifications", cursor) or {}).get("position")
    if position:
        created_at, pk = datetime.fromisoformat(position[0]), position[1]
        rows = rows.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk))
    rows = list(rows[: PAGE_SIZE + 1])
    page, more = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
    next_cursor = (
        encode_cursor("notifications", {"position": [page[-1].created_at.isoformat(), page[-1].pk]}) if more else None
    )
    return NotificationPage(group_notifications(page), next_cursor)


def unread_count(*, recipient) -> int:
    """What the nav badge shows: unread notifications the person may see (one query)."""
    return visible_notifications(recipient).filter(read_at__isnull=True).count()
