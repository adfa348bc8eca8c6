"""Stoop's domain and app: organisations, accounts, places, contacts and the app factory."""
