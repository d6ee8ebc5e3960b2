"""The staff gate: the admin and the review queue open only to a session that passed a second factor.

Staff and moderators without one are sent to enrol; those with one but signed in by password alone
(for example through the admin's own login form) are asked for it. Other people and other pages
pass untouched, and the user is only loaded for the guarded paths.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from atelier.accounts.mfa import flow, selectors


class StaffSecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._paths: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    def _guarded(self, path: str) -> bool:
        if self._paths is None:  # resolved on the first request, once the URLconf is loaded
            self._paths = (
                (reverse("admin:index"), reverse("moderation:queue")),
                (reverse("admin:login"), reverse("admin:logout")),
            )
        guarded, open_paths = self._paths
        return path.startswith(guarded) and path not in open_paths

    def __call__(self, request):
        if self._guarded(request.path_info) and not flow.is_verified(request):
            user = request.user
            if selectors.requires_second_factor(user):
                query = urlencode({"next": request.get_full_path()})
                if selectors.has_second_factor(user):
                    return redirect(f"{reverse('mfa:challenge')}?{query}")
                messages.info(
                    request,
                    "Staff and moderators need a second factor before opening the admin or the review "
                    "queue. Add a passkey or an authenticator app.",
                )
                return redirect(f"{reverse('mfa:security')}?{query}")
        return self.get_response(request)
