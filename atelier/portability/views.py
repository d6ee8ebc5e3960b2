"""Portability pages: upload an archive, preview and start it, watch it run; request and download an
export; say where the account moved. Thin: every write is a service, every read a selector."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from atelier.core.ratelimit import RateLimited, rate_limited_response
from atelier.media.storages import originals_storage
from atelier.portability import selectors, services
from atelier.portability.forms import ArchiveUploadForm, MovedToForm, StartImportForm
from atelier.portability.models import ImportState, WorkState
from atelier.portability.previews import PREVIEW_THUMBNAILS, work_thumbnail


def _home(request, *, upload_form=None, moved_form=None, status=200):
    context = {
        "upload_form": upload_form or ArchiveUploadForm(),
        "moved_form": moved_form or MovedToForm(initial={"moved_to": selectors.moved_to(user=request.user)}),
        "imports": selectors.imports_for(owner=request.user),
        "exports": selectors.exports_for(owner=request.user),
    }
    return render(request, "portability/home.html", context, status=status)


@login_required
@require_GET
def home(request):
    return _home(request)


@login_required
@require_POST
def import_upload(request):
    form = ArchiveUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _home(request, upload_form=form, status=400)
    try:
        run = services.archive_import_create(
            owner=request.user, upload=form.cleaned_data["archive"], source=form.cleaned_data["source"]
        )
    except RateLimited as error:
        return rate_limited_response(error)
    except ValidationError as error:
        form.add_error("archive", error)
        return _home(request, upload_form=form, status=400)
    return redirect("portability:import", import_id=run.pk)


def _run_or_404(request, import_id):
    run = selectors.import_for_owner(import_id=import_id, user=request.user)
    if run is None:
        raise Http404("No such import.")
    return run


@login_required
@require_GET
def import_page(request, import_id: int):
    run = _run_or_404(request, import_id)
    if run.state == ImportState.SCANNED:
        context = {
            "run": run,
            "counts": selectors.preview_counts(run=run),
            "totals": selectors.kind_totals(run=run),
            "works": selectors.preview_works(run=run),
            "thumbnails": PREVIEW_THUMBNAILS,
            "form": StartImportForm(),
            "pending": WorkState.PENDING,
        }
        return render(request, "portability/preview.html", context)
    return render(request, "portability/progress.html", _progress_context(run))


def _progress_context(run) -> dict:
    return {"run": run, "results": selectors.work_results(run=run) if run.state != ImportState.IMPORTING else []}


@login_required
@require_GET
def import_progress(request, import_id: int):
    """The progress fragment htmx polls; the page itself renders the same fragment on reload."""
    run = _run_or_404(request, import_id)
    return render(request, "portability/includes/progress.html", _progress_context(run))


@login_required
@require_GET
def import_thumbnail(request, import_id: int, work_id: int):
    run = _run_or_404(request, import_id)
    data = work_thumbnail(import_id=run.pk, work_id=work_id)
    if data is None:
        raise Http404("No thumbnail.")
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _unticked(request, run) -> set[int]:
    """The works the artist unticked. The page's script sends them as one list; without it, the
    ticked boxes are sent and everything pending that is not among them was unticked."""

    def ids(values):
        return {int(value) for value in values if value.strip().isdigit()}

    if "unticked" in request.POST:
        return ids(request.POST["unticked"].split(","))
    ticked = ids(request.POST.getlist("work"))
    return set(run.works.filter(state=WorkState.PENDING).exclude(pk__in=ticked).values_list("pk", flat=True))


@login_required
@require_POST
def import_start(request, import_id: int):
    run = _run_or_404(request, import_id)
    form = StartImportForm(request.POST)
    form.is_valid()
    kinds = {
        kind
        for kind, field in (("story", "include_stories"), ("reel", "include_reels"))
        if form.cleaned_data.get(field)
    }
    try:
        services.archive_import_start(
            run=run,
            user=request.user,
            unticked=_unticked(request, run),
            kinds=kinds,
            include_location=form.cleaned_data.get("include_location", False),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("portability:import", import_id=run.pk)


@login_required
@require_POST
def import_discard(request, import_id: int):
    run = _run_or_404(request, import_id)
    try:
        services.archive_import_discard(run=run, user=request.user)
        messages.success(request, "The archive was discarded.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("portability:home")


@login_required
@require_POST
def export_request(request):
    try:
        services.archive_export_request(owner=request.user)
        messages.success(request, "Your export is being prepared. We will email you a link when it is ready.")
    except RateLimited as error:
        return rate_limited_response(error)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("portability:home")


@login_required
@require_GET
def export_download(request, export_id: int):
    """Only the owner, signed in, with a link signed for this export that has not expired."""
    export = selectors.export_for_download(export_id=export_id, user=request.user, signature=request.GET.get("sig", ""))
    if export is None:
        raise Http404("This export link is not valid or has expired.")
    filename = f"atelier-{request.user.handle}-{export.created_at:%Y-%m-%d}.zip"
    response = FileResponse(originals_storage().open(export.file_name, "rb"), as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def moved_to(request):
    form = MovedToForm(request.POST)
    if form.is_valid():
        try:
            services.profile_move_set(user=request.user, url=form.cleaned_data["moved_to"])
            messages.success(request, "Saved.")
            return redirect("portability:home")
        except ValidationError as error:
            form.add_error("moved_to", error)
    return _home(request, moved_form=form, status=400)
