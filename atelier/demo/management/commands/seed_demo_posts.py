"""`manage.py seed_demo_posts`: several posts per demo artist, processed by the real pipeline.

Run after `seed_demo` (bin/serve runs both). Idempotent: an author who already has posts is skipped.
Items are processed here, two at a time, so the site is complete when the server starts; the tasks
queued on commit find them ready and do nothing.
"""

import hashlib
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import connections

from atelier.accounts.models import User
from atelier.demo import artworks
from atelier.media.models import MediaItem
from atelier.posts import services
from atelier.posts.covers import post_covers_render
from atelier.posts.items import media_item_process
from atelier.posts.models import Post
from atelier.protection.detection.services import media_item_detect


def _in_thread(function, **kwargs):
    try:
        return function(**kwargs)
    finally:
        connections.close_all()


class Command(BaseCommand):
    help = "Create demo posts with generated artworks for the demo accounts (skips authors with posts)."

    def handle(self, *args, **options):
        handles = {spec.handle for spec in artworks.DEMO_POSTS}
        authors = {user.handle: user for user in User.objects.filter(handle__in=handles)}
        if not authors:
            self.stdout.write("No demo accounts: run seed_demo first.")
            return
        has_posts = set(Post.objects.filter(author__in=authors.values()).values_list("author__handle", flat=True))
        specs = [spec for spec in artworks.DEMO_POSTS if spec.handle in authors and spec.handle not in has_posts]
        posts = []
        with ThreadPoolExecutor(max_workers=2) as pool, tempfile.TemporaryDirectory() as folder:
            for spec in specs:
                posts.append(self._create(authors[spec.handle], spec, Path(folder), pool))
            items = MediaItem.objects.filter(post__in=posts).exclude(kind="embed").values_list("pk", "version")
            list(pool.map(lambda pair: _in_thread(media_item_process, item_id=pair[0], version=pair[1]), items))
            # The AI check too (the gate: a post is public only with every verdict in), as the worker would.
            list(pool.map(lambda pair: _in_thread(media_item_detect, item_id=pair[0]), items))
            for post in posts:
                post.refresh_from_db()
                services.post_publish(post=post, user=post.author)
            versions = Post.objects.filter(pk__in=[post.pk for post in posts]).values_list("pk", "covers_version")
            list(pool.map(lambda pair: _in_thread(post_covers_render, post_id=pair[0], version=pair[1]), versions))
        self.stdout.write(self.style.SUCCESS(f"Demo posts: {len(posts)} created."))

    def _create(self, author, spec: artworks.DemoPost, folder: Path, pool) -> Post:
        handle, title, extras = spec.handle, spec.title, spec.extras
        post = services.post_create_draft(author=author)
        services.post_update_details(
            post=post,
            user=author,
            title=title,
            description=f"{title}. Made for the Atelier demo; every pixel drawn by code from the seed “{handle}”.",
            medium=spec.medium,
            category=spec.category,
            tags=spec.tags,
            software=author.profile.software[:3],
            is_mature=False,
            made_with_ai=False,
        )
        files = []
        if "gif" in extras:
            files.append(pool.submit(artworks.animated_gif, f"{handle}/{title}"))
        files += [
            pool.submit(artworks.artwork_jpeg, f"{handle}/{title}/{index}", size)
            for index, size in enumerate(spec.sizes)
        ]
        for index, drawing in enumerate(files):
            path = folder / f"{post.pk}-{index}"
            path.write_bytes(drawing.result())
            services.media_add_file(post=post, user=author, path=path)
        if "sketchfab" in extras:
            model_id = hashlib.md5(title.encode(), usedforsecurity=False).hexdigest()
            services.media_add_embed(post=post, user=author, url=artworks.DEMO_SKETCHFAB_URL.format(model_id))
        return post
