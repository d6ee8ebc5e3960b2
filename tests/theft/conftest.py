"""The two artists of the art-theft tests: the original's author and the one who reposts it."""

import pytest


@pytest.fixture
def artist(make_user):
    return make_user("ines")


@pytest.fixture
def thief(make_user):
    return make_user("bram")
