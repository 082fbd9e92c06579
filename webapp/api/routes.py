"""``/api/v1``: score a stored client or a posted application; the OpenAPI document.

Bearer tokens only (``flask users token EMAIL``); the session cookie is never accepted here,
so the API needs no CSRF token. Errors are JSON: ``{"error", "status"}`` and, for a bad
application, ``"fields": {field: problem}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import force_locale
from werkzeug.exceptions import NotFound

from ml.credit.schema import RecordError
from ml.serving.credit import CreditModel, Explanation

from ..accounts.access import public, token_required
from ..clients.final_decision import decision_status
from ..clients.models import Client
from ..clients.storage import decode_record
from ..clients.validation import check_record
from ..credit.explanations import explain, reasons
from ..credit.points import probability_points
from ..extensions import db
from ..inputs import JsonBodyError, load_json
from ..model_store import models
from .openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_FIELDS = 500
#: An application is about 120 fields: 64 kB is ample.
MAX_BODY_BYTES = 64 * 1024


def _language() -> str:
    return "en" if request.args.get("lang") == "en" else "fr"


def _error(status: int, message: str, fields: dict[str, str] | None = None):
    body: dict[str, Any] = {"error": message, "status": status}
    if fields is not None:
        body["fields"] = fields
    return jsonify(body), status


def _model() -> CreditModel | None:
    return models().credit


def api_payload(model: CreditModel, explanation: Explanation, record: Mapping[str, Any],
                lang: str, final_decision: str | None = None) -> dict[str, Any]:
    """The JSON answer of a score (without the ID); reasons in ``lang``. ``decision`` is the
    final decision (``final_decision``, a decided review's, when given), ``model_decision``
    the model's."""
    with force_locale(lang):
        against, in_favour = reasons(model, explanation, record)
        reason_list = [r.as_dict() for r in against + in_favour]
    points = probability_points(explanation.base_value, explanation.margin,
                                explanation.contributions)
    return {
        "probability": explanation.probability,
        "threshold": explanation.threshold,
        "decision": final_decision or explanation.decision,
        "model_decision": explanation.decision,
        "base_value": explanation.base_value,
        "contributions": dict(explanation.contributions),
        "contribution_points": {name: 100 * value for name, value in points.items()},
        "reasons": reason_list,
        "model_version": str(model.version),
    }


@bp.get("/openapi.json")
@public
def openapi():
    """The OpenAPI 3.1 description of this API (public: it holds no data)."""
    return jsonify(openapi_document())


@bp.get("/clients/<client_id:sk_id_curr>")
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
    explanation = explain(model, record)
    status = decision_status(db.session, sk_id_curr, client.version, explanation.decision)
    payload = {"sk_id_curr": sk_id_curr,
               **api_payload(model, explanation, record, _language(), status.final)}
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
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return _error(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    data = request.get_data(cache=True)
    if len(data) > MAX_BODY_BYTES:  # sent without a length
        return _error(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    try:  # depth and number range bounded (webapp/inputs.py)
        body = load_json(data)
    except JsonBodyError as exc:
        return _error(400, str(exc))
    if not isinstance(body, dict):
        return _error(422, "the body must be a JSON object of raw application fields", {})
    if len(body) > MAX_FIELDS:
        return _error(422, "too many fields", {})
    with force_locale("en"):  # the API's messages are English
        record, problems = check_record(body, reject_unknown=True)
    if problems:
        return _error(422, "invalid application", problems)
    try:
        explanation = explain(model, record)
    except RecordError as exc:
        return _error(422, "invalid application", exc.fields)
    return jsonify(api_payload(model, explanation, record, _language()))
