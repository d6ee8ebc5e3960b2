from django.urls import path

from atelier.feeds import views

app_name = "feeds"

urlpatterns = [
    path("feed/<str:feed>/", views.feed_view, name="feed"),
    path("tags/<str:tag>/", views.tag_view, name="tag"),
    path("categories/<str:category>/", views.category_view, name="category"),
    path("settings/feed/", views.feed_settings, name="settings"),
]
