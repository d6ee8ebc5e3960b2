"""What the author sees of the cloak: the post's choice and each item's job (two queries)."""

from dataclasses import dataclass

from django.conf import settings

from atelier.media.models import MediaItem
from atelier.posts.models import Post
from atelier.protection.cloak.models import ItemCloak, PostCloak
from atelier.protection.cloak.services import post_choice


@dataclass
class ItemStatus:
    number: int
    item: MediaItem
    cloak: ItemCloak | None


@dataclass
class PostCloakStatus:
    choice: PostCloak
    items: list[ItemStatus]
    # False when this instance runs no cloak worker (settings.CLOAK_AVAILABLE): the composer says so.
    available: bool = True

    @property
    def pending(self) -> bool:
        return any(status.cloak and status.cloak.is_pending for status in self.items)


def post_cloak_status(post: Post) -> PostCloakStatus:
    items = MediaItem.objects.filter(post=post).exclude(kind="embed").select_related("cloak").order_by("position", "pk")
    statuses = [ItemStatus(number, item, getattr(item, "cloak", None)) for number, item in enumerate(items, start=1)]
    return PostCloakStatus(post_choice(post), statuses, available=settings.CLOAK_AVAILABLE)
