"""Talking to people: e-mail, SMS and voice channels, the outbox and provider webhooks.

Knows nothing of questions or tenants. It uses the shared infrastructure of ``panel``
(``panel.db``, ``panel.scoping``, ``panel.celery``, ``panel.config``) and no domain module.
"""
