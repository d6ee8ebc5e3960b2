"""An X (Twitter) archive: tweets with pictures or videos become posts; replies, retweets and
text-only tweets are counted and skipped."""

import datetime as dt

from django.urls import reverse

from atelier.portability.models import ArchiveImport, ImportState, WorkState
from atelier.posts.models import Post
from tests.portability.archive_files import Tweet, clip_bytes, picture, write_x
from tests.portability.conftest import as_upload, zip_upload


def test_tweets_with_media_become_posts_and_the_rest_is_counted(signed_in_client, user, run_on_commit):
    tweets = [
        Tweet("1001", "New piece! #inktober &amp; more", [("Fa1.jpg", picture(mark=1))]),
        Tweet(
            "1002",
            "Two views",
            [("Fb1.png", picture("PNG", mark=2)), ("Fb2.jpg", picture(mark=3))],
            created_at="Tue Mar 02 09:00:00 +0000 2021",
        ),
        Tweet("1003", "A clip", [("clip.mp4", clip_bytes())], created_at="Mon Jan 03 10:00:00 +0000 2022"),
        Tweet("1004", "Just words"),
        Tweet("1005", "Thanks!", [("Fc.jpg", picture(mark=4))], reply_to="999"),
        Tweet("1006", "RT @friend: look at this", [("Fd.jpg", picture(mark=5))]),
        Tweet("1007", "Lost picture", [("Fe.jpg", picture(mark=6))]),
    ]
    upload = as_upload(write_x, tweets)
    response = signed_in_client.post(reverse("portability:import_upload"), {"source": "x", "archive": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    run = ArchiveImport.objects.get()
    assert run.skipped_counts == {"replies": 1, "retweets": 1, "text-only posts": 1}
    page = signed_in_client.get(response["Location"]).content.decode()
    assert "1 replies" in page and "1 text-only posts" in page
    with run_on_commit():
        signed_in_client.post(reverse("portability:import_start", args=[run.pk]), {"unticked": ""})
    run.refresh_from_db()
    assert run.state == ImportState.DONE and run.imported == 4
    posts = {post.title: post for post in Post.objects.filter(author=user)}
    assert set(posts) == {"New piece! #inktober & more", "Two views", "A clip", "Lost picture"}
    first = posts["New piece! #inktober & more"]
    assert first.description == "New piece! #inktober & more"  # t.co link gone, entities decoded
    assert list(first.tags.values_list("name", flat=True)) == ["inktober"]
    assert first.published_at == dt.datetime(2018, 10, 10, 20, 19, 24, tzinfo=dt.UTC)
    assert posts["Two views"].items.count() == 2
    assert posts["A clip"].items.get().kind == "video"
    # A re-run skips every tweet already imported.
    again = signed_in_client.post(
        reverse("portability:import_upload"), {"source": "x", "archive": as_upload(write_x, tweets)}
    )
    assert again.status_code == 302
    assert set(ArchiveImport.objects.latest("pk").works.values_list("state", flat=True)) == {WorkState.SKIPPED}


def test_a_damaged_tweets_js_is_refused(signed_in_client):
    archive = zip_upload({"data/tweets.js": b"window.YTD.tweets.part0 = [{"})
    response = signed_in_client.post(reverse("portability:import_upload"), {"source": "x", "archive": archive})
    assert response.status_code == 400 and "data/tweets.js is damaged" in response.content.decode()
    archive = zip_upload({"data/tweets.js": b"alert(document.cookie)"})
    response = signed_in_client.post(reverse("portability:import_upload"), {"source": "x", "archive": archive})
    assert response.status_code == 400 and "not an X archive data file" in response.content.decode()
