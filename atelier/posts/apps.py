from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "atelier.posts"
    label = "posts"

    def ready(self):
        from atelier.posts import files

        files.connect()  # renditions follow the post's visibility (posts.events)
