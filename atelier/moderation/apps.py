from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "atelier.moderation"
    verbose_name = "Moderation"
