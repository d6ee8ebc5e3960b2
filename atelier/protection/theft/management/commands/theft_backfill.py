"""Fingerprint the images and animations uploaded before art-theft detection was installed, so new
uploads are compared with them too, and those hashed before their verification corners were kept
(an empty `Thumbnail.corners`: their keypoint matches cannot be verified) or before the corners left
out as repeated were (a NULL `Thumbnail.repeated`: a crop of their chart or page cannot be fitted),
or before the window of their TRIMMED_WHOLE hash was (a NULL `Thumbnail.trimmed_left`: a PDQ match
with that hash is taken unchecked).
Safe to run again: items that have all of them are skipped."""

from django.core.management.base import BaseCommand
from django.db.models import Q

from atelier.media.models import MediaItem, MediaKind
from atelier.protection.theft import fingerprints
from atelier.protection.theft.models import Fingerprint, Thumbnail
from atelier.protection.theft.services import item_fingerprint


class Command(BaseCommand):
    help = "Fingerprint existing images and animations for art-theft detection."

    def handle(self, *args, **options):
        done = Fingerprint.objects.values("item_id")
        trimmed_hashed = Fingerprint.objects.filter(window=fingerprints.TRIMMED_WHOLE).values("item_id")
        without_corners = Thumbnail.objects.filter(
            Q(corners=b"") | Q(repeated__isnull=True) | Q(trimmed_left__isnull=True, item_id__in=trimmed_hashed)
        ).values("item_id")
        pending = (
            MediaItem.objects.filter(kind__in=[MediaKind.IMAGE, MediaKind.ANIMATION])
            .exclude(pk__in=done.exclude(item_id__in=without_corners))
            .values_list("pk", flat=True)
        )
        hashed = items = 0
        for item_id in pending.iterator():
            try:
                stored = item_fingerprint(item_id=item_id)
            except OSError as error:  # an original missing from storage: say so, go on
                self.stderr.write(f"item {item_id}: {error}")
                continue
            items += 1
            hashed += stored
        self.stdout.write(f"{items} items fingerprinted, {hashed} hashes stored")
