from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm

from atelier.accounts.models import Profile, ProfileImage, User


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
