"""Placeholder blueprint; filled in by its feature."""

from flask import Blueprint

bp = Blueprint("places", __name__)
