"""Reads for the portability pages: a person's imports and exports, a preview's counts, a download."""

from django.db.models import Count
from django.db.models.functions import ExtractYear

from atelier.portability.exporting import signature_matches
from atelier.portability.models import ArchiveExport, ArchiveImport, FoundWorkRow, ProfileMove, WorkState


def imports_for(*, owner, limit: int = 10) -> list[ArchiveImport]:
    return list(ArchiveImport.objects.filter(owner=owner).exclude(state="discarded")[:limit])


def exports_for(*, owner, limit: int = 5) -> list[ArchiveExport]:
    return list(ArchiveExport.objects.filter(owner=owner)[:limit])


def import_for_owner(*, import_id: int, user) -> ArchiveImport | None:
    """The import, only for its owner: someone else's id reads as not found."""
    return ArchiveImport.objects.filter(pk=import_id, owner_id=getattr(user, "pk", None)).first()


def preview_counts(*, run: ArchiveImport) -> list[dict]:
    """Per year (newest first): how many of each kind the archive holds, for the preview's table."""
    rows = (
        run.works.annotate(year=ExtractYear("taken_at"))
        .values("year", "kind")
        .annotate(n=Count("pk"))
        .order_by("-year", "kind")
    )
    years: dict = {}
    for row in rows:
        kinds = years.setdefault(row["year"], dict.fromkeys(("photo", "carousel", "video", "story", "reel"), 0))
        kinds["photo" if row["kind"] == "post" else row["kind"]] += row["n"]
    return [{"year": year, "kinds": kinds, "total": sum(kinds.values())} for year, kinds in years.items()]


def kind_totals(*, run: ArchiveImport) -> dict[str, int]:
    return dict(run.works.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))


def preview_works(*, run: ArchiveImport) -> list[FoundWorkRow]:
    return list(
        run.works.only("pk", "position", "kind", "taken_at", "caption", "files", "state", "message", "selected")
    )


def work_results(*, run: ArchiveImport, limit: int = 200) -> list[FoundWorkRow]:
    """What did not go smoothly (failed, skipped, or imported with a note), for the finished page."""
    return list(
        run.works.exclude(state=WorkState.IMPORTED, message="").exclude(state=WorkState.SKIPPED, message="Not chosen.")[
            :limit
        ]
    )


def export_for_download(*, export_id: int, user, signature: str) -> ArchiveExport | None:
    """The export behind a download link: signed for this export and owner, not expired, owner signed in."""
    export = ArchiveExport.objects.filter(pk=export_id, owner_id=getattr(user, "pk", None)).first()
    if export is None or not export.is_downloadable() or not export.file_name:
        return None
    return export if signature_matches(export, signature) else None


def moved_to(*, user) -> str:
    move = ProfileMove.objects.filter(user=user).only("moved_to").first()
    return move.moved_to if move else ""
