"""Fingerprint the images and animations uploaded before art-theft detection was installed, so new
uploads are compared with them too, and those hashed before their verification corners were kept
(an empty `Thumbnail.corners`: their keypoint matches cannot be verified) or before the corners left
out as repeated were (a NULL `Thumbnail.repeated`: a crop of their chart or page cannot be fitted),
or before the window of their TRIMMED_WHOLE hash was (a NULL `Thumbnail.trimmed_left`: a PDQ match
with that hash is taken unchecked), or whose TRIMMED_WHOLE hash is of a sliver under
fingerprints.MIN_TRIMMED_SHARE of the picture (one bar of a chart, hashed before that floor).
Safe to run again: items that have all of them are skipped."""

from django.core.management.base import BaseCommand
from django.db.models import F, IntegerField, Q
from django.db.models.functions import Cast

from atelier.media.models import MediaItem, MediaKind
from atelier.protection.theft import fingerprints
from atelier.protection.theft.models import Fingerprint, Thumbnail
from atelier.protection.theft.services import item_fingerprint


class Command(BaseCommand):
    help = "Fingerprint existing images and animations for art-theft detection."

    def handle(self, *args, **options):
        done = Fingerprint.objects.values("item_id")
        trimmed_hashed = Fingerprint.objects.filter(window=fingerprints.TRIMMED_WHOLE).values("item_id")
        # Cast: PostgreSQL multiplies two smallints as a smallint, and 512 × 512 overflows it.
        trimmed_area = Cast(F("trimmed_right") - F("trimmed_left"), IntegerField()) * (
            F("trimmed_bottom") - F("trimmed_top")
        )
        without_corners = (
            Thumbnail.objects.alias(trimmed_area=trimmed_area)
            .filter(
                Q(corners=b"")
                | Q(repeated__isnull=True)
                | Q(trimmed_left__isnull=True, item_id__in=trimmed_hashed)
                | Q(trimmed_area__lt=fingerprints.MIN_TRIMMED_SHARE * F("width") * F("height"))
            )
            .values("item_id")
        )
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
