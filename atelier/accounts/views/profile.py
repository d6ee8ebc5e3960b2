from django.shortcuts import render

from atelier.accounts.selectors import profile_for_page, profiles_recent


def profile_page(request, handle: str):
    """The public portfolio at /@handle."""
    from atelier.posts.selectors import posts_for_profile

    profile = profile_for_page(handle=handle)
    posts = posts_for_profile(author=profile.user, viewer=request.user)
    return render(
        request, "accounts/profile.html", {"profile": profile, "owner": request.user == profile.user, "posts": posts}
    )


def home(request):
    return render(request, "home.html", {"profiles": profiles_recent(limit=24)})
