from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "atelier.search"
    label = "search"
