from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "atelier.notifications"
    label = "notifications"
