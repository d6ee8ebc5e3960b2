from django.apps import AppConfig


class AlbumsConfig(AppConfig):
    name = "atelier.albums"
    label = "albums"
