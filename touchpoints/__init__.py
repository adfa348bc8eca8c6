"""Placing a question where tenants are: embed, QR flyer, links, area blasts, triggers."""
