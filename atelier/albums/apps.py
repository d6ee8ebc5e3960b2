from django.apps import AppConfig


class AlbumsConfig(AppConfig):
    name = "atelier.albums"
    label = "albums"

    def ready(self):
        from atelier.albums import bookmark_sets
        from atelier.core.cache_batch import read_on_signed_in_pages

        bookmark_sets.connect()
        read_on_signed_in_pages(bookmark_sets.bookmarks_key)  # the bookmark marks on feed and search cards
