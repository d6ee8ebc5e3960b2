"""How long each flood post of bench/surge_faults.py is public without its covers (issue 19).

A public post with no thumbnail shows a placeholder card (post_card_link.html). For every post of the
fill_media_queue flood this takes two commit times from PostgreSQL itself (track_commit_timestamp,
switched on in the bench's own cluster, surge_faults_stack): the commit that made it public (its
`PostStateChange` to public, a row written once in that transaction) and the commit that gave it both
covers (the post row's, read by a poller every POLL_SECONDS the first time the row names both). The
difference is the seconds a reader could find it public with a placeholder. A later write to the post
row before the poller's next look would move the second time later, never earlier: the figures are
upper bounds, tight to within POLL_SECONDS at worst. The poller also counts the posts it saw public
without covers with its own eyes (a reader polling at that rate would have).
"""

import threading
import time

from bench.surge_faults_stack import FaultStack

POLL_SECONDS = 0.25

_BUILT = """
    SELECT id, state = 'public', covers ?& array['thumbnail', 'cover'], pg_xact_commit_timestamp(xmin)
    FROM posts_post WHERE author_id = %s AND id > %s AND NOT (id = ANY(%s))
"""
_PUBLIC = """
    SELECT change.post_id, min(pg_xact_commit_timestamp(change.xmin)), min(post.created_at)
    FROM posts_poststatechange change JOIN posts_post post ON post.id = change.post_id
    WHERE change.target = 'public' AND change.post_id = ANY(%s) GROUP BY change.post_id
"""


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 2)


def _spread(values: list[float]) -> dict:
    top = round(max(values), 2) if values else None
    return {"p50": _percentile(values, 0.5), "p95": _percentile(values, 0.95), "max": top}


class CoverLag:
    """Started before the flood's first upload; `finish` waits for the covers of every flood post."""

    def __init__(self, stack: FaultStack):
        from atelier.posts.models import Post

        self.stack = stack
        self.after_id = Post.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        self.built_at: dict[int, object] = {}  # post id -> commit time of the row first seen with covers
        self.seen_without: set[int] = set()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        from django.db import close_old_connections, connection

        while not self.stopping.is_set():
            try:
                with connection.cursor() as cursor:
                    cursor.execute(_BUILT, [self.stack.artist.pk, self.after_id, list(self.built_at)])
                    for post_id, public, built, committed in cursor.fetchall():
                        if built:
                            self.built_at[post_id] = committed
                        elif public:
                            self.seen_without.add(post_id)
            except Exception:  # a fault of the stack: look again at the next tick
                close_old_connections()
            time.sleep(POLL_SECONDS)
        close_old_connections()

    def finish(self, post_ids: list[int], *, began_wall: float, timeout: float) -> dict:
        """Waits (up to `timeout`) until every flood post has its covers, then the figures."""
        from django.db import close_old_connections, connection

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not set(post_ids) <= set(self.built_at):
            time.sleep(0.5)
        self.stopping.set()
        self.thread.join(10)
        close_old_connections()
        with connection.cursor() as cursor:
            cursor.execute(_PUBLIC, [post_ids])
            public = {post_id: (committed, created) for post_id, committed, created in cursor.fetchall()}
        both = [pk for pk in post_ids if pk in public and pk in self.built_at]
        lags = [(self.built_at[pk] - public[pk][0]).total_seconds() for pk in both]
        to_public = [(committed - created).total_seconds() for committed, created in public.values()]
        covered = [self.built_at[pk] for pk in post_ids if pk in self.built_at]
        return {
            "posts": len(post_ids),
            "public_posts_with_covers": len(lags),
            "never_covered": len([pk for pk in post_ids if pk not in self.built_at]),
            "public_to_covers_seconds": _spread(lags),
            "public_before_covers": sum(1 for lag in lags if lag > 0),
            "public_without_covers_over_1s": sum(1 for lag in lags if lag > 1),
            "seen_public_without_covers_by_poller": len(self.seen_without & set(post_ids)),
            "poll_seconds": POLL_SECONDS,
            "upload_to_public_seconds": _spread(to_public),
            "last_covers_seconds_after_first_upload": (
                round(max(covered).timestamp() - began_wall, 1) if covered else None
            ),
        }


def wait_queues_empty(stack: FaultStack, *, timeout: float) -> float | None:
    """time.monotonic() when the media and detection queues were first seen empty in the broker
    (tasks a worker has already taken are not counted), or None if not within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lengths = stack.queue_lengths()
        if lengths["media"] + lengths["detection"] == 0:
            return time.monotonic()
        time.sleep(0.5)
    return None
