from django.apps import AppConfig


class CloakConfig(AppConfig):
    name = "atelier.protection.cloak"
    label = "cloak"
    verbose_name = "Style cloak"

    def ready(self):
        from atelier.media.processing import still_image_ready
        from atelier.protection.cloak.services import cloak_when_ready

        # The pipeline announces each still image it made ready; the cloak decides whether to cloak it.
        still_image_ready.connect(cloak_when_ready, dispatch_uid="cloak.still_image_ready")
