"""Contacts (tenants) and their consent log."""
