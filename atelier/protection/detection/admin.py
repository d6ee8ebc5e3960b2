from django.contrib import admin

from atelier.protection.detection.models import ItemVerdict, SignalEvidence


@admin.register(ItemVerdict)
class ItemVerdictAdmin(admin.ModelAdmin):
    list_display = ["item", "verdict", "reason", "decided_at"]
    list_filter = ["verdict"]
    raw_id_fields = ["item"]


@admin.register(SignalEvidence)
class SignalEvidenceAdmin(admin.ModelAdmin):
    list_display = ["item", "signal", "outcome", "created_at"]
    list_filter = ["signal", "outcome"]
    raw_id_fields = ["item"]
