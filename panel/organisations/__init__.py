"""Organisations: the housing companies, each an island of its own data."""

from panel.core.rooms import Room

room = Room("organisations", models=("panel.organisations.models",))
