"""`manage.py seed_demo_social`: follows, likes, comments (with a reply and a mention), bookmarks and
a public album among the demo accounts, so a new visitor sees a living site.

Run after `seed_demo` and `seed_demo_posts` (bin/serve runs all three). Idempotent: does nothing
once any demo account follows someone. Everything goes through the same services as the site.
"""

import random

from django.core.management.base import BaseCommand

from atelier.accounts.models import User
from atelier.albums import services as albums
from atelier.demo.management.commands.seed_demo import DEMO_ACCOUNTS
from atelier.posts.models import Post
from atelier.social import services as social
from atelier.social.models import Follow

COMMENTS = [
    "The light on the water here is wonderful.",
    "Love the palette. What brushes did you use?",
    "This composition really pulls the eye to the horizon.",
    "So much atmosphere in such a simple shape language.",
    "Saving this for reference, thank you for sharing!",
]


class Command(BaseCommand):
    help = "Create follows, likes, comments, bookmarks and an album among the demo accounts (once)."

    def handle(self, *args, **options):
        handles = [account["handle"] for account in DEMO_ACCOUNTS]
        people = list(User.objects.filter(handle__in=handles).order_by("handle"))
        if len(people) < 2 or Follow.objects.filter(follower__in=people).exists():
            self.stdout.write("Demo social activity: nothing to do.")
            return
        rng = random.Random("atelier-demo-social")
        posts = list(Post.objects.public().filter(author__in=people).order_by("pk"))
        counts = {"follows": 0, "likes": 0, "comments": 0}
        for person in people:
            others = [other for other in people if other != person]
            for followee in rng.sample(others, k=min(len(others), rng.randint(3, 6))):
                social.follow_create(follower=person, followee=followee)
                counts["follows"] += 1
            for post in rng.sample(posts, k=min(len(posts), rng.randint(4, 9))):
                if post.author_id != person.pk:
                    social.like_create(user=person, post_id=post.pk)
                    counts["likes"] += 1
        for post in posts[::3]:
            commenter, replier = rng.sample([p for p in people if p.pk != post.author_id], k=2)
            comment = social.comment_create(author=commenter, post_id=post.pk, body=rng.choice(COMMENTS))
            social.comment_create(
                author=post.author,
                post_id=post.pk,
                body=f"Thank you @{commenter.handle}! It started as a quick study.",
                parent_id=comment.pk,
            )
            social.comment_create(author=replier, post_id=post.pk, body=rng.choice(COMMENTS))
            counts["comments"] += 3
        studio = next((person for person in people if person.handle == "lanternfish_games"), people[0])
        album = albums.album_create(
            owner=studio,
            title="Tidewake inspiration",
            description="Work by artists we admire: harbours, light and weather.",
            is_public=True,
        )
        for post in [post for post in posts if post.author_id != studio.pk][:6]:
            albums.album_add_post(album=album, user=studio, post_id=post.pk)
            albums.bookmark_add(user=studio, post_id=post.pk)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo social activity: {counts['follows']} follows, {counts['likes']} likes, "
                f"{counts['comments']} comments, 1 public album."
            )
        )
