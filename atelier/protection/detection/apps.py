from django.apps import AppConfig


class DetectionConfig(AppConfig):
    name = "atelier.protection.detection"
    label = "detection"
    verbose_name = "AI-image detection"
