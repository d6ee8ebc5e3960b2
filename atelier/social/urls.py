from django.urls import path

from atelier.social import views

app_name = "social"

urlpatterns = [
    path("@<str:handle>/follow", views.follow, name="follow"),
    path("@<str:handle>/unfollow", views.unfollow, name="unfollow"),
    path("@<str:handle>/block", views.block, name="block"),
    path("@<str:handle>/unblock", views.unblock, name="unblock"),
    path("@<str:handle>/mute", views.mute, name="mute"),
    path("@<str:handle>/unmute", views.unmute, name="unmute"),
    path("posts/<int:post_id>/like", views.like, name="like"),
    path("posts/<int:post_id>/unlike", views.unlike, name="unlike"),
    path("posts/<int:post_id>/comments", views.comment_create, name="comment_create"),
    path("posts/<int:post_id>/comments/older", views.comments_older, name="comments_older"),
    path("comments/<int:comment_id>/delete", views.comment_delete, name="comment_delete"),
    path("comments/<int:comment_id>/replies", views.replies_more, name="replies_more"),
    path("settings/blocked-and-muted/", views.settings_blocks, name="settings"),
]
