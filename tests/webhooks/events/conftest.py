"""The answer and send tests' fixtures, for the events those rooms emit: an organisation with
a stairwell, a tenant with a personal link, a live question, a touchpoint, panels."""

from tests.answers.conftest import (  # noqa: F401
    invitation_of,
    organisation,
    question,
    scoped,
    staff,
    stairwell,
    tenant,
    touchpoint_factory,
)
from tests.sends.conftest import panel_of  # noqa: F401
