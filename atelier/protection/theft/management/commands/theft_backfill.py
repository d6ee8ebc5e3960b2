"""Fingerprint the images and animations uploaded before art-theft detection was installed, so new
uploads are compared with them too. Safe to run again: items that have fingerprints are skipped."""

from django.core.management.base import BaseCommand

from atelier.media.models import MediaItem, MediaKind
from atelier.protection.theft.models import Fingerprint
from atelier.protection.theft.services import item_fingerprint


class Command(BaseCommand):
    help = "Fingerprint existing images and animations for art-theft detection."

    def handle(self, *args, **options):
        done = Fingerprint.objects.values("item_id")
        pending = (
            MediaItem.objects.filter(kind__in=[MediaKind.IMAGE, MediaKind.ANIMATION])
            .exclude(pk__in=done)
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
