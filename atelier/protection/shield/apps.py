from django.apps import AppConfig


class ShieldConfig(AppConfig):
    name = "atelier.protection.shield"
    label = "shield"
    verbose_name = "Do-not-train signals and anti-scraping"

    def ready(self):
        from atelier.protection.shield import crawlers, edge

        crawlers.connect()
        edge.connect()
