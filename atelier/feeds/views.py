"""Feed pages. Each answers htmx's "load more" with the next cards only, and plain browsers with the
whole page, so the Load more link works without JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from atelier.accounts.selectors import profiles_recent
from atelier.albums.selectors import mark_bookmarked
from atelier.core.cursors import InvalidCursor
from atelier.feeds import selectors
from atelier.feeds.forms import FeedPreferencesForm
from atelier.feeds.models import FeedChoice, FeedPreferences
from atelier.feeds.viewer import viewer_sets
from atelier.posts.models import Category, Post, Tag

FEEDS = {
    FeedChoice.HOME: selectors.home_feed,
    FeedChoice.FOLLOWING: selectors.following_feed,
    FeedChoice.DISCOVER: selectors.discover_feed,
}
TITLES = {FeedChoice.HOME: "Home", FeedChoice.FOLLOWING: "Following", FeedChoice.DISCOVER: "Discover"}


def _render_feed(request, *, title: str, load, feed: str, sets=None):
    # The person's follows, hidden people, bookmarks and feed settings: one cache round trip, read
    # here and handed to the feed and the bookmark marks.
    sets = sets or viewer_sets(request.user)
    try:
        page = load(request.GET.get("cursor"), sets)
        mark_bookmarked(page.posts, request.user, sets.bookmarked)
    except InvalidCursor as error:
        return render(request, "feeds/feed.html", {"title": title, "feed": feed, "error": str(error)}, status=400)
    context = {"title": title, "feed": feed, "page": page, "more_url": request.path}
    if request.htmx and request.GET.get("cursor"):
        return render(request, "feeds/includes/feed_page.html", context)
    return render(request, "feeds/feed.html", context)


def feed_view(request, feed: str, sets=None):
    if feed not in FEEDS:
        raise Http404("No such feed.")
    if feed != FeedChoice.DISCOVER and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return _render_feed(
        request,
        title=TITLES[feed],
        load=lambda cursor, sets: FEEDS[feed](request.user, cursor, sets=sets),
        feed=str(feed),
        sets=sets,
    )


def tag_view(request, tag: str):
    if not Tag.objects.filter(name=tag).exists():
        raise Http404("No posts have this tag.")
    return _render_feed(
        request,
        title=f"#{tag}",
        load=lambda cursor, sets: selectors.tag_feed(request.user, tag, cursor, sets=sets),
        feed=f"tag-{tag}",
    )


def category_view(request, category: str):
    if category not in Category.values:
        raise Http404("No such category.")
    label = Category(category).label
    return _render_feed(
        request,
        title=label,
        load=lambda cursor, sets: selectors.category_feed(request.user, category, cursor, sets=sets),
        feed=f"category-{category}",
    )


@login_required
def feed_settings(request):
    preferences = FeedPreferences.objects.filter(user=request.user).first() or FeedPreferences(user=request.user)
    form = FeedPreferencesForm(request.POST or None, instance=preferences)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Feed settings saved.")
            return redirect("feeds:settings")
        return render(request, "feeds/settings.html", {"form": form}, status=400)
    return render(request, "feeds/settings.html", {"form": form})


def home(request):
    """Signed in: the feed the person chose to open first. Visitors: Discover (no mature work) and
    the newest artists."""

    if request.user.is_authenticated:
        sets = viewer_sets(request.user)
        return feed_view(request, sets.preferences.default_feed, sets)
    page = selectors.discover_feed(None, None)
    context = {
        "page": page,
        "more_url": reverse("feeds:feed", args=["discover"]),
        "profiles": profiles_recent(limit=12, with_work=Post.objects.public().values("author_id")),
    }
    return render(request, "home.html", context)
