"""The search page: /search/?q=…&type=posts|artists&page=N."""

from django.shortcuts import render

from atelier.albums.selectors import mark_bookmarked
from atelier.search import selectors
from atelier.search.selectors import MAX_QUERY_LENGTH, SearchType


def _page_number(raw: str | None) -> int:
    try:
        return min(max(int(raw or 1), 1), selectors.MAX_PAGE)
    except ValueError:
        return 1


def search_view(request):
    """An empty query shows the form; a query past MAX_QUERY_LENGTH is refused (400) with a message."""
    query = request.GET.get("q", "").replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
    kind = request.GET.get("type", SearchType.POSTS)
    if kind not in SearchType.ALL:
        kind = SearchType.POSTS
    context = {"query": query, "kind": kind, "max_length": MAX_QUERY_LENGTH}
    if not query:
        return render(request, "search/results.html", {**context, "message": "Type a word or two to search."})
    if len(query) > MAX_QUERY_LENGTH:
        message = f"That search is too long: keep it under {MAX_QUERY_LENGTH} characters."
        return render(request, "search/results.html", {**context, "query": "", "message": message}, status=400)
    page = selectors.search(viewer=request.user, query=query, kind=kind, page=_page_number(request.GET.get("page")))
    if kind == SearchType.POSTS:
        mark_bookmarked(page.results, request.user)
    return render(request, "search/results.html", {**context, "page": page})
