from django.urls import path

from atelier.protection.theft import views

app_name = "theft"

urlpatterns = [
    path("reposts/", views.reposts, name="reposts"),
    path("reposts/<int:match_id>/answer", views.match_answer, name="answer"),
    path("search/by-image/", views.image_search, name="image_search"),
]
