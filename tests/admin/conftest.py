"""Fixtures shared by the admin tests."""

from __future__ import annotations

import pytest

from webapp.auth.models import Role


@pytest.fixture
def group_admin(world, make_user):
    return make_user(Role.ADMIN, store=world.store_a, username="gadmin", group_admin=True)
