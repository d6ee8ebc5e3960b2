from django.apps import AppConfig


class DetectionConfig(AppConfig):
    name = "atelier.protection.detection"
    label = "detection"
    verbose_name = "AI-image detection"

    def ready(self):
        from atelier.protection.detection import subscribers

        subscribers.connect()  # every stored original is checked (posts.events.item_needs_check)
