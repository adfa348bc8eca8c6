"""Placeholder API blueprint."""

from flask_smorest import Blueprint

blp = Blueprint("api_contacts", __name__, description="contacts")
