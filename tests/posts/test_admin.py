"""Staff can find posts and take one down from the admin; a taken-down post disappears for everyone else."""

import pytest
from django.test import Client

from tests.conftest import pass_second_factor
from tests.posts.support import add_image, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(make_user):
    staff = make_user("moderator")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client = Client()
    pass_second_factor(client, staff)
    return client


def test_staff_take_a_post_down_and_restore_it(client, draft, capture, admin):
    add_image(draft, capture=capture)
    post = publish(draft, capture=capture)

    assert admin.get("/admin/posts/post/").status_code == 200
    assert admin.get(f"/admin/posts/post/{post.pk}/change/").status_code == 200
    response = admin.post("/admin/posts/post/", {"action": "take_down", "_selected_action": [post.pk]})
    assert response.status_code == 302
    assert client.get(post.get_absolute_url()).status_code == 404

    admin.post("/admin/posts/post/", {"action": "restore", "_selected_action": [post.pk]})
    assert client.get(post.get_absolute_url()).status_code == 200


def test_the_upload_list_is_read_only(admin):
    assert admin.get("/admin/uploads/upload/").status_code == 200
    assert admin.get("/admin/uploads/upload/add/").status_code == 403


def test_other_people_cannot_reach_the_admin(client, author_client):
    assert client.get("/admin/posts/post/").status_code == 302
    assert author_client.get("/admin/posts/post/").status_code == 302
