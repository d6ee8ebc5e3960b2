from django.shortcuts import render

from atelier.accounts.selectors import profile_for_page


def profile_page(request, handle: str):
    """The public portfolio at /@handle."""
    from atelier.posts.selectors import posts_for_profile
    from atelier.social.selectors import profile_social

    profile = profile_for_page(handle=handle)
    # Someone the owner blocked still sees the page (a 404 would differ from a deleted account only
    # by chance), but no posts (visible_to hides them) and no follow button.
    posts = posts_for_profile(author=profile.user, viewer=request.user)
    context = {
        "profile": profile,
        "owner": request.user == profile.user,
        "posts": posts,
        "social": profile_social(user=profile.user, viewer=request.user),
    }
    return render(request, "accounts/profile.html", context)
