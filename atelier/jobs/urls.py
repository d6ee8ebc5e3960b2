from django.urls import path

from atelier.jobs import views
from atelier.jobs.atom import JobsAtomFeed

app_name = "jobs"

urlpatterns = [
    path("jobs/", views.job_list, name="list"),
    path("jobs/feed.atom", JobsAtomFeed(), name="atom"),
    path("jobs/new", views.job_new, name="new"),
    path("jobs/mine", views.studio_job_list, name="mine"),
    path("jobs/applications", views.my_applications, name="my_applications"),
    path("jobs/saved-searches", views.saved_searches, name="saved_searches"),
    path("jobs/saved-searches/<int:search_id>/delete", views.saved_search_delete, name="saved_search_delete"),
    path("jobs/<int:job_id>/", views.job_detail, name="detail"),
    path("jobs/<int:job_id>/edit", views.job_edit, name="edit"),
    path("jobs/<int:job_id>/renew", views.job_renew, name="renew"),
    path("jobs/<int:job_id>/close", views.job_close, name="close"),
    path("jobs/<int:job_id>/report", views.job_report, name="report"),
    path("jobs/<int:job_id>/apply", views.job_apply, name="apply"),
    path("jobs/<int:job_id>/applicants", views.applicant_inbox, name="applicants"),
    path(
        "jobs/<int:job_id>/applicants/<int:application_id>/status",
        views.application_status,
        name="application_status",
    ),
]
