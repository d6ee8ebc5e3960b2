"""Thin views of art-theft detection: the original artist's answers and the image search."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from atelier.core.ratelimit import RateLimit, RateLimited, rate_limited_response
from atelier.protection.theft import selectors, services
from atelier.protection.theft.forms import ImageSearchForm, MatchAnswerForm


@login_required
def reposts(request):
    """The artist's page: uploads held because they look like one of their public works."""
    return render(request, "theft/reposts.html", {"matches": selectors.matches_for_artist(artist=request.user)})


@login_required
@require_POST
def match_answer(request, match_id: int):
    form = MatchAnswerForm(request.POST)
    if form.is_valid():
        try:
            services.match_answer(match_id=match_id, artist=request.user, mine=form.cleaned_data["answer"] == "mine")
        except (ValidationError, services.RepostMatch.DoesNotExist):
            messages.error(request, "Only the artist of the original work can answer.")
        else:
            messages.success(request, "Thank you: the moderators see your answer beside the case.")
    return redirect("theft:reposts")


@login_required
def image_search(request):
    """ "Is my work posted here?": signed-in only, a few searches an hour, public posts only."""
    form, results = ImageSearchForm(), None
    if request.method == "POST":
        decision = RateLimit("image-search", settings.IMAGE_SEARCHES_PER_HOUR, 3600).check(str(request.user.pk))
        if not decision.allowed:
            return rate_limited_response(RateLimited("Too many image searches: try again later.", decision.retry_after))
        form = ImageSearchForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["image"]
            picture = None if upload.size > settings.POST_IMAGE_MAX_BYTES else services.open_picture(upload)
            if picture is None:
                form.add_error("image", "This file could not be read as an image.")
            else:
                results = selectors.search_by_image(viewer=request.user, image=picture)
    return render(request, "theft/search.html", {"form": form, "results": results})
