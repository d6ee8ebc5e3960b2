from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "atelier.media"
    label = "media"

    def ready(self):
        from atelier.media import image_formats

        image_formats.register_extra_openers()
        # Our own checks enforce each upload's pixel limit with a clear message; Pillow's global
        # bomb guard (about 89 MP by default) must not refuse what those limits allow.
        from django.conf import settings
        from PIL import Image

        Image.MAX_IMAGE_PIXELS = max(settings.POST_IMAGE_MAX_PIXELS, settings.PROFILE_IMAGE_MAX_PIXELS)
