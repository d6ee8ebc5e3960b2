"""Search over posts and artists.

On PostgreSQL: full-text search (websearch syntax, ranked), and typos ("lighthuose") corrected
against the words of public posts and profiles (`search.vocabulary`, one small query) and then
looked up like any word. Matching rows are found through indexes (migrations 0002–0005): a UNION of
the newest ids from the stored `search_document` (GIN), from the corrected query, and from each
named tag's newest posts; only those rows are then ranked. Elsewhere (SQLite in tests and small
installs): case-insensitive substring matching over the same fields, newest first.
`connection.vendor` picks the implementation.

Posts start from `Post.objects.visible_to(viewer)`, the one visibility rule, so drafts, processing,
removed posts and work by blocked or muted people never appear. Artists exclude the same people
(`posts.models.hidden_author_ids`: blocked either way, or muted) and deactivated accounts.

Pages are numbered (PAGE_SIZE per page, at most MAX_PAGE pages): relevance order has no stable
keyset to resume from, and numbered links are shareable. Each page reads PAGE_SIZE + 1 rows to know
whether another follows, so no COUNT query: posts are one query (plus the bookmark marks), artists
three (the page's ids, its profiles with their people, their images), whatever the page length.
"""

from dataclasses import dataclass

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import BooleanField, Exists, F, FloatField, OuterRef, Prefetch, Q, Subquery, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Greatest
from django.utils.text import slugify

from atelier.accounts.models import Profile, ProfileImage, User
from atelier.feeds.feed_cache import card_version
from atelier.feeds.models import MatureChoice
from atelier.feeds.selectors import preferences_for
from atelier.posts.models import Post, PostState, hidden_author_ids
from atelier.search import vocabulary
from atelier.search.vocabulary import Correction

PAGE_SIZE = 24
# Ten pages of relevance are what people page through; each match branch reads as many candidates
# as that shows (CANDIDATES_PER_BRANCH), and reading them is most of a search's cost at 1M posts.
MAX_PAGE = 10
MAX_QUERY_LENGTH = 200
SEARCH_CONFIG = "english"
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


def _typo_tolerant(query: str) -> bool:
    """False when the query uses websearch syntax ("exact phrase", -word, or): a fuzzy match would
    bring back what the person just excluded."""
    words = query.lower().split()
    return not ('"' in query or "or" in words or any(word.startswith("-") for word in words))


# Each way of matching contributes at most this many of its newest matches to be ranked. A common
# word matches tens of thousands of posts (bench/feeds.py: "lighthouse", 50,000 of 1M); ranking them
# all took 1.8 s, and only MAX_PAGE × PAGE_SIZE results can be shown anyway. (500 candidates, for
# 20 pages, cost a word search 38 ms of SQL at full scale on a loaded host; 240 cost 13–19 ms.)
CANDIDATES_PER_BRANCH = MAX_PAGE * PAGE_SIZE
# The one public state (posts.visibility decides it); blocks and mutes are removed by the visibility
# rule applied to the candidates.
_PUBLIC_POST = "state = 'public'"


def _corrected_tsquery(correction: Correction, config: str = SEARCH_CONFIG) -> tuple[str, list]:
    """SQL for the corrected query: every kept word, and each typo as any of its close words."""
    groups, params = [], []
    for group in correction.groups:
        groups.append("(" + " || ".join(["plainto_tsquery(%s, %s)"] * len(group)) + ")")
        for word in group:
            params += [config, word]
    return " && ".join(groups), params


def _matching_post_ids(query: str, correction: Correction | None) -> RawSQL:
    """Ids of public posts whose text or tags match, or (typos) whose text matches the corrected
    query: the newest CANDIDATES_PER_BRANCH of each, each branch answered by an index (its GIN
    index when matches are rare, the newest-first index when they are common).

    The case neither index answers well: common words ANDed into a rarer match ("stormy harbour",
    7,143 of 1M posts) — the GIN bitmap visits every match's row to find the newest (≈ 7,200
    buffers, 12 ms of CPU at full scale), and the newest-first walk reads 34,000 rows. A RUM index
    (tsvector with published_at attached) hands the newest matches over in order (660 buffers,
    4× faster, measured), but it is an extension managed PostgreSQL services may not offer."""
    newest = "ORDER BY published_at DESC, id DESC"
    branches = [
        f"SELECT id FROM posts_post WHERE {_PUBLIC_POST} AND search_document @@ websearch_to_tsquery(%s, %s) {newest}",
        # Each named tag's newest posts, from its (tag_id, post_id) index (migration 0004), then merged.
        "SELECT tagged.post_id AS id FROM posts_tag tag CROSS JOIN LATERAL (SELECT post_id FROM posts_post_tags"
        f" WHERE tag_id = tag.id ORDER BY post_id DESC LIMIT {CANDIDATES_PER_BRANCH}) AS tagged"
        " WHERE tag.name = ANY(%s) ORDER BY tagged.post_id DESC",
    ]
    params: list = [SEARCH_CONFIG, query, _tag_words(query)]
    if correction is not None:
        corrected, corrected_params = _corrected_tsquery(correction)
        branches.append(f"SELECT id FROM posts_post WHERE {_PUBLIC_POST} AND search_document @@ ({corrected}) {newest}")
        params += corrected_params
    limited = " UNION ".join(f"({branch} LIMIT {CANDIDATES_PER_BRANCH})" for branch in branches)
    # Fixed SQL text; the query and its words are only ever parameters.
    return RawSQL(limited, params)  # noqa: S611


def _matching_profile_ids(query: str, correction: Correction | None) -> RawSQL:
    """Ids of profiles matching by name, handle, headline or skills, in English or unstemmed, or
    (typos) matching the corrected query; the newest CANDIDATES_PER_BRANCH of each."""
    newest = "ORDER BY user_id DESC"
    branches = [
        "SELECT user_id AS id FROM accounts_profile WHERE search_document @@ websearch_to_tsquery(%s, %s)"
        f" OR search_document @@ websearch_to_tsquery('simple', %s) {newest}"
    ]
    params: list = [SEARCH_CONFIG, query, query]
    if correction is not None:
        english, english_params = _corrected_tsquery(correction)
        simple, simple_params = _corrected_tsquery(correction, "simple")
        branches.append(
            f"SELECT user_id AS id FROM accounts_profile WHERE search_document @@ ({english})"
            f" OR search_document @@ ({simple}) {newest}"
        )
        params += english_params + simple_params
    limited = " UNION ".join(f"({branch} LIMIT {CANDIDATES_PER_BRANCH})" for branch in branches)
    return RawSQL(limited, params)  # noqa: S611 - fixed SQL text; the query and its words are parameters


def _profile_rank(query: str, correction: Correction | None) -> RawSQL:
    """ts_rank of a profile's document against the query, English or (for names) unstemmed, or
    against its corrected form (typos)."""
    sql = (
        "greatest(ts_rank(accounts_profile.search_document, websearch_to_tsquery(%s, %s)),"
        " ts_rank(accounts_profile.search_document, websearch_to_tsquery('simple', %s))"
    )
    params = [SEARCH_CONFIG, query, query]
    if correction is not None:
        for config in (SEARCH_CONFIG, "simple"):
            corrected, corrected_params = _corrected_tsquery(correction, config)
            sql += f", ts_rank(accounts_profile.search_document, {corrected})"
            params += corrected_params
    return RawSQL(sql + ")", params, output_field=FloatField())  # noqa: S611 - fixed SQL text, parameters only


def _post_rank(query: str, correction: Correction | None) -> RawSQL:
    """ts_rank of a post's document (English only, unlike profiles') against the query, or against
    its corrected form (typos), whichever is higher."""
    sql, params = "ts_rank(posts_post.search_document, websearch_to_tsquery(%s, %s))", [SEARCH_CONFIG, query]
    if correction is not None:
        corrected, corrected_params = _corrected_tsquery(correction)
        sql = f"greatest({sql}, ts_rank(posts_post.search_document, {corrected}))"
        params += corrected_params
    return RawSQL(sql, params, output_field=FloatField())  # noqa: S611 - fixed SQL text, parameters only


def _tagged(tags: list[str]) -> RawSQL:
    """Whether the candidate carries one of the query's tags: one probe of the (post_id, tag_id)
    unique index per candidate, the tag ids read once. Written as a scalar subquery with LIMIT 1 on
    purpose: PostgreSQL turns an EXISTS into a hash of every post carrying the tag (37,000 rows for
    a popular one at full scale) to answer 500 candidates."""
    return RawSQL(
        "coalesce((SELECT true FROM posts_post_tags tagging WHERE tagging.post_id = posts_post.id"
        " AND tagging.tag_id = ANY(ARRAY(SELECT id FROM posts_tag WHERE name = ANY(%s))) LIMIT 1), false)",
        [tags],
        output_field=BooleanField(),
    )


def _visible_posts(viewer):
    """Published, ready, visible posts; mature work only for people whose feed settings show it."""
    posts = Post.objects.visible_to(viewer).filter(state=PostState.PUBLIC)
    preferences = preferences_for(viewer)
    if preferences is None or preferences.mature == MatureChoice.HIDE:
        posts = posts.filter(is_mature=False)
    return posts


# Figures only the ordering reads; they change with the query, so they are not part of a card.
_RANKING = ("rank", "similarity", "tagged")


def search_posts(*, viewer, query: str, page: int = 1) -> SearchPage:
    """A page of posts, each carrying its card version (feeds.feed_cache.card_version, taken
    without the ranking figures): the page reuses the card links a feed or an earlier search
    rendered for the same version of the post, as the feeds do (rendering 24 cards was half of a
    search page's instructions)."""
    found = _slice(posts_matching(viewer=viewer, query=query), page)
    for post in found.results:
        for name in _RANKING:
            post.__dict__.pop(name, None)
        post.card_version = card_version(post)
    return found


def posts_matching(*, viewer, query: str):
    """Posts matching `query` in their title, description or tags, best match first: rank, then
    (typos) how close the title is to what was typed, then tagged, then newest. The title's
    closeness is computed for typo searches only: for an exact search the rank already prefers
    title matches (weight A), and the similarity of every candidate cost more than the rank."""
    posts = _visible_posts(viewer)
    through = Post.tags.through.objects.filter(post_id=OuterRef("pk"))
    if _postgres():
        correction = vocabulary.correct(query) if _typo_tolerant(query) else None
        similarity = TrigramWordSimilarity(query, "title") if correction else Value(0.0, output_field=FloatField())
        posts = posts.filter(pk__in=_matching_post_ids(query, correction)).annotate(
            rank=_post_rank(query, correction),
            similarity=similarity,
            tagged=_tagged(_tag_words(query)),
        )
        order = [(F("rank") + F("similarity")).desc(), F("tagged").desc(), "-published_at", "-pk"]
    else:
        posts = posts.filter(
            Q(title__icontains=query)
            | Q(description__icontains=query)
            | Exists(through.filter(tag__name__in=_tag_words(query)))
            | Exists(through.filter(tag__name__icontains=query))
        )
        order = ["-published_at", "-pk"]
    return posts.select_related("author").defer("software", "thumbnail_crop", "cover_crop").order_by(*order)


def search_artists(*, viewer, query: str, page: int = 1) -> SearchPage:
    """A page of artists in two steps: the ids of the page, ranked over the candidates alone, then
    those ≤ PAGE_SIZE profiles with their people and images (three queries whatever the page length).

    Ranking and loading in one query joined the candidates to their people, and PostgreSQL answered
    that join by hashing every user (a sequential scan of 100k people for 240 candidates, the
    artist-typo search's 17–39 ms at full scale); see `artists_matching`."""
    start = (page - 1) * PAGE_SIZE
    ids = list(artists_matching(viewer=viewer, query=query).values_list("pk", flat=True)[start : start + PAGE_SIZE + 1])
    profiles = (
        Profile.objects.select_related("user")
        .prefetch_related(Prefetch("images", queryset=ProfileImage.objects.order_by("kind")))
        .in_bulk(ids[:PAGE_SIZE])
    )
    # A profile deleted between the two queries is left out rather than failing the page.
    return SearchPage([profiles[pk] for pk in ids[:PAGE_SIZE] if pk in profiles], page, len(ids) > PAGE_SIZE)


def _person(field: str) -> Subquery:
    """A field of the profile's person, if active (else NULL): a scalar subquery per candidate, one
    probe of the user's primary key each. A join (or EXISTS) lets PostgreSQL hash all 100k people
    to answer a few hundred candidates; a scalar subquery with LIMIT 1 it can only run row by row."""
    return Subquery(User.objects.filter(pk=OuterRef("pk"), is_active=True).values(field)[:1])


def artists_matching(*, viewer, query: str):
    """Artists and studios by display name, handle, headline or skills, best match first, then the
    newest people; deactivated accounts left out. Profiles only: `search_artists` loads the page's
    people and images once the page's ids are known."""
    profiles = Profile.objects.all()
    if viewer is not None and viewer.is_authenticated:
        # The same people the visibility rule hides: blocked either way, or muted by the viewer.
        profiles = profiles.exclude(user_id__in=hidden_author_ids(viewer))
    skills = Cast("skills", TextField())
    if _postgres():
        correction = vocabulary.correct(query) if _typo_tolerant(query) else None
        # How close each field is to what was typed: for typo searches only (see posts_matching).
        similarity = (
            Greatest(
                TrigramWordSimilarity(query, "display_name"),
                TrigramWordSimilarity(query, _person("handle")),
                TrigramWordSimilarity(query, "headline"),
                TrigramWordSimilarity(query, skills),
                output_field=FloatField(),
            )
            if correction
            else Value(0.0, output_field=FloatField())
        )
        profiles = (
            profiles.filter(pk__in=_matching_profile_ids(query, correction))
            .annotate(rank=_profile_rank(query, correction), similarity=similarity, joined=_person("date_joined"))
            .filter(joined__isnull=False)
        )
        order = [(F("rank") + F("similarity")).desc(), F("joined").desc(), "-pk"]
    else:
        profiles = (
            profiles.filter(user__is_active=True)
            .annotate(skills_text=skills)
            .filter(
                Q(display_name__icontains=query)
                | Q(user__handle__icontains=query)
                | Q(headline__icontains=query)
                | Q(skills_text__icontains=query)
            )
        )
        order = ["-user__date_joined", "-pk"]
    return profiles.order_by(*order)


def search(*, viewer, query: str, kind: str, page: int = 1) -> SearchPage:
    finder = search_artists if kind == SearchType.ARTISTS else search_posts
    return finder(viewer=viewer, query=query, page=min(max(page, 1), MAX_PAGE))
