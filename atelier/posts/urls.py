from django.urls import path

from atelier.posts.views import composer, pages

app_name = "posts"

urlpatterns = [
    path("posts/new", composer.post_new, name="new"),
    path("posts/<int:post_id>/", pages.post_detail, name="detail"),
    path("posts/<int:post_id>/status", pages.visibility_status, name="visibility_status"),
    path("posts/<int:post_id>/files/<path:name>", pages.withheld_file, name="withheld_file"),
    path("posts/<int:post_id>/edit", composer.post_edit, name="edit"),
    path("posts/<int:post_id>/delete", composer.post_delete, name="delete"),
    path("posts/<int:post_id>/unpublish", composer.post_unpublish, name="unpublish"),
    path("posts/<int:post_id>/crop", composer.post_crop, name="crop"),
    path("posts/<int:post_id>/media/", composer.media_add, name="media_add"),
    path("posts/<int:post_id>/media/status", composer.media_status, name="media_status"),
    path("posts/<int:post_id>/media/order", composer.media_reorder, name="media_reorder"),
    path("posts/<int:post_id>/media/<int:item_id>/remove", composer.media_remove, name="media_remove"),
    path("posts/<int:post_id>/media/<int:item_id>/retry", composer.media_retry, name="media_retry"),
    path("posts/<int:post_id>/media/<int:item_id>/alt", composer.media_alt_text, name="media_alt"),
    path("posts/<int:post_id>/media/<int:item_id>/move/<str:direction>", composer.media_move, name="media_move"),
]
