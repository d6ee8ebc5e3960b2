from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "atelier.feeds"
    label = "feeds"

    def ready(self):
        from atelier.core.cache_batch import read_on_signed_in_pages, read_with_the_account_count
        from atelier.feeds import invalidation, timelines
        from atelier.feeds.feed_cache import preferences_key

        invalidation.connect()
        read_on_signed_in_pages(preferences_key)  # the home page, every feed and search
        read_with_the_account_count(timelines.first_page_commands)  # Following and Home, first pages
