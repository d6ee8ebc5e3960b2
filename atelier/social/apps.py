from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "atelier.social"
    label = "social"
