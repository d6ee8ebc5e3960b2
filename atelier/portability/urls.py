from django.urls import path

from atelier.portability import views

app_name = "portability"

urlpatterns = [
    path("settings/portability/", views.home, name="home"),
    path("settings/portability/import", views.import_upload, name="import_upload"),
    path("settings/portability/imports/<int:import_id>/", views.import_page, name="import"),
    path("settings/portability/imports/<int:import_id>/progress", views.import_progress, name="import_progress"),
    path("settings/portability/imports/<int:import_id>/start", views.import_start, name="import_start"),
    path("settings/portability/imports/<int:import_id>/discard", views.import_discard, name="import_discard"),
    path(
        "settings/portability/imports/<int:import_id>/works/<int:work_id>/thumbnail",
        views.import_thumbnail,
        name="import_thumbnail",
    ),
    path("settings/portability/export", views.export_request, name="export_request"),
    path("settings/portability/exports/<int:export_id>/download", views.export_download, name="export_download"),
    path("settings/portability/moved", views.moved_to, name="moved_to"),
]
