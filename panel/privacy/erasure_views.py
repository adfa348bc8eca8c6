"""Staff pages of erasures: the list of requests (admins confirm or decline those tenants
asked for), and a contact's erasure with a confirmation saying what goes and what stays."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("privacy", __name__)
