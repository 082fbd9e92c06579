"""``/api/v1``: score a stored client or a posted application; the OpenAPI document.

Bearer tokens only (``flask users token EMAIL``); the session cookie is never accepted here,
so the API needs no CSRF token. Errors are JSON: ``{"error", "status"}`` and, for a bad
application, ``"fields": {field: problem}``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import NotFound

from ml.credit.schema import RecordError

from ..auth.access import public, token_required
from ..extensions import db
from ..models import Client
from ..models_registry import models
from ..services.applications import check_record
from ..services.explanations import api_payload, explain
from ..services.records import decode_record
from .openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_FIELDS = 500


def _language() -> str:
    return "en" if request.args.get("lang") == "en" else "fr"


def _error(status: int, message: str, fields: dict[str, str] | None = None):
    body: dict[str, Any] = {"error": message, "status": status}
    if fields is not None:
        body["fields"] = fields
    return jsonify(body), status


def _model():
    return models().credit


@bp.get("/openapi.json")
@public
def openapi():
    """The OpenAPI 3.1 description of this API (public: it holds no data)."""
    return jsonify(openapi_document())


@bp.get("/clients/<int:sk_id_curr>")
@token_required()
def client_score(sk_id_curr: int):
    """Score and explanation of a stored client."""
    model = _model()
    if model is None:
        return _error(503, "the credit model is not loaded")
    client = db.session.get(Client, sk_id_curr)
    if client is None:
        raise NotFound(f"no client with SK_ID_CURR {sk_id_curr}")
    record = decode_record(client.raw_record)
    payload = {"sk_id_curr": sk_id_curr,
               **api_payload(model, explain(model, record), record, _language())}
    return jsonify(payload)


@bp.post("/score")
@token_required()
def score():
    """Score and explain an application given as raw Kaggle fields (nothing is stored)."""
    model = _model()
    if model is None:
        return _error(503, "the credit model is not loaded")
    if not request.is_json:
        return _error(415, "send the application as JSON (Content-Type: application/json)")
    body = request.get_json(silent=True)
    if body is None:
        return _error(400, "the body is not valid JSON")
    if not isinstance(body, dict):
        return _error(422, "the body must be a JSON object of raw application fields", {})
    if len(body) > MAX_FIELDS:
        return _error(422, "too many fields", {})
    record, problems = check_record(body, lang="en", reject_unknown=True)
    if problems:
        return _error(422, "invalid application", problems)
    try:
        explanation = explain(model, record)
    except RecordError as exc:
        return _error(422, "invalid application", exc.fields)
    return jsonify(api_payload(model, explanation, record, _language()))
