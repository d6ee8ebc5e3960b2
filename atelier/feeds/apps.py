from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "atelier.feeds"
    label = "feeds"

    def ready(self):
        from atelier.feeds import invalidation

        invalidation.connect()
