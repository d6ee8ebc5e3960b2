from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "atelier.media"
    label = "media"

    def ready(self):
        from atelier.media import image_formats

        image_formats.register_extra_openers()
