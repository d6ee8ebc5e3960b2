from django.contrib import admin

from atelier.protection.detection.models import DetectionPolicy, DetectionProbe, ItemVerdict, SignalEvidence


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


@admin.register(DetectionPolicy)
class DetectionPolicyAdmin(admin.ModelAdmin):
    """One row: moderators tune the thresholds here; the worker reads them for every new item."""

    list_display = ["__str__", "hold_on_provenance", "hold_on_watermark", "classifier_threshold", "hive_threshold"]

    def has_add_permission(self, request):
        return not DetectionPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DetectionProbe)
class DetectionProbeAdmin(admin.ModelAdmin):
    """Probes are made by `manage.py retrain_detection_probe`; the admin only shows them."""

    list_display = ["created_at", "samples", "cv_auc", "head_auc", "adopted"]
    exclude = ["coef"]
    readonly_fields = ["intercept", "threshold", "cv_auc", "head_auc", "samples", "adopted", "created_at"]

    def has_add_permission(self, request):
        return False
