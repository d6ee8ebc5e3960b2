from django.urls import path

from atelier.albums import views

app_name = "albums"

urlpatterns = [
    path("bookmarks/", views.bookmarks_page, name="bookmarks"),
    path("posts/<int:post_id>/bookmark", views.bookmark_add, name="bookmark_add"),
    path("posts/<int:post_id>/bookmark/remove", views.bookmark_remove, name="bookmark_remove"),
    path("posts/<int:post_id>/add-to-album", views.add_to_album, name="add_to_album"),
    path("albums/new", views.album_new, name="new"),
    path("albums/<int:album_id>/edit", views.album_edit, name="edit"),
    path("albums/<int:album_id>/delete", views.album_delete, name="delete"),
    path("albums/<int:album_id>/order", views.album_reorder, name="reorder"),
    path("albums/<int:album_id>/cover", views.album_cover, name="cover"),
    path("albums/<int:album_id>/posts/<int:post_id>/remove", views.item_remove, name="item_remove"),
    path("albums/<int:album_id>/posts/<int:post_id>/move/<str:direction>", views.item_move, name="item_move"),
    path("@<str:handle>/albums/", views.albums_list, name="list"),
    path("@<str:handle>/albums/<int:album_id>/", views.album_detail, name="detail"),
]
