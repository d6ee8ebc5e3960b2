"""Search over posts and artists.

On PostgreSQL: full-text search (websearch syntax, ranked) plus pg_trgm word similarity, so typos
("lighthuose") still find their word; similarity is computed per row (see
the migration for why there is no trigram index). Elsewhere (SQLite in tests and small installs): case-insensitive
substring matching over the same fields, newest first. `connection.vendor` picks the implementation.

Posts start from `Post.objects.visible_to(viewer)`, the one visibility rule, so drafts, processing,
removed posts and work by blocked or muted people never appear. Artists exclude the same people
(`posts.models.hidden_author_ids`: blocked either way, or muted) and deactivated accounts.

Pages are numbered (PAGE_SIZE per page, at most MAX_PAGE pages): relevance order has no stable
keyset to resume from, and numbered links are shareable. Each page reads PAGE_SIZE + 1 rows to know
whether another follows, so no COUNT query: posts are one query (plus the bookmark marks), artists
two (profiles, then their images), whatever the page length.
"""

from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, TrigramWordSimilarity
from django.db import connection
from django.db.models import Exists, F, FloatField, OuterRef, Prefetch, Q, TextField
from django.db.models.functions import Cast, Greatest
from django.utils.text import slugify

from atelier.accounts.models import Profile, ProfileImage
from atelier.feeds.models import MatureChoice
from atelier.feeds.selectors import preferences_for
from atelier.posts.models import Post, PostState, hidden_author_ids

PAGE_SIZE = 24
MAX_PAGE = 20
MAX_QUERY_LENGTH = 200
SEARCH_CONFIG = "english"
# Word similarity (0–1) a trigram match needs when full-text search did not match.
TRIGRAM_THRESHOLD = 0.4
_MAX_TAG_WORDS = 8


class SearchType:
    POSTS = "posts"
    ARTISTS = "artists"
    ALL = (POSTS, ARTISTS)


@dataclass
class SearchPage:
    results: list
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _slice(queryset, page: int) -> SearchPage:
    start = (page - 1) * PAGE_SIZE
    rows = list(queryset[start : start + PAGE_SIZE + 1])
    return SearchPage(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE)


def _tag_words(query: str) -> list[str]:
    words = {slugify(word, allow_unicode=True) for word in query.replace("#", " ").split()}
    return sorted(word for word in words if word)[:_MAX_TAG_WORDS]


def _typo_tolerant(query: str, similar: Q) -> Q:
    """The trigram condition, unless the query uses websearch syntax ("exact phrase", -word, or):
    a fuzzy match would bring back what the person just excluded."""
    words = query.lower().split()
    if '"' in query or "or" in words or any(word.startswith("-") for word in words):
        return Q(pk__in=[])
    return similar


def _visible_posts(viewer):
    """Published, ready, visible posts; mature work only for people whose feed settings show it."""
    posts = Post.objects.visible_to(viewer).filter(state=PostState.PUBLISHED, media_ready=True)
    preferences = preferences_for(viewer)
    if preferences is None or preferences.mature == MatureChoice.HIDE:
        posts = posts.filter(is_mature=False)
    return posts


def search_posts(*, viewer, query: str, page: int = 1) -> SearchPage:
    """Posts matching `query` in their title, description or tags, best match first."""
    posts = _visible_posts(viewer)
    through = Post.tags.through.objects.filter(post_id=OuterRef("pk"))
    tagged = Exists(through.filter(tag__name__in=_tag_words(query)))
    if _postgres():
        vector = SearchVector("title", weight="A", config=SEARCH_CONFIG) + SearchVector(
            "description", weight="B", config=SEARCH_CONFIG
        )
        search = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        posts = posts.annotate(
            document=vector,
            rank=SearchRank(vector, search),
            similarity=TrigramWordSimilarity(query, "title"),
            tagged=tagged,
        ).filter(Q(document=search) | _typo_tolerant(query, Q(similarity__gte=TRIGRAM_THRESHOLD)) | Q(tagged=True))
        order = [(F("rank") + F("similarity")).desc(), F("tagged").desc(), "-published_at", "-pk"]
    else:
        posts = posts.filter(
            Q(title__icontains=query)
            | Q(description__icontains=query)
            | tagged
            | Exists(through.filter(tag__name__icontains=query))
        )
        order = ["-published_at", "-pk"]
    posts = posts.select_related("author").defer("software", "thumbnail_crop", "cover_crop").order_by(*order)
    return _slice(posts, page)


def search_artists(*, viewer, query: str, page: int = 1) -> SearchPage:
    """Artists and studios by display name, handle, headline or skills, best match first."""
    profiles = Profile.objects.select_related("user").prefetch_related(
        Prefetch("images", queryset=ProfileImage.objects.order_by("kind"))
    )
    profiles = profiles.filter(user__is_active=True)
    if viewer is not None and viewer.is_authenticated:
        # The same people the visibility rule hides: blocked either way, or muted by the viewer.
        profiles = profiles.exclude(user_id__in=hidden_author_ids(viewer))
    skills = Cast("skills", TextField())
    if _postgres():
        vector = (
            SearchVector("display_name", "user__handle", weight="A", config="simple")
            + SearchVector("headline", weight="B", config=SEARCH_CONFIG)
            + SearchVector(skills, weight="B", config=SEARCH_CONFIG)
        )
        search = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        simple = SearchQuery(query, search_type="websearch", config="simple")
        profiles = profiles.annotate(
            document=vector,
            rank=Greatest(SearchRank(vector, search), SearchRank(vector, simple), output_field=FloatField()),
            similarity=Greatest(
                TrigramWordSimilarity(query, "display_name"),
                TrigramWordSimilarity(query, "user__handle"),
                TrigramWordSimilarity(query, "headline"),
                TrigramWordSimilarity(query, skills),
                output_field=FloatField(),
            ),
        ).filter(Q(document=search) | Q(document=simple) | _typo_tolerant(query, Q(similarity__gte=TRIGRAM_THRESHOLD)))
        order = [(F("rank") + F("similarity")).desc(), "-user__date_joined", "-pk"]
    else:
        profiles = profiles.annotate(skills_text=skills).filter(
            Q(display_name__icontains=query)
            | Q(user__handle__icontains=query)
            | Q(headline__icontains=query)
            | Q(skills_text__icontains=query)
        )
        order = ["-user__date_joined", "-pk"]
    return _slice(profiles.order_by(*order), page)


def search(*, viewer, query: str, kind: str, page: int = 1) -> SearchPage:
    finder = search_artists if kind == SearchType.ARTISTS else search_posts
    return finder(viewer=viewer, query=query, page=min(max(page, 1), MAX_PAGE))
