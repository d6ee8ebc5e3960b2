from django.urls import path

from atelier.notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/read-all", views.mark_all_read, name="mark_all_read"),
    path("notifications/badge", views.badge, name="badge"),
    path("settings/notifications/", views.notification_settings, name="settings"),
]
