"""Helpers for the account tests: reading the account e-mails from the outbox folder."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask

from notifications.mailbox import Mail, find_mail


def mail_to(app: Flask, address: str) -> list[Mail]:
    """The e-mails in the app's outbox folder sent to ``address``, newest first."""
    return find_mail(app.config["STOOP"].outbox_dir, to=address)


def link_in(mail: Mail, path_prefix: str) -> str:
    """The path (for the test client) of the first link in ``mail`` under ``path_prefix``."""
    for link in mail.links:
        parts = urlsplit(link)
        if parts.path.startswith(path_prefix):
            return parts.path
    raise AssertionError(f"no {path_prefix} link in the e-mail:\n{mail.text}")


def page_text(response) -> str:
    """The response body as text."""
    return response.get_data(as_text=True)


def on_own_context(client, method: str, path: str, **kwargs):
    """Send one request in an app context of its own, as a real server does.

    The test's app context is otherwise shared by every request of the test, and with it ``g``,
    where Flask-Login caches the logged-in user: a second browser would see the first's user.
    """
    with client.application.app_context():
        return client.open(path, method=method, **kwargs)


def another_browser(app: Flask, email: str, password: str, **extra: str):
    """A second test client, logged in as ``email`` in a request of its own."""
    browser = app.test_client()
    data = {"email": email, "password": password, **extra}
    response = on_own_context(browser, "POST", "/login", data=data)
    assert response.status_code == 303, page_text(response)[:500]
    return browser
