from django.apps import AppConfig


class TheftConfig(AppConfig):
    name = "atelier.protection.theft"
    label = "theft"
    verbose_name = "Art-theft detection"

    def ready(self):
        from atelier.protection.theft.subscribers import connect

        connect()  # a work's hashes are matchable only while its post is public (posts.events)
