from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "atelier.posts"
    label = "posts"

    def ready(self):
        from atelier.posts import files, subscribers

        files.connect()  # renditions follow the post's visibility (posts.events)
        subscribers.connect()  # a deleted account's posts' files go too (accounts.events)
