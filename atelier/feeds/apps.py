from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "atelier.feeds"
    label = "feeds"
