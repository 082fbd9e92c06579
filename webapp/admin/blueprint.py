"""The ``admin`` blueprint, shared by the admin modules (one module per resource)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
