"""Organisations, users with roles, logins, invitations, password resets and API tokens."""
