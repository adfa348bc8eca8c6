"""Placeholder blueprint; filled in by its feature."""

from flask import Blueprint

bp = Blueprint("touchpoints_public", __name__)
