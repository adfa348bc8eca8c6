"""Fixtures of the places tests: an organisation, its admin and staff, signed-in clients."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from panel.scoping import scoped_to
from tests.factories import OrganisationFactory, UserFactory, login


@pytest.fixture
def organisation(db_session: Any) -> Any:
    return OrganisationFactory(name="Bostäder Väst", default_language="sv")


@pytest.fixture
def scoped(db_session: Any, organisation: Any) -> Iterator[Any]:
    """The test's session, scoped to the organisation (as a signed-in request would be)."""
    with scoped_to(db_session, organisation.id):
        yield db_session


@pytest.fixture
def admin(organisation: Any) -> Any:
    return UserFactory(organisation=organisation, admin=True)


@pytest.fixture
def staff(organisation: Any) -> Any:
    return UserFactory(organisation=organisation)


@pytest.fixture
def admin_client(client: Any, admin: Any) -> Any:
    login(client, admin)
    return client


@pytest.fixture
def staff_client(client: Any, staff: Any) -> Any:
    login(client, staff)
    return client
