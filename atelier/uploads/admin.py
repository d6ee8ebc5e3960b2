from django.contrib import admin

from atelier.uploads.models import Upload


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    """Read-only: uploads are created and cleaned up by the protocol and the hourly purge."""

    list_display = ["pk", "owner", "filename", "length", "offset", "created_at", "completed_at", "claimed_at"]
    list_select_related = ["owner"]
    search_fields = ["owner__handle", "filename"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
