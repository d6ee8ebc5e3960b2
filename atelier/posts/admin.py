"""Posts in the admin: find a post, see its items and their processing state, take a post down."""

from django.contrib import admin
from django.utils import timezone

from atelier.feeds.feed_cache import forget_posts
from atelier.posts.models import MediaItem, Post, Tag


class MediaItemInline(admin.TabularInline):
    model = MediaItem
    extra = 0
    can_delete = False
    fields = ["position", "kind", "state", "failure_reason", "width", "height", "alt_text"]
    readonly_fields = ["kind", "state", "failure_reason", "width", "height"]
    ordering = ["position"]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "author",
        "state",
        "media_ready",
        "is_mature",
        "made_with_ai",
        "published_at",
        "removed_at",
    ]
    list_filter = ["state", "media_ready", "is_mature", "made_with_ai", "medium", "category"]
    search_fields = ["title", "author__handle"]
    list_select_related = ["author"]
    raw_id_fields = ["author", "thumbnail_item", "cover_item"]
    readonly_fields = ["covers", "covers_version", "covers_built_version", "created_at", "updated_at"]
    filter_horizontal = ["tags"]
    inlines = [MediaItemInline]
    actions = ["take_down", "restore"]

    @admin.action(description="Take down (hidden everywhere; files kept)")
    def take_down(self, request, queryset):
        ids = list(queryset.filter(removed_at__isnull=True).values_list("pk", flat=True))
        count = Post.objects.filter(pk__in=ids).update(removed_at=timezone.now())
        forget_posts(ids)
        self.message_user(request, f"{count} post(s) taken down.")

    @admin.action(description="Restore taken-down posts")
    def restore(self, request, queryset):
        ids = list(queryset.filter(removed_at__isnull=False).values_list("pk", flat=True))
        count = Post.objects.filter(pk__in=ids).update(removed_at=None)
        forget_posts(ids)
        self.message_user(request, f"{count} post(s) restored.")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
