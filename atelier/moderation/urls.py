from django.urls import path

from atelier.moderation import views

app_name = "moderation"

urlpatterns = [
    path("moderation/", views.review_queue, name="queue"),
    path("moderation/cases/<int:case_id>/", views.review_case, name="case"),
    path("moderation/proofs/<int:file_id>", views.proof_file, name="proof_file"),
    path("posts/<int:post_id>/report-ai", views.report_ai, name="report_ai"),
    path("posts/<int:post_id>/appeal", views.appeal, name="appeal"),
]
