from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "atelier.feeds"
    label = "feeds"

    def ready(self):
        from atelier.core.cache_batch import read_on_signed_in_pages
        from atelier.feeds import invalidation
        from atelier.feeds.feed_cache import preferences_key

        invalidation.connect()
        read_on_signed_in_pages(preferences_key)  # the home page, every feed and search
