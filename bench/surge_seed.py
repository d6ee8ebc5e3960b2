"""Seeding for bench/surge.py, run inside the stack's environment: `python -m bench.surge_seed OUT.json`.

People, follows (a power law: a few artists followed by most), posts whose images went through the
real pipeline on the stack's own Celery workers (upload → renditions → AI check → public), more posts
reusing those renditions (as an artist's series would, so every image on every page exists at the
edge), likes and comments; then the sessions of the people who will read signed in, and a browser
pass for each simulated address (protection.shield.passes, as the check page grants one). Writes
what the locustfile needs to OUT.json.
"""

import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "surge-password-2026"  # noqa: S105 - the seeded people's password, a bench fixture
TITLES = ["Quiet", "Stormy", "Golden", "Ruined", "Floating", "Ancient", "Neon", "Frozen", "Sunlit", "Hidden"]
SUBJECTS = ["lighthouse", "harbour", "forest", "dragon", "portrait", "city", "temple", "garden", "ship", "tower"]


def addresses(count: int) -> list[str]:
    """Loopback source addresses, one /24 each: the site budgets and binds passes per network."""
    return [f"127.{1 + i // 250}.{i % 250}.1" for i in range(count)]


def seed(*, people: int, image_posts: int, cloned_posts: int, readers: int, artists: int, pool: int, agent: str):
    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.db.models import F, Q
    from django.utils import timezone

    from atelier.accounts.models import Profile, User
    from atelier.feeds.feed_cache import forget_posts
    from atelier.media.models import MediaItem
    from atelier.posts import services
    from atelier.posts.covers_schedule import COVER_KINDS
    from atelier.posts.models import Post, PostState, discover_base_for
    from atelier.protection.shield.passes import mint_pass
    from atelier.social.models import Comment, Follow, Like
    from bench.surge_pictures import distinct_picture

    rng = random.Random(19)  # noqa: S311 - a reproducible seed, not a secret
    timings, started = {}, time.perf_counter()
    now = timezone.now()
    hashed = make_password(PASSWORD)
    User.objects.bulk_create(
        User(handle=f"p{i}", email=f"p{i}@surge.local", password=hashed, email_verified_at=now, last_login=now)
        for i in range(people)
    )
    ids = list(User.objects.filter(handle__startswith="p").order_by("pk").values_list("pk", flat=True))
    Profile.objects.bulk_create(
        Profile(
            user_id=pk, display_name=f"Person {n}", headline="Illustrator", bio="Seeded.", bio_html="<p>Seeded.</p>"
        )
        for n, pk in enumerate(ids)
    )
    follows = set()
    for follower in ids:  # ~20 follows each, followees by a Zipf-like law over the first ids
        for _ in range(rng.randint(5, 35)):
            followee = ids[min(len(ids) - 1, int(rng.paretovariate(1.1)) - 1)]
            if followee != follower:
                follows.add((follower, followee))
    Follow.objects.bulk_create([Follow(follower_id=a, followee_id=b) for a, b in follows], ignore_conflicts=True)
    timings["people_and_follows_s"] = time.perf_counter() - started

    # Real posts through the real pipeline: the stack's media and detection workers do the work.
    step = time.perf_counter()
    made = []
    for index in range(image_posts):
        author = User.objects.get(pk=ids[index % max(1, artists)])
        post = services.post_create_draft(author=author)
        for n in range(1 + index % 3):
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder, "upload.jpg")
                path.write_bytes(distinct_picture(1024 + 64 * n, 768))
                services.media_add_file(post=post, user=author, path=path)
        services.post_update_details(
            post=post, user=author, title=f"{rng.choice(TITLES)} {rng.choice(SUBJECTS)} study {index}",
            description="Seeded for the surge bench.", medium="digital_2d", category="illustration",
            tags=["surge"], software=["Krita"], is_mature=False, made_with_ai=False,
        )  # fmt: skip
        services.post_publish(post=post, user=author)
        made.append(post.pk)
    deadline = time.monotonic() + 600
    # Public, and covers built: the extra posts copy the cover names, which a later render would replace.
    # And every item signed for its source (`media_item_resign` renames the files it signs): the
    # copies made below would otherwise name files the rename deleted, answering 404 for good.
    # The covers too (`covers.post_covers_sign` renames covers drawn before the checks settled): the
    # copies named the unsigned covers, deleted MEDIA_REPLACED_FILES_GRACE_SECONDS after the rename,
    # and from then on every page showing a copy asked for missing files (572–1,069 image 404s in
    # each surge of 2026-12-06, all in the surge phase, the first more than 10 minutes after seeding).
    unfinished = Q(state=PostState.CHECKING) | ~Q(covers_built_version=F("covers_version"))
    unfinished |= Q(items__renditions__source__isnull=True)
    for kind in COVER_KINDS:
        unfinished |= Q(**{f"covers__{kind}__source": None}) | Q(**{f"covers__{kind}__source__isnull": True})
    while Post.objects.filter(unfinished, pk__in=made).exists() and time.monotonic() < deadline:
        time.sleep(2)
    public = list(Post.objects.filter(pk__in=made, state=PostState.PUBLIC))
    timings["image_posts_s"] = time.perf_counter() - step
    if not public:
        raise SystemExit("no seeded post became public: is the stack's media/detection pool running?")

    step = time.perf_counter()
    fields = [f for f in Post._meta.concrete_fields if not f.primary_key]
    clones = []
    for index in range(cloned_posts):
        source = public[index % len(public)]
        values = {f.attname: getattr(source, f.attname) for f in fields}
        published = now - timedelta(seconds=rng.random() * 30 * 86400)
        values.update(
            author_id=ids[int(rng.paretovariate(1.2)) % min(len(ids), 600)],
            title=f"{rng.choice(TITLES)} {rng.choice(SUBJECTS)} {index}",
            published_at=published, created_at=published, state_changed_at=published,
            discover_base=discover_base_for(published), discover_score=discover_base_for(published),
            like_count=0, comment_count=0,
        )  # fmt: skip
        clones.append(Post(**values))
    clones = Post.objects.bulk_create(clones, batch_size=500)
    items_of = {}
    for item in MediaItem.objects.filter(post__in=public):
        items_of.setdefault(item.post_id, []).append(item)
    item_fields = [f for f in MediaItem._meta.concrete_fields if not f.primary_key and f.name != "post"]
    copies = []
    for index, clone in enumerate(clones):
        for item in items_of[public[index % len(public)].pk]:
            copies.append(MediaItem(post_id=clone.pk, **{f.attname: getattr(item, f.attname) for f in item_fields}))
    MediaItem.objects.bulk_create(copies, batch_size=1000)
    post_ids = [p.pk for p in public] + [c.pk for c in clones]
    likes = {(rng.choice(ids), post_ids[int(rng.paretovariate(1.0)) % len(post_ids)]) for _ in range(people * 8)}
    Like.objects.bulk_create([Like(user_id=u, post_id=p) for u, p in likes], ignore_conflicts=True)
    Comment.objects.bulk_create(
        Comment(post_id=rng.choice(post_ids), author_id=rng.choice(ids), body="Lovely", body_html="<p>Lovely</p>")
        for _ in range(people)
    )
    like_counts = Counter(post for _, post in likes)
    for count in set(like_counts.values()):
        Post.objects.filter(pk__in=[p for p, n in like_counts.items() if n == count]).update(like_count=count)
    forget_posts(post_ids)
    timings["posts_likes_comments_s"] = time.perf_counter() - step

    def session_cookie(user_id: int) -> str:
        user = User.objects.get(pk=user_id)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        return session.session_key

    readers_ids = rng.sample(ids[600:] or ids, min(readers, len(ids[600:] or ids)))
    artist_ids = ids[:artists]
    handles = {pk: h for pk, h in User.objects.filter(pk__in=ids).values_list("pk", "handle")}
    pool_addresses = addresses(pool)
    stamp = time.time()
    plan = {
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "readers": [{"session": session_cookie(pk), "handle": handles[pk]} for pk in readers_ids],
        "artists": [{"session": session_cookie(pk), "handle": handles[pk]} for pk in artist_ids],
        "handles": [handles[pk] for pk in ids[:1000]],
        "post_ids": post_ids,
        "addresses": pool_addresses,
        "passes": {a: mint_pass(address=a, user_agent=agent, now=stamp)[0] for a in [*pool_addresses, "127.0.0.1"]},
        "user_agent": agent,
    }
    timings["total_s"] = time.perf_counter() - started
    facts = {
        "people": len(ids),
        "follows": Follow.objects.count(),
        "image_posts_through_pipeline": len(made),
        "image_posts_public": len(public),
        "images_through_pipeline": MediaItem.objects.filter(post__in=made).count(),
        "posts": Post.objects.count(),
        "likes": Like.objects.count(),
        "comments": Comment.objects.count(),
        "timings": {k: round(v, 1) for k, v in timings.items()},
    }
    return plan, facts


def main() -> None:
    out = Path(sys.argv[1])
    options = json.loads(os.environ["SURGE_SEED_OPTIONS"])
    plan, facts = seed(**options)
    out.write_text(json.dumps({"plan": plan, "facts": facts}))
    print(json.dumps(facts), flush=True)


if __name__ == "__main__":
    main()
