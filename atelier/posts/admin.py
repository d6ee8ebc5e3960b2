"""Posts in the admin: find a post, see its items, their processing and AI check, the audit of its
public life, and take a post down or restore it — through `posts.visibility`, like every other move,
so the admin leaves an audit line with the staff member's name and the feeds hear of it."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from atelier.media.models import MediaItem
from atelier.posts import visibility
from atelier.posts.models import Post, PostStateChange, Tag


class MediaItemInline(admin.TabularInline):
    model = MediaItem
    extra = 0
    can_delete = False
    fields = ["position", "kind", "state", "ai_check", "said_ai", "failure_reason", "width", "height", "alt_text"]
    readonly_fields = ["kind", "state", "ai_check", "said_ai", "failure_reason", "width", "height"]
    ordering = ["position"]


class PostStateChangeInline(admin.TabularInline):
    """The audit: read-only, newest first."""

    model = PostStateChange
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "source", "target", "actor", "reason"]
    readonly_fields = fields
    ordering = ["-created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["__str__", "author", "state", "is_mature", "made_with_ai", "published_at", "state_changed_at"]
    list_filter = ["state", "is_mature", "made_with_ai", "medium", "category"]
    search_fields = ["title", "author__handle"]
    list_select_related = ["author"]
    raw_id_fields = ["author", "thumbnail_item", "cover_item"]
    # The state is changed only by the actions below (posts.visibility), never typed in.
    readonly_fields = [
        "state", "state_changed_at", "held_reason", "covers", "covers_version", "covers_built_version",
        "created_at", "updated_at", "published_at",
    ]  # fmt: skip
    filter_horizontal = ["tags"]
    inlines = [MediaItemInline, PostStateChangeInline]
    actions = ["take_down", "restore"]

    def _each(self, request, queryset, move, done: str) -> None:
        moved, refused = 0, 0
        for post_id in queryset.values_list("pk", flat=True):
            try:
                move(post_id)
                moved += 1
            except ValidationError:
                refused += 1
        self.message_user(request, f"{moved} post(s) {done}.")
        if refused:
            self.message_user(request, f"{refused} post(s) were not in a state for that.", messages.WARNING)

    @admin.action(description="Take down (hidden everywhere; files kept privately)")
    def take_down(self, request, queryset):
        reason = f"Taken down by {request.user.get_username()} in the admin."
        self._each(
            request,
            queryset,
            lambda pk: visibility.take_down(post_id=pk, actor=request.user, reason=reason),
            "taken down",
        )

    @admin.action(description="Restore taken-down posts (they go back through the AI check)")
    def restore(self, request, queryset):
        reason = f"Restored by {request.user.get_username()} in the admin."
        self._each(
            request, queryset, lambda pk: visibility.restore(post_id=pk, actor=request.user, reason=reason), "restored"
        )


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
