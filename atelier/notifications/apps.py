from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "atelier.notifications"
    label = "notifications"

    def ready(self):
        from atelier.notifications.subscribers import connect

        connect()  # mentions in a post are told when it becomes public (posts.events)
