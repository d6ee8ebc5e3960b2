from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "atelier.uploads"
    label = "uploads"
