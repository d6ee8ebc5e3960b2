from django.apps import AppConfig


class AlbumsConfig(AppConfig):
    name = "atelier.albums"
    label = "albums"

    def ready(self):
        from atelier.albums import bookmark_sets

        bookmark_sets.connect()
