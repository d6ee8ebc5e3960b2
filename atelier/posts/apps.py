from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "atelier.posts"
    label = "posts"
