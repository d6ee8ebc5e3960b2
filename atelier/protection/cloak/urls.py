from django.urls import path

from atelier.protection.cloak import views

app_name = "cloak"

urlpatterns = [
    path("posts/<int:post_id>/cloak", views.post_cloak, name="post"),
    path("posts/<int:post_id>/cloak/status", views.post_cloak_status_part, name="status"),
    path("posts/<int:post_id>/cloak/<int:item_id>/again", views.item_recloak, name="recloak"),
    path("settings/cloak/", views.cloak_settings, name="settings"),
    path("help/style-cloak/", views.cloak_help, name="help"),
]
