from django.apps import AppConfig


class CloakConfig(AppConfig):
    name = "atelier.protection.cloak"
    label = "cloak"
    verbose_name = "Style cloak"
