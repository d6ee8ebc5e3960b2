from celery import shared_task

from atelier.accounts.profile_images import profile_image_render


@shared_task(acks_late=True)
def render_profile_image(image_id: int, version: int) -> bool:
    """Rebuild an avatar's or banner's public renditions (queue: media)."""
    return profile_image_render(image_id=image_id, version=version)
