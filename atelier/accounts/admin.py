from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError

from atelier.accounts import services, throttling
from atelier.accounts.models import Profile, ProfileImage, User


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's sign-in, through the same throttle as the site's: staff passwords are the ones
    most worth guessing, so the admin's failures are checked and counted like any other."""

    def clean(self):
        identifier, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if identifier is not None and password:
            try:
                self.user_cache = throttling.sign_in_authenticate(
                    self.request, identifier=identifier, password=password
                )
            except throttling.SignInThrottled as error:
                raise ValidationError(str(error), code="throttled") from None
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


admin.site.login_form = ThrottledAdminAuthenticationForm


class AdminUserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "handle")


class AdminUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = AdminUserCreationForm
    form = AdminUserChangeForm
    ordering = ["-date_joined"]
    list_display = ["handle", "email", "account_type", "email_verified_at", "is_active", "is_staff", "date_joined"]
    list_filter = ["account_type", "is_active", "is_staff"]
    search_fields = ["handle", "email"]
    fieldsets = [
        (None, {"fields": ["email", "handle", "password", "account_type"]}),
        ("Email", {"fields": ["email_verified_at", "pending_email"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "handle", "password1", "password2"]})]

    def save_model(self, request, obj, form, change):
        """An account made here gets the confirmation link a sign-up gets: like a new sign-up, its
        password opens nothing until the link (its first sign-in) or a reset proves the address."""
        super().save_model(request, obj, form, change)
        if not change:
            services.email_confirmation_send(user=obj, email=obj.email)


class ProfileImageInline(admin.TabularInline):
    model = ProfileImage
    fields = ["kind", "state", "version", "original_format", "original_width", "original_height"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "display_name", "headline", "open_to_work", "hiring"]
    search_fields = ["user__handle", "display_name", "headline"]
    list_select_related = ["user"]
    inlines = [ProfileImageInline]
