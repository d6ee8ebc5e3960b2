"""Support's side of a lost device: staff can see which factors an account has and remove one (after
checking who is asking, outside the site). Nothing secret is shown, nothing can be added here, and a
removal goes through the services, so the owner is mailed and the log has a line, as with their own."""

from django.contrib import admin

from atelier.accounts.mfa import services
from atelier.accounts.mfa.models import Passkey, TotpDevice


class _RemoveOnlyAdmin(admin.ModelAdmin):
    list_select_related = ["user"]
    search_fields = ["user__handle", "user__email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Passkey)
class PasskeyAdmin(_RemoveOnlyAdmin):
    list_display = ["user", "name", "created_at", "last_used_at", "sign_count"]
    fields = ["user", "name", "transports", "sign_count", "created_at", "last_used_at"]

    def delete_model(self, request, obj):
        services.passkey_remove(user=obj.user, passkey_id=obj.pk)
        services.forget_recovery_codes_when_unguarded(user=obj.user)

    def delete_queryset(self, request, queryset):
        for passkey in queryset.select_related("user"):
            self.delete_model(request, passkey)


@admin.register(TotpDevice)
class TotpDeviceAdmin(_RemoveOnlyAdmin):
    list_display = ["user", "confirmed_at", "last_used_at"]
    fields = ["user", "confirmed_at", "created_at", "last_used_at"]

    def delete_model(self, request, obj):
        services.totp_remove(user=obj.user)
        services.forget_recovery_codes_when_unguarded(user=obj.user)

    def delete_queryset(self, request, queryset):
        for device in queryset.select_related("user"):
            self.delete_model(request, device)
