"""Avatars and banners: keeping the private original, and rebuilding public renditions from it.

The request only validates and stores the original (or a new crop); the resizing happens in the
worker (`tasks.render_profile_image`), which calls `profile_image_render` below.
"""

import logging
import secrets

from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image

from atelier.accounts.models import Profile, ProfileImage, ProfileImageKind, ProfileImageState
from atelier.media.crops import CropBox, centred_crop
from atelier.media.decoding import DECODER_ERRORS
from atelier.media.rendering import encode_webp, fit_within, open_oriented, render_crop
from atelier.media.stills import dominant_colour
from atelier.media.storages import delete_stored_files, originals_storage, public_storage
from atelier.media.validation import ImageFacts

logger = logging.getLogger(__name__)

# Aspect ratio (width / height) and the rendition sizes served in srcset.
PROFILE_IMAGE_SPECS = {
    ProfileImageKind.AVATAR: {"aspect": 1.0, "sizes": [(128, 128), (256, 256), (512, 512)]},
    ProfileImageKind.BANNER: {"aspect": 3.0, "sizes": [(800, 267), (1600, 533), (2400, 800)]},
}
# The full-frame preview the owner crops on; private like the original.
EDITOR_LONG_SIDE = 1600
_SWAPPING_ORIENTATIONS = {5, 6, 7, 8}


def oriented_size(upload, facts: ImageFacts) -> tuple[int, int]:
    """Width and height as displayed, after the EXIF orientation is applied (read from the header)."""
    upload.seek(0)
    try:
        orientation = Image.open(upload).getexif().get(0x0112)
    except DECODER_ERRORS:
        orientation = None
    upload.seek(0)
    if orientation in _SWAPPING_ORIENTATIONS:
        return facts.height, facts.width
    return facts.width, facts.height


@transaction.atomic
def profile_image_replace(
    *, profile: Profile, kind: str, upload, facts: ImageFacts, crop: CropBox | None
) -> ProfileImage:
    """Store a new validated original with its crop (centred by default) and queue its renditions."""
    width, height = oriented_size(upload, facts)
    crop = crop or centred_crop(width, height, PROFILE_IMAGE_SPECS[kind]["aspect"])
    upload.seek(0)
    name = originals_storage().save(f"profiles/{profile.pk}/{kind}/{secrets.token_hex(8)}", ContentFile(upload.read()))
    image = ProfileImage.objects.select_for_update().filter(profile=profile, kind=kind).first()
    # The old renditions stay public until the new ones replace them; the old original goes now.
    old_original = [image.original_name] if image else []
    if image is None:
        image = ProfileImage(profile=profile, kind=kind, version=0)
    image.original_name = name
    image.original_format = facts.format
    image.original_width, image.original_height = width, height
    image.crop = crop.as_dict()
    image.version += 1
    image.state = ProfileImageState.PENDING
    image.save()
    _queue_render(image)
    transaction.on_commit(lambda: delete_stored_files([], old_original))
    return image


@transaction.atomic
def profile_image_recrop(*, image: ProfileImage, crop: CropBox) -> ProfileImage:
    """A new crop of the same original; renditions are rebuilt, nothing is re-uploaded."""
    image.crop = crop.as_dict()
    image.version += 1
    image.state = ProfileImageState.PENDING
    image.save(update_fields=["crop", "version", "state", "updated_at"])
    _queue_render(image)
    return image


def profile_image_remove(*, image: ProfileImage) -> None:
    files = profile_image_files(image)
    with transaction.atomic():
        image.delete()
        transaction.on_commit(lambda: delete_stored_files(*files))


def profile_image_render(*, image_id: int, version: int) -> bool:
    """Build the renditions for one version of an image. Returns False when it was stale or gone.

    Called by the worker. A render for an older version is dropped, and if a newer version
    arrived while this one ran, this one's files are removed instead of published.
    """
    image = ProfileImage.objects.filter(pk=image_id).first()
    if image is None or image.version != version:
        return False
    if image.state == ProfileImageState.READY:
        return False  # this version is built already (a task delivered twice, or seeding did it)
    try:
        return _render(image, version)
    except Exception:
        # Whatever broke (a damaged original, the encoder, storage), the image must not stay
        # "pending" forever: mark it failed, keep the original, and leave the details in the log.
        logger.exception("Could not render %s image %s version %s", image.kind, image_id, version)
        ProfileImage.objects.filter(pk=image_id, version=version).update(state=ProfileImageState.FAILED)
        return False


def _render(image: ProfileImage, version: int) -> bool:
    image_id = image.pk
    spec = PROFILE_IMAGE_SPECS[image.kind]
    crop = CropBox.from_values(**image.crop)
    with originals_storage().open(image.original_name, "rb") as original:
        picture = open_oriented(original)

    stem = f"profiles/{image.profile_id}/{image.kind}/{secrets.token_hex(8)}"
    editor_name = originals_storage().save(
        f"{stem}-editor.webp", ContentFile(encode_webp(fit_within(picture, EDITOR_LONG_SIDE)))
    )
    sizes = {}
    largest = None
    for box in spec["sizes"]:
        rendered = render_crop(picture, crop, box)
        if largest is not None and rendered.width <= largest.width:
            continue  # never upscale: a small crop gets fewer sizes
        largest = rendered
        sizes[str(rendered.width)] = public_storage().save(
            f"{stem}-{rendered.width}.webp", ContentFile(encode_webp(rendered))
        )
    renditions = {
        "editor": editor_name,
        "sizes": sizes,
        "width": largest.width,
        "height": largest.height,
        "color": dominant_colour(largest),
    }
    old_files = _rendition_files(image)
    updated = ProfileImage.objects.filter(pk=image_id, version=version).update(
        renditions=renditions, state=ProfileImageState.READY
    )
    if updated:
        delete_stored_files(*old_files)
        return True
    delete_stored_files(list(sizes.values()), [editor_name])
    return False


def _queue_render(image: ProfileImage) -> None:
    from atelier.accounts.tasks import render_profile_image

    image_id, version = image.pk, image.version
    transaction.on_commit(lambda: render_profile_image.delay(image_id, version))


def _rendition_files(image: ProfileImage) -> tuple[list[str], list[str]]:
    """(public names, private names) of the renditions built from the original."""
    editor = image.renditions.get("editor")
    return list(image.renditions.get("sizes", {}).values()), [editor] if editor else []


def profile_image_files(image: ProfileImage) -> tuple[list[str], list[str]]:
    """(public names, private names) of every stored file behind an image, original included."""
    public, private = _rendition_files(image)
    return public, [image.original_name, *private] if image.original_name else private
