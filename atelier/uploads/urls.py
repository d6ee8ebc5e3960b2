from django.urls import path

from atelier.uploads import views

app_name = "uploads"

urlpatterns = [
    # tus: POST here creates an upload; the Location it returns is the upload's own URL below.
    path("", views.upload_collection, name="collection"),
    path("<uuid:upload_id>", views.upload_detail, name="detail"),
]
