from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from atelier.accounts.forms import PasswordResetForm
from atelier.accounts.views import auth, profile, settings

app_name = "accounts"

urlpatterns = [
    path("accounts/signup/", auth.signup, name="signup"),
    path("accounts/signup/sent/", auth.signup_sent, name="signup_sent"),
    path("accounts/login/", auth.login_view, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/verify/resend/", auth.resend_verification, name="resend_verification"),
    path("accounts/verify/<str:token>/", auth.verify_email, name="verify_email"),
    path(
        "accounts/password/reset/",
        auth.PasswordResetView.as_view(
            form_class=PasswordResetForm,
            template_name="accounts/password_reset.html",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("settings/profile/", settings.settings_profile, name="settings_profile"),
    path(
        "settings/profile/<str:kind>/editor-source",
        settings.profile_image_editor_source,
        name="profile_image_editor_source",
    ),
    path("settings/account/", settings.settings_account, name="settings_account"),
    path(
        "settings/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/settings_password.html", success_url=reverse_lazy("accounts:password_changed")
        ),
        name="settings_password",
    ),
    path(
        "settings/password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/settings_password_done.html"),
        name="password_changed",
    ),
    path("settings/delete/", settings.settings_delete, name="settings_delete"),
    path("@<str:handle>", profile.profile_page, name="profile"),
    path("@<str:handle>/", profile.profile_page),
]
