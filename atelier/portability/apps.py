from django.apps import AppConfig


class PortabilityConfig(AppConfig):
    """Archive import (Instagram, X, another Atelier), full export, and "moved to" on a profile."""

    name = "atelier.portability"
    default_auto_field = "django.db.models.BigAutoField"
