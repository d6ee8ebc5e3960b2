"""The feeds: Following, Discover, the mixed Home feed, tags and categories.

Every feed starts from `Post.objects.visible_to(viewer)` (so drafts, processing, removed posts and
posts of blocked or muted people never appear) and pages with a keyset cursor, signed so it cannot
be tampered with. A page is one query for the posts whatever its length.

Discover ranks by a score whose recency part is fixed once a post is published, so pages stay
stable while a person scrolls:

    score = published_at / 12 h + log10(1 + likes + 2 × comments)

i.e. engagement × recency decay: every 12 hours of age costs a post what ten times its engagement
gains it. The score is stored on the post (`Post.discover_score`, indexed, kept current by
`social.engagement.post_engagement_refresh`), so a page reads the top of one index instead of counting
the engagement of every post. At most two posts by one artist appear in any page.

The hot path avoids the database where it safely can (`feeds.feed_cache`): the top of Discover's
ranking is shared by everyone with the same filters, each person's blocks, mutes and follows are
applied to it from cached id sets (`feeds.viewer.viewer_sets`, which the view loads once and passes
in as `sets`; a caller that passes none has them loaded here), and cards are built from cached rows.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from itertools import islice

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from atelier.core.cursors import decode_cursor, encode_cursor
from atelier.feeds import feed_cache, timelines
from atelier.feeds.models import FeedPreferences, MatureChoice
from atelier.feeds.viewer import ViewerSets, preferences_for, viewer_sets
from atelier.posts.models import Post, PostState
from atelier.social.models import Follow

PAGE_SIZE = 24
MAX_POSTS_PER_ARTIST_PER_PAGE = 2
# Discover reads this many ranked candidates per page to fill it despite the per-artist cap.
_DISCOVER_CANDIDATES = PAGE_SIZE * 4
# Following timeline entries read beyond a page's need, for the ones the person's filters drop.
_TIMELINE_SPARE = 8


@dataclass
class FeedPage:
    posts: list[Post]
    next_cursor: str | None


def _published(viewer, preferences: FeedPreferences | None):
    posts = Post.objects.visible_to(viewer).filter(state=PostState.PUBLIC)
    if preferences is None:
        return posts.filter(is_mature=False)  # visitors without an account never get mature work
    if preferences.mature == MatureChoice.HIDE:
        posts = posts.filter(is_mature=False)
    if preferences.include_categories:
        posts = posts.filter(category__in=preferences.include_categories)
    if preferences.exclude_categories:
        posts = posts.exclude(category__in=preferences.exclude_categories)
    if preferences.include_mediums:
        posts = posts.filter(medium__in=preferences.include_mediums)
    if preferences.exclude_mediums:
        posts = posts.exclude(medium__in=preferences.exclude_mediums)
    if preferences.muted_tags:
        posts = posts.exclude(tags__name__in=preferences.muted_tags)
    return posts


# What a card never shows, so the shared card cache (Redis) never holds it: the post's long text and
# crop settings, and everything of the author but their id and handle (no password hash, no email).
_NOT_ON_CARDS = ("description", "software", "thumbnail_crop", "cover_crop")
_AUTHOR_ON_CARDS = ("author__id", "author__handle")


def _for_cards(posts):
    """What a card shows, and nothing more (see _NOT_ON_CARDS)."""
    card_fields = [field.name for field in Post._meta.concrete_fields if field.name not in _NOT_ON_CARDS]
    return posts.select_related("author").only(*card_fields, *_AUTHOR_ON_CARDS)


def _cards(ids: list[int]) -> list[Post]:
    """Posts for cards in the order of `ids`, from the shared card cache. Feeds pick ids among
    public posts only, and the rows are read again under the public rule, so a post that left public
    view a moment ago is skipped, never shown."""

    def load(missing):
        return _for_cards(Post.objects.public().filter(pk__in=missing)).in_bulk()

    by_pk = feed_cache.cached_cards(ids, load) if ids else {}
    return [by_pk[pk] for pk in ids if pk in by_pk]


def _newest_ids(
    posts,
    feed: str,
    cursor: str | None,
    limit: int = PAGE_SIZE,
    key: str = "position",
    *,
    followed_by=None,
    sets: ViewerSets | None = None,
) -> list[int]:
    """Up to `limit` + 1 ids, newest first, from `posts` (a queryset, or a function making one);
    with `followed_by`, only posts by the people that person follows (from their Redis timeline
    when it can answer, see feeds.timelines)."""
    position = (decode_cursor(feed, cursor) or {}).get(key)
    before = (datetime.fromisoformat(position[0]), position[1]) if position else None
    ids = _timeline_ids(followed_by, sets, before, limit + 1) if followed_by is not None else None
    if ids is None:
        posts = posts() if callable(posts) else posts  # built only when the database answers
        if before:
            posts = posts.filter(Q(published_at__lt=before[0]) | Q(published_at=before[0], pk__lt=before[1]))
        if followed_by is not None:
            posts = _by_followed_authors(posts, followed_by, limit + 1)
        ids = list(posts.order_by("-published_at", "-pk").values_list("pk", flat=True)[: limit + 1])
    return ids


def _newest_page(ids, limit, *, followed, preferences, cards=None) -> tuple[list[Post], list | None]:
    """The posts for `ids` (limit + 1 of them means there is more; `cards`: already loaded) and the
    position the next page starts after (None: this is the last)."""
    more = len(ids) > limit
    page = cards if cards is not None else _cards(ids[:limit])
    if followed and (preferences is None or preferences.mature == MatureChoice.HIDE):
        page = [post for post in page if not post.is_mature]  # marked mature since it entered a timeline
    return page, (_newest_position(page[-1]) if more and page else None)


def _newest(posts, feed, cursor, limit=PAGE_SIZE, key="position", *, followed_by=None, sets=None) -> FeedPage:
    ids = _newest_ids(posts, feed, cursor, limit, key, followed_by=followed_by, sets=sets)
    preferences = sets.preferences if sets is not None else None
    page, position = _newest_page(ids, limit, followed=followed_by is not None, preferences=preferences)
    return FeedPage(page, encode_cursor(feed, {key: position}) if position else None)


def _newest_position(post: Post) -> list:
    return [post.published_at.isoformat(), post.pk]


def _by_followed_authors(posts, viewer, wanted: int):
    """The newest `wanted` of `posts` by people `viewer` follows.

    On PostgreSQL, a LATERAL join reads each followed artist's newest `wanted` posts from the
    posts_author_published index (author, -published_at, -id, covering every visibility column: an
    index-only scan) and sorts only those: at most followed × wanted index entries however many
    posts the followed artists have (bench/feeds.py, 1,000 follows: ~10 ms). A plain join or an
    IN-subquery leaves the plan to the planner's follow-count estimate, which at 1,000 follows chose
    to read all 249,000 posts of the followed artists and sort them (76 ms warm, 1.2 s cold). The
    per-artist subquery is `posts` itself, so visibility, the person's filters and the cursor apply
    before the limit."""
    if connection.vendor != "postgresql":
        return posts.filter(author__followers__follower=viewer)
    follows = connection.ops.quote_name(Follow._meta.db_table)
    # Only identifiers from the model's metadata are formatted in; every value is a parameter.
    per_artist = posts.filter(author_id=RawSQL(f"{follows}.followee_id", ()))  # noqa: S611
    per_artist = per_artist.order_by("-published_at", "-pk")
    inner, params = per_artist.values("id", "published_at")[:wanted].query.sql_with_params()
    newest = (
        f"SELECT newest.id FROM {follows} CROSS JOIN LATERAL ({inner}) AS newest "  # noqa: S608
        f"WHERE {follows}.follower_id = %s ORDER BY newest.published_at DESC, newest.id DESC LIMIT %s"
    )
    return Post.objects.filter(pk__in=RawSQL(newest, (*params, viewer.pk, wanted)))  # noqa: S611


def _timeline_ids(viewer, sets: ViewerSets, before, wanted: int) -> list[int] | None:
    """Up to `wanted` ids, newest first, from the person's Following timeline; None when it cannot
    answer exactly (no Redis; filters a timeline entry does not carry; deeper than it keeps)."""
    preferences = sets.preferences
    serves = preferences is None or not (
        preferences.include_categories
        or preferences.exclude_categories
        or preferences.include_mediums
        or preferences.exclude_mediums
        or preferences.muted_tags
    )
    if not serves or not timelines.enabled():
        return None
    # Most entries pass the filters below: read a few spare first, and the rest of the timeline
    # (one more round trip) only when unfollowed, hidden or mature entries leave the page short.
    for size in (wanted + _TIMELINE_SPARE, timelines.TIMELINE_LENGTH):
        window = timelines.read(viewer.pk, before=before, size=size)
        if window is None:  # the first read: build it from the database (the per-artist read, once)
            newest = _by_followed_authors(Post.objects.public(), viewer, timelines.TIMELINE_LENGTH)
            rows = newest.values_list("pk", "author_id", "is_mature", "published_at")
            timelines.store(viewer.pk, list(rows))
            window = timelines.read(viewer.pk, before=before, size=size)
        ids = _timeline_page(window, sets, wanted)
        if len(ids) == wanted or window.complete:
            return ids
        if not window.more:
            break
    return None  # short, and older posts may exist beyond what the timeline keeps: the database answers


def _timeline_page(window, sets: ViewerSets, wanted: int) -> list[int]:
    """Up to `wanted` ids of the window's entries that this person may see in Following now."""
    followed, hidden, preferences = sets.followed, sets.hidden, sets.preferences
    hide_mature = preferences is None or preferences.mature == MatureChoice.HIDE
    ids, seen = [], set()
    for entry in window.entries:
        if entry.post_id in seen or entry.author_id not in followed or entry.author_id in hidden:
            continue
        if hide_mature and entry.is_mature:
            continue
        seen.add(entry.post_id)
        ids.append(entry.post_id)
        if len(ids) == wanted:
            break
    return ids


def following_feed(viewer, cursor: str | None = None, *, sets: ViewerSets | None = None) -> FeedPage:
    sets = sets or viewer_sets(viewer)
    # The queryset is built only if the timeline cannot answer (building one costs ~0.3 ms).
    published = partial(_published, viewer, sets.preferences)
    return _newest(published, "following", cursor, followed_by=viewer, sets=sets)


def tag_feed(viewer, tag: str, cursor: str | None = None, *, sets: ViewerSets | None = None) -> FeedPage:
    preferences = sets.preferences if sets is not None else preferences_for(viewer)
    posts = _published(viewer, preferences).filter(tags__name=tag)
    return _newest(posts, f"tag:{tag}", cursor)


def category_feed(viewer, category: str, cursor: str | None = None, *, sets: ViewerSets | None = None) -> FeedPage:
    preferences = sets.preferences if sets is not None else preferences_for(viewer)
    posts = _published(viewer, preferences).filter(category=category)
    return _newest(posts, f"category:{category}", cursor)


def _ranked(posts, position: list | None):
    """`posts` in Discover order, after the cursor's (score, id) position, as bare rows."""
    if position:
        score, pk = position
        posts = posts.filter(Q(discover_score__lt=score) | Q(discover_score=score, pk__lt=pk))
    # Read in the order of the posts_discover index, so a page stops after its candidates.
    return posts.order_by("-discover_score", "-pk").values_list("pk", "author_id", "discover_score")


def _filter_signature(preferences: FeedPreferences | None) -> dict:
    """What decides which public posts Discover ranks for someone: their filters, nothing personal."""
    if preferences is None:
        return {"visitor": True}
    return {
        "mature": preferences.mature == MatureChoice.HIDE,
        "categories": [sorted(preferences.include_categories), sorted(preferences.exclude_categories)],
        "mediums": [sorted(preferences.include_mediums), sorted(preferences.exclude_mediums)],
        "muted_tags": sorted(preferences.muted_tags),
    }


def _discover_candidates(viewer, preferences, position: list | None, excluded: frozenset[int]) -> list[tuple]:
    """Up to _DISCOVER_CANDIDATES ranked (id, author id, score) rows after `position`, none by an
    author in `excluded`: from the shared ranking of this filter set when it reaches that deep,
    else from the database."""
    # Public posts under these filters (nobody's own drafts), built only when the ranking is computed.
    ranking = feed_cache.cached_candidates(
        _filter_signature(preferences), lambda depth: _ranked(_published(None, preferences), None)[:depth]
    )
    after = iter(ranking)
    if position:
        after = (row for row in after if (row[2], row[0]) < (position[0], position[1]))
    if excluded:
        after = (row for row in after if row[1] not in excluded)
    after = list(islice(after, _DISCOVER_CANDIDATES))  # reads only as far into the ranking as it must
    if len(after) >= _DISCOVER_CANDIDATES or len(ranking) < feed_cache.CACHED_CANDIDATES:
        return after  # the shared ranking covers this page (or is all there is)
    deeper = _published(viewer, preferences)
    if excluded:
        deeper = deeper.exclude(author_id__in=excluded)
    return list(_ranked(deeper, position)[:_DISCOVER_CANDIDATES])


def _discover_choice(
    viewer, sets: ViewerSets, position: list | None, limit: int, excluded: frozenset[int] = frozenset()
) -> tuple[list[int], list | None]:
    """Up to `limit` ids by score with the per-artist cap, and where the next page starts."""
    if limit <= 0:
        return [], position
    excluded = excluded | sets.hidden
    candidates = _discover_candidates(viewer, sets.preferences, position, excluded)
    chosen, per_artist = [], {}
    for pk, author_id, score in candidates:
        if per_artist.get(author_id, 0) >= MAX_POSTS_PER_ARTIST_PER_PAGE:
            continue  # a third post by one artist waits: the page goes to others first
        per_artist[author_id] = per_artist.get(author_id, 0) + 1
        chosen.append((pk, score))
        if len(chosen) == limit:
            break
    more = len(candidates) == _DISCOVER_CANDIDATES or (chosen and len(chosen) == limit)
    next_position = [chosen[-1][1], chosen[-1][0]] if chosen and more else None  # [score, id]
    return [pk for pk, _ in chosen], next_position


def discover_feed(viewer, cursor: str | None = None, *, sets: ViewerSets | None = None) -> FeedPage:
    sets = sets or viewer_sets(viewer)
    position = (decode_cursor("discover", cursor) or {}).get("position")
    ids, next_position = _discover_choice(viewer, sets, position, PAGE_SIZE)
    chosen = _cards(ids)
    return FeedPage(chosen, encode_cursor("discover", {"position": next_position}) if next_position else None)


def home_feed(viewer, cursor: str | None = None, *, sets: ViewerSets | None = None) -> FeedPage:
    """Following and Discover interleaved in the person's chosen proportion (Cara's content percentage)."""
    sets = sets or viewer_sets(viewer)
    preferences = sets.preferences
    if preferences is None:
        return discover_feed(viewer, cursor, sets=sets)  # visitors' home is Discover
    share = preferences.following_share
    if share == 0:
        return discover_feed(viewer, cursor, sets=sets)  # everyone, followed or not
    state = decode_cursor("home", cursor) or {}
    wanted_following = round(PAGE_SIZE * share / 100)
    following_ids = (
        _newest_ids(
            partial(_published, viewer, preferences),
            "home",
            cursor,
            wanted_following,
            "following",
            followed_by=viewer,
            sets=sets,
        )
        if wanted_following and state.get("following_done") is not True
        else []
    )
    # The rest of the page is everyone else, so the share holds (and nothing shows twice).
    discover_ids, discover_next = _discover_choice(
        viewer,
        sets,
        state.get("discover"),
        PAGE_SIZE - min(len(following_ids), wanted_following),
        sets.followed,
    )
    by_pk = {post.pk: post for post in _cards(following_ids[:wanted_following] + discover_ids)}  # one read
    following_cards = [by_pk[pk] for pk in following_ids[:wanted_following] if pk in by_pk]
    following_posts, following_position = _newest_page(
        following_ids, wanted_following, followed=True, preferences=preferences, cards=following_cards
    )
    discover_posts = [by_pk[pk] for pk in discover_ids if pk in by_pk]
    posts = _interleave(following_posts, discover_posts)
    if following_position is None and discover_next is None:
        return FeedPage(posts, None)
    next_state = {
        "following": following_position,
        "following_done": following_position is None,
        "discover": discover_next,
    }
    return FeedPage(posts, encode_cursor("home", next_state))


def _interleave(first: list[Post], second: list[Post]) -> list[Post]:
    """Spread both lists evenly through the page, each keeping its own order."""
    if not first or not second:
        return first + second
    placed = [((index + 0.5) / len(first), 0, post) for index, post in enumerate(first)]
    placed += [((index + 0.5) / len(second), 1, post) for index, post in enumerate(second)]
    return [post for _, _, post in sorted(placed, key=lambda entry: (entry[0], entry[1]))]
