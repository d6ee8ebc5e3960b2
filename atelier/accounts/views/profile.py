from django.shortcuts import render

from atelier.accounts.selectors import profile_for_page, profiles_recent


def profile_page(request, handle: str):
    """The public portfolio at /@handle."""
    profile = profile_for_page(handle=handle)
    return render(request, "accounts/profile.html", {"profile": profile, "owner": request.user == profile.user})


def home(request):
    return render(request, "home.html", {"profiles": profiles_recent(limit=24)})
