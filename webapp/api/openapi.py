"""The OpenAPI 3.1 document of ``/api/v1`` (built in code, so it cannot drift from the
field list of the schema)."""

from __future__ import annotations

from typing import Any

from ml.credit.schema import CATEGORICAL_COLUMNS, ID_COLUMN, NUMERIC_COLUMNS

from ..clients.validation import BOUNDS, REQUIRED_FIELDS


def _application_schema() -> dict[str, Any]:
    properties: dict[str, Any] = {ID_COLUMN: {"type": "integer", "description": "ignored"}}
    for column in NUMERIC_COLUMNS:
        prop: dict[str, Any] = {"type": ["number", "null"]}
        if column in BOUNDS:
            prop["minimum"], prop["maximum"] = BOUNDS[column].low, BOUNDS[column].high
        properties[column] = prop
    for column in CATEGORICAL_COLUMNS:
        properties[column] = {"type": ["string", "null"]}
    return {"type": "object", "properties": properties, "required": list(REQUIRED_FIELDS),
            "additionalProperties": False,
            "description": "One application with Home Credit's raw field names. Absent "
                           "fields are missing values. DAYS_EMPLOYED may be 365243 (unknown)."}


def _score_schema(with_id: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "probability": {"type": "number", "description": "probability of default"},
        "threshold": {"type": "number", "description": "refused when probability >= threshold"},
        "decision": {"type": "string", "enum": ["accepted", "refused"],
                     "description": "the final decision: a decided human review's outcome "
                                    "on the current version of the application, else the "
                                    "model's"},
        "model_decision": {"type": "string", "enum": ["accepted", "refused"],
                           "description": "the model's decision (probability >= threshold: "
                                          "refused)"},
        "base_value": {"type": "number", "description": "log-odds of the average client"},
        "contributions": {"type": "object", "additionalProperties": {"type": "number"},
                          "description": "feature -> SHAP contribution (log-odds); "
                                         "base_value + sum = the model's margin"},
        "contribution_points": {
            "type": "object", "additionalProperties": {"type": "number"},
            "description": "feature -> the same contribution in percentage points of "
                           "probability: each log-odds contribution times (p - p0) / "
                           "(margin - base_value), p0 = sigmoid(base_value); they sum to "
                           "100 * (probability - p0)"},
        "reasons": {"type": "array", "items": {"$ref": "#/components/schemas/Reason"}},
        "model_version": {"type": "string"},
    }
    if with_id:
        properties = {"sk_id_curr": {"type": "integer"}, **properties}
    return {"type": "object", "properties": properties, "required": list(properties)}


def _vision_schema() -> dict[str, Any]:
    model = {"type": "object", "required": ["label", "label_text", "top5", "ms"], "properties": {
        "label": {"type": "string", "description": "the dataset's category name (English, "
                                                   "stable: use it in code)"},
        "label_text": {"type": "string", "description": "the category in the request's "
                                                        "language (?lang=fr, the default, "
                                                        "or en), for people"},
        "top5": {"type": "array", "description": "[dataset category, probability], most "
                                                 "probable first",
                 "items": {"type": "array", "prefixItems": [{"type": "string"},
                                                            {"type": "number"}]}},
        "ms": {"type": "number", "description": "inference time of this model"}}}
    reason = {"type": "object", "required": ["code"], "properties": {
        "code": {"type": "string", "enum": ["low_confidence", "models_disagree", "unfamiliar"]},
        "confidence": {"type": "number", "description": "low_confidence: the models' "
                                                        "averaged top probability"},
        "distance": {"type": "number", "description": "unfamiliar: mean cosine distance to "
                                                      "the nearest training photos"},
        "threshold": {"type": "number", "description": "the limit it crossed (chosen on "
                                                       "the validation split)"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "models_disagree: model -> its dataset category"}}}
    return {"type": "object", "required": ["models", "agree", "uncertain", "uncertainty"],
            "properties": {
                "models": {"type": "object", "additionalProperties": model,
                           "description": "model id (vit, efficientnet) -> its answer"},
                "agree": {"type": "boolean", "description": "both models chose the same "
                                                            "category"},
                "uncertain": {"type": "boolean",
                              "description": "true when the answer should be checked by a "
                                             "person: low confidence, the models disagree, "
                                             "or the photo looks unlike any product they "
                                             "know (a blank, noise or text image)"},
                "uncertainty": {"type": "object", "properties": {
                    "reasons": {"type": "array", "items": reason},
                    "rule": {"type": "string", "enum": ["validation", "default"],
                             "description": "thresholds chosen on the validation split, "
                                            "or the default rule of older models"}}}}}


def openapi_document() -> dict[str, Any]:
    """The document served at ``/api/v1/openapi.json``."""
    error = {"description": "error", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}}
    lang = {"name": "lang", "in": "query", "required": False,
            "schema": {"type": "string", "enum": ["fr", "en"], "default": "fr"},
            "description": "language of the reasons' text"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Prêt à dépenser — credit decisions", "version": "1.0.0",
                 "description": "Probability of default, decision and SHAP explanation. "
                                "Authenticate with `Authorization: Bearer <token>` "
                                "(`flask users token EMAIL`)."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/clients/{sk_id_curr}": {"get": {
                "summary": "Score and explanation of a stored client",
                "parameters": [{"name": "sk_id_curr", "in": "path", "required": True,
                                "schema": {"type": "integer"}}, lang],
                "responses": {"200": {"description": "the client's score", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ClientScore"}}}},
                    "401": error, "404": error, "503": error}}},
            "/score": {"post": {
                "summary": "Score and explain an application (nothing is stored)",
                "parameters": [lang],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Application"}}}},
                "responses": {"200": {"description": "the application's score", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Score"}}}},
                    "400": error, "401": error, "415": error, "422": error, "503": error}}},
            "/vision/classify": {"post": {
                "summary": "Classify a product photo with both image models (nothing is "
                           "stored; public, rate-limited per address)",
                "security": [],
                "parameters": [{**lang, "description": "language of each model's "
                                                       "label_text"}],
                "requestBody": {"required": True, "content": {"multipart/form-data": {
                    "schema": {"type": "object", "required": ["photo"], "properties": {
                        "photo": {"type": "string", "format": "binary",
                                  "description": "a JPEG, PNG or WebP photo"}}}}}},
                "responses": {"200": {"description": "each model's category", "content": {
                    "application/json": {"schema": {
                        "$ref": "#/components/schemas/VisionClassification"}}}},
                    "400": error, "413": error, "415": error, "422": error, "429": error,
                    "503": error}}},
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Application": _application_schema(),
                "Score": _score_schema(False),
                "ClientScore": _score_schema(True),
                "Reason": {"type": "object", "properties": {
                    "feature": {"type": "string"}, "label": {"type": "string"},
                    "value": {"type": "string"},
                    "direction": {"type": "string", "enum": ["against", "for"]},
                    "contribution": {"type": "number"}, "text": {"type": "string"}}},
                "VisionClassification": _vision_schema(),
                "Error": {"type": "object", "properties": {
                    "error": {"type": "string"}, "status": {"type": "integer"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}}},
                    "required": ["error", "status"]},
            },
        },
    }
