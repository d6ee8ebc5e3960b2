"""posts.services.post_set_original_date: the one posts write the importer needs."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from atelier.posts import services as posts
from atelier.posts.models import discover_base_for
from tests.portability.test_export_and_move import make_post


def test_a_draft_takes_its_original_date_and_publishing_keeps_it(user, run_on_commit):
    when = timezone.now().replace(microsecond=0) - timedelta(days=2000)
    with run_on_commit():
        post = make_post(user, title="Old", alt="", when=when)
    post.refresh_from_db()
    assert post.published_at == when
    assert post.discover_base == pytest.approx(discover_base_for(when))


def test_only_the_author_only_a_never_published_draft_never_the_future(user, stranger, run_on_commit):
    past = timezone.now() - timedelta(days=10)
    draft = posts.post_create_draft(author=user)
    with pytest.raises(PermissionDenied):
        posts.post_set_original_date(post=draft, user=stranger, published_at=past)
    with pytest.raises(ValidationError, match="future"):
        posts.post_set_original_date(post=draft, user=user, published_at=timezone.now() + timedelta(days=1))
    with run_on_commit():
        published = make_post(user, title="Out", alt="")
    with pytest.raises(ValidationError, match="never published"):
        posts.post_set_original_date(post=published, user=user, published_at=past)
