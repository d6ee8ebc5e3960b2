from django.contrib import admin
from django.db.models import Sum

from atelier.protection.shield.models import CrawlerAgent, ProtectionCount


@admin.register(CrawlerAgent)
class CrawlerAgentAdmin(admin.ModelAdmin):
    list_display = ["token", "operator", "purpose", "refused"]
    list_editable = ["refused"]
    search_fields = ["token", "operator"]


@admin.register(ProtectionCount)
class ProtectionCountAdmin(admin.ModelAdmin):
    """The whole picture: every refusal counted by day, rule, agent, network and artist."""

    list_display = ["day", "rule", "agent", "network", "artist", "count"]
    list_filter = ["rule", "day", "agent"]
    search_fields = ["agent", "network", "artist__handle"]
    date_hierarchy = "day"
    raw_id_fields = ["artist"]

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        try:
            shown = response.context_data["cl"].queryset
        except (AttributeError, KeyError):
            return response
        response.context_data["title"] = (
            f"Refused requests: {shown.aggregate(total=Sum('count'))['total'] or 0} in view"
        )
        return response

    def has_add_permission(self, request):
        return False
