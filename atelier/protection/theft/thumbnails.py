"""The `Thumbnail` rows a lookup compares an upload through (verify.py, appearance.py), read in one
statement as plain tuples: index.py asks for the works its keypoints shortlisted, pdq_confirm.py for
those PDQ found."""

from django.db import connection

from atelier.protection.theft.models import Thumbnail

ITEM, WIDTH, HEIGHT, PIXELS, CORNERS, REPEATED, TRIMMED = range(7)  # TRIMMED: left, top, right, bottom from there
_COLUMNS = "item_id, width, height, pixels, corners, repeated, trimmed_left, trimmed_top, trimmed_right, trimmed_bottom"


def thumbnails_of(item_ids) -> dict[int, tuple]:
    """item_id → its row (the columns above, in that order), for the items that have a thumbnail."""
    return {row[ITEM]: row for row in _rows(_COLUMNS, item_ids)}


def _rows(columns: str, item_ids) -> list[tuple]:
    """`columns` (our own names) of the thumbnails of `item_ids`, one statement."""
    if not item_ids:
        return []
    wanted = sorted(item_ids)
    placeholders = ", ".join(["%s"] * len(wanted))
    sql = f"SELECT {columns} FROM {Thumbnail._meta.db_table} WHERE item_id IN ({placeholders})"  # noqa: S608 (numbers are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, wanted)
        return cursor.fetchall()
