"""Account pages, one module per subject: ``login`` (logging in and out, password reset,
accepting an invitation), ``team`` (admins), ``profile`` and ``tokens``.

Everything a person can get wrong here answers with a page that says what to do next: a wrong
password, an expired link, a form that lost its CSRF token, too many attempts.
"""

from panel.accounts.blueprint import bp
from panel.accounts.views import login, profile, team, tokens, two_factor

__all__ = ["bp", "login", "profile", "team", "tokens", "two_factor"]
