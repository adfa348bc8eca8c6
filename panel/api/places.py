"""Placeholder API blueprint."""

from flask_smorest import Blueprint

blp = Blueprint("api_places", __name__, description="places")
