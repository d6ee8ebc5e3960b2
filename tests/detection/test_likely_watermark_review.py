"""A watermark read only in Stability's "likely" band queues the work for a moderator, visible, with no
score to rank it by. That case crashed the check ('>' between None and a float while ranking the
review case), so the check failed on every retry and the post stayed private: the surge bench's
random pictures hit it once in a few hundred uploads."""

import io

import pytest

from atelier.moderation import services as moderation
from atelier.moderation.models import CaseStatus, ReviewCase
from atelier.posts.models import PostState
from atelier.protection.detection.models import ItemVerdict
from atelier.protection.detection.services import media_item_detect
from tests.detection.test_policy import published
from tests.detection.test_watermark import marked

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]


def png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_a_likely_watermark_alone_queues_the_work_visible_without_a_score(
    make_user, django_capture_on_commit_callbacks
):
    # 35 of 48 bits of SDXL's mark: "likely", below the 38 that hold (tests/detection/test_watermark.py)
    post, item = published(make_user, django_capture_on_commit_callbacks, png(marked("coffee.png", "sdxl", "rgb")))

    assert media_item_detect(item_id=item.pk) == "review"

    post.refresh_from_db()
    assert post.state == PostState.PUBLIC
    assert "SDXL invisible watermark" in ItemVerdict.objects.get(item=item).reason
    case = ReviewCase.objects.get(post=post)
    assert case.status == CaseStatus.OPEN and case.flag_score is None  # ranked after scored cases


def test_a_queued_case_keeps_its_score_when_a_scoreless_reason_comes_later(make_user, make_published_post):
    post = make_published_post(make_user("painter"))
    moderation.case_queue_from_detection(post=post, reason="Queued for review: a score.", flag_score=0.99)
    moderation.case_queue_from_detection(post=post, reason="Queued for review: a mark.", flag_score=None)
    assert ReviewCase.objects.get(post=post).flag_score == 0.99
