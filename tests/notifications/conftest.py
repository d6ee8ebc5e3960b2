import pytest

from tests.social.conftest import author, author_client, client_for, make_post, post, reader, reader_client  # noqa: F401


@pytest.fixture
def third(make_user):
    return make_user("ines")
