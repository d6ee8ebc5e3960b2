from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "atelier.social"
    label = "social"

    def ready(self):
        from atelier.social import relation_sets

        relation_sets.connect()
