"""The composer, through its views: drafts, details, autosave, items, publishing, editing and deleting."""

import io

import pytest
from django.urls import reverse

from atelier.media.models import MediaItem, MediaKind
from atelier.media.states import CheckState, MediaState
from atelier.posts.items import media_item_process
from atelier.posts.models import Post, PostState
from tests.media.sample_files import animated_gif, quadrant_bytes
from tests.posts.support import (
    HTMX,
    SKETCHFAB_URL,
    VIMEO_URL,
    YOUTUBE_URL,
    add_embed,
    add_file,
    add_image,
    expected_public_files,
    fail_item,
    original_files,
    post_embed,
    post_file,
    public_files,
    publish,
    url,
)

pytestmark = pytest.mark.django_db

DETAILS = {
    "title": "Harbour at dawn",
    "description": "Painted *on location* with **gouache**.",
    "medium": "traditional",
    "category": "environment",
    "tags": "Sea, #boats, sea",
    "software": "Krita, Blender",
    "is_mature": "on",
    "action": "save",
}


def details(**changes) -> dict:
    return {**DETAILS, **changes}


# Drafts and details


def test_new_post_is_a_draft_and_opens_the_composer(author_client, author):
    response = author_client.post(reverse("posts:new"))
    post = Post.objects.get(author=author)
    assert response.status_code == 302
    assert response["Location"] == url("edit", post)
    assert (post.state, post.title) == (PostState.DRAFT, "")
    page = author_client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>New post</h1>" in html
    assert 'id="details-form"' in html and url("media_add", post) in html


def test_a_new_post_needs_a_post_request(author_client, author):
    assert author_client.get(reverse("posts:new")).status_code == 405
    assert not Post.objects.exists()


def test_details_are_saved_and_tags_normalised(author_client, draft):
    response = author_client.post(url("edit", draft), details(), follow=True)
    assert response.redirect_chain == [(url("edit", draft), 302)]
    assert "Draft saved." in response.content.decode()
    draft.refresh_from_db()
    assert draft.title == "Harbour at dawn"
    assert draft.description == "Painted *on location* with **gouache**."  # stored as typed, rendered on the page
    assert (draft.medium, draft.category) == ("traditional", "environment")
    assert sorted(tag.name for tag in draft.tags.all()) == ["boats", "sea"]
    assert draft.software == ["Krita", "Blender"]
    assert draft.is_mature is True and draft.made_with_ai is False
    assert draft.state == PostState.DRAFT


def test_more_than_ten_tags_are_refused_keeping_what_was_typed(author_client, draft):
    tags = ", ".join(f"tag{number}" for number in range(11))
    response = author_client.post(url("edit", draft), details(title="Kept title", tags=tags))
    assert response.status_code == 400
    html = response.content.decode()
    assert "At most 10 items." in html
    assert 'value="Kept title"' in html
    assert f'value="{tags}"' in html
    draft.refresh_from_db()
    assert draft.title == "" and not draft.tags.exists()


def test_autosave_answers_htmx_with_the_status_fragment(author_client, draft):
    response = author_client.post(url("edit", draft), details(action="autosave", title="Half-way"), headers=HTMX)
    assert response.status_code == 200
    text = response.content.decode()
    assert text.startswith("Draft saved at ") and "<html" not in text
    draft.refresh_from_db()
    assert draft.title == "Half-way"


def test_autosave_of_invalid_details_says_what_was_not_saved(author_client, draft):
    response = author_client.post(url("edit", draft), details(action="autosave", medium="crayon"), headers=HTMX)
    assert response.status_code == 400
    text = response.content.decode()
    assert text.startswith('<span class="error-text">Not saved: ') and "Select a valid choice." in text
    draft.refresh_from_db()
    assert draft.title == ""


# Publishing


def test_publishing_without_items_is_refused(author_client, draft):
    response = author_client.post(url("edit", draft), details(action="publish"))
    assert response.status_code == 400
    assert "Add at least one image, video or embed before publishing." in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == PostState.DRAFT and draft.published_at is None


def test_publishing_without_a_title_is_refused(author_client, draft):
    add_embed(draft)
    response = author_client.post(url("edit", draft), details(action="publish", title="  "))
    assert response.status_code == 400
    assert "Give your post a title before publishing." in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == PostState.DRAFT


def test_publishing_with_a_failed_item_is_refused(author_client, draft, capture):
    add_embed(draft)
    failed = fail_item(add_file(draft, quadrant_bytes("PNG", (200, 150)), capture=capture, process=False))
    assert failed.state == MediaState.FAILED
    response = author_client.post(url("edit", draft), details(action="publish"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "One of the files could not be processed. Retry it or remove it before publishing." in html
    assert failed.failure_reason in html
    draft.refresh_from_db()
    assert draft.state == PostState.DRAFT


def test_publishing_shows_the_post_to_others(author_client, stranger_client, draft, capture):
    add_image(draft, capture=capture)
    with capture(execute=True):
        response = author_client.post(url("edit", draft), details(action="publish"), follow=True)
    assert response.redirect_chain == [(draft.get_absolute_url(), 302)]
    assert "Published." in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == PostState.PUBLIC
    assert draft.published_at is not None
    assert set(draft.covers) == {"thumbnail", "cover"}
    assert stranger_client.get(draft.get_absolute_url()).status_code == 200


def test_editing_after_publishing_keeps_the_post_published(author_client, stranger_client, draft, capture):
    add_image(draft, capture=capture)
    post = publish(draft, capture=capture)
    published_at = post.published_at
    response = author_client.post(url("edit", post), details(title="Harbour, revised"), follow=True)
    assert response.redirect_chain == [(url("edit", post), 302)]
    assert "Changes saved." in response.content.decode()
    post.refresh_from_db()
    assert (post.title, post.state, post.published_at) == ("Harbour, revised", PostState.PUBLIC, published_at)
    assert "Harbour, revised" in stranger_client.get(post.get_absolute_url()).content.decode()


def test_unpublishing_hides_the_post_from_others(author_client, stranger_client, draft, capture):
    add_image(draft, capture=capture)
    post = publish(draft, capture=capture)
    response = author_client.post(url("unpublish", post))
    assert response.status_code == 302 and response["Location"] == url("edit", post)
    post.refresh_from_db()
    assert post.state == PostState.UNPUBLISHED and post.is_draft
    assert stranger_client.get(post.get_absolute_url()).status_code == 404
    own = author_client.get(post.get_absolute_url())
    assert own.status_code == 200 and "This is a draft: only you can see it." in own.content.decode()


def test_deleting_a_post_removes_every_stored_file(author_client, author, draft, capture):
    gif = add_file(draft, animated_gif(size=(160, 120), frames=6), capture=capture)
    image = add_image(draft, capture=capture)
    post = publish(draft, capture=capture)
    assert post.covers["thumbnail"]["animated"]["webp"]  # animated covers, from the GIF in first place
    stored = public_files()
    assert stored == expected_public_files(post)
    assert {name.rsplit("-", 1)[-1] for name in stored} >= {"anim.webp", "loop.mp4", "400.webp", "160.webp"}
    # a still (WebP and AVIF), an animated WebP and a looping MP4
    assert sum(name.startswith(f"posts/{post.pk}/thumbnail-") for name in stored) == 4
    assert original_files() == {gif.original_name, image.original_name}

    with capture(execute=True):
        response = author_client.post(url("delete", post))
    assert response.status_code == 302 and response["Location"] == author.get_absolute_url()
    assert not Post.objects.filter(pk=post.pk).exists() and not MediaItem.objects.exists()
    assert public_files() == set()
    assert original_files() == set()


# Items


@pytest.mark.parametrize(
    ("link", "provider"), [(YOUTUBE_URL, "youtube"), (VIMEO_URL, "vimeo"), (SKETCHFAB_URL, "sketchfab")]
)
def test_an_embed_link_is_ready_at_once_without_processing(author_client, draft, capture, tasks_run, link, provider):
    with capture(execute=True):
        response = post_embed(author_client, draft, link)
    assert response.status_code == 302 and response["Location"] == url("edit", draft)
    assert tasks_run == []  # nothing for a worker to do
    item = draft.items.get()
    assert (item.kind, item.state, item.embed["provider"]) == (MediaKind.EMBED, MediaState.READY, provider)
    assert (item.original_name, item.renditions) == ("", {})
    assert public_files() == set() and original_files() == set()
    assert item.ai_check == CheckState.PASS  # nothing of ours to check: it passes at once


def test_an_htmx_upload_answers_with_the_media_list(author_client, draft, capture):
    with capture(execute=True):
        response = post_file(author_client, draft, quadrant_bytes("JPEG", (300, 200)), htmx=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="media-list-wrap"' in html and "<html" not in html
    # The answer is sent before the commit queues the work: the item shows as processing, and polls.
    assert "1. Image" in html and "Processing <progress" in html and 'hx-trigger="every 2s"' in html
    assert draft.items.get().state == MediaState.READY


def test_the_media_status_polls_only_while_something_is_processing(author_client, draft, capture):
    item = add_file(draft, quadrant_bytes("PNG", (200, 150)), capture=capture, process=False)
    polling = 'hx-trigger="every 2s"'
    processing = author_client.get(url("media_status", draft))
    assert processing.status_code == 200 and polling in processing.content.decode()
    assert "Processing <progress" in processing.content.decode()
    media_item_process(item_id=item.pk, version=item.version)
    ready = author_client.get(url("media_status", draft)).content.decode()
    assert polling not in ready and "200×150" in ready


def test_alt_text_is_saved(author_client, draft, capture):
    item = add_image(draft, capture=capture)
    response = author_client.post(url("media_alt", draft, item.pk), {"alt_text": "A boat in fog"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.alt_text == "A boat in fog"
    too_long = author_client.post(url("media_alt", draft, item.pk), {"alt_text": "x" * 501})
    assert too_long.status_code == 400 and "at most 500 characters" in too_long.content.decode()
    item.refresh_from_db()
    assert item.alt_text == "A boat in fog"


def test_removing_an_item_deletes_its_files_and_rebuilds_the_covers(author_client, draft, capture):
    first = add_image(draft, capture=capture)
    second = add_image(draft, capture=capture, size=(300, 300))
    post = publish(draft, capture=capture)
    assert post.covers["thumbnail"]["item"] == first.pk
    with capture(execute=True):
        response = author_client.post(url("media_remove", post, first.pk))
    assert response.status_code == 302
    post.refresh_from_db()
    assert list(post.items.all()) == [second]
    assert post.covers["thumbnail"]["item"] == second.pk and post.covers["cover"]["item"] == second.pk
    assert public_files() == expected_public_files(post)
    assert original_files() == {second.original_name}


def test_retrying_an_item_that_did_not_fail_is_refused(author_client, draft, capture):
    item = add_image(draft, capture=capture)
    response = author_client.post(url("media_retry", draft, item.pk))
    assert response.status_code == 400
    assert "Only a failed item can be retried." in response.content.decode()
    item.refresh_from_db()
    assert (item.state, item.version) == (MediaState.READY, 1)


def test_deleting_the_account_removes_its_posts_files_and_unfinished_uploads(author_client, author, draft, capture):
    from atelier.accounts.services import account_delete
    from atelier.media.storages import originals_storage
    from atelier.uploads.services import upload_append, upload_create
    from tests.media.sample_files import stored_names

    add_file(draft, animated_gif(size=(160, 120), frames=4), capture=capture)
    add_image(draft, capture=capture)
    publish(draft, capture=capture)
    unfinished = upload_create(owner=author, length=1000, filename="half.png", content_type="image/png")
    upload_append(upload_id=unfinished.pk, user=author, offset=0, stream=io.BytesIO(b"x" * 400), length=400)
    upload_chunks = stored_names(originals_storage(), "uploads")
    assert public_files() and len(original_files()) == 2 and len(upload_chunks) == 1

    with capture(execute=True):
        account_delete(user=author)
    assert public_files() == set()
    assert original_files() == set()
    assert stored_names(originals_storage(), "uploads") == set()
