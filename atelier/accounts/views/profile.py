from django.shortcuts import render

from atelier.accounts.selectors import profile_for_page


def profile_page(request, handle: str):
    """The public portfolio at /@handle.

    Accounts owns the person; the portfolio grid is posts' (`{% portfolio_of %}`), the follow
    counts and buttons social's (`{% social_of %}`), the cards' bookmarks albums': the template
    composes them with those apps' tags, since accounts sits below all three and imports none.
    Someone the owner blocked still sees the page (a 404 would differ from a deleted account only by
    chance), but no posts (visible_to hides them) and no follow button."""
    profile = profile_for_page(handle=handle)
    context = {"profile": profile, "owner": request.user == profile.user}
    return render(request, "accounts/profile.html", context)
