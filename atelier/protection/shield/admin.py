from django.contrib import admin
from django.db.models import Sum

from atelier.protection.shield.models import CrawlerAgent, CrawlerSource, ProtectionCount, SearchEngineAgent


@admin.register(CrawlerAgent)
class CrawlerAgentAdmin(admin.ModelAdmin):
    list_display = ["token", "operator", "purpose", "refused", "source"]
    list_editable = ["refused"]
    list_filter = ["source", "refused"]
    search_fields = ["token", "operator"]
    readonly_fields = ["source", "created_at"]

    def save_model(self, request, obj, form, change):
        """A row an admin touched is theirs: `update_crawler_list` never overwrites it."""
        obj.source = CrawlerSource.ADMIN
        super().save_model(request, obj, form, change)


@admin.register(SearchEngineAgent)
class SearchEngineAgentAdmin(admin.ModelAdmin):
    """The search engines robots.txt lets index public pages; every other agent is disallowed."""

    list_display = ["token", "name", "allowed"]
    list_editable = ["allowed"]
    readonly_fields = ["created_at"]
    search_fields = ["token", "name"]


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
