"""The JSON API: exact shapes, equal to the model, named fields on bad input."""

from __future__ import annotations

import pytest

from webapp.clients.models import Client
from webapp.clients.storage import decode_record

pytestmark = pytest.mark.db  # run on PostgreSQL too (scripts/test.sh)

KEYS = {"probability", "threshold", "decision", "model_decision", "base_value",
        "contributions", "contribution_points", "reasons", "model_version"}
APPLICATION = {"AMT_INCOME_TOTAL": 180000, "AMT_CREDIT": 675000, "AMT_ANNUITY": 32000,
               "AMT_GOODS_PRICE": 675000, "DAYS_BIRTH": -12000, "DAYS_EMPLOYED": -2000,
               "NAME_CONTRACT_TYPE": "Cash loans", "CODE_GENDER": "F", "EXT_SOURCE_2": 0.6,
               "EXT_SOURCE_3": 0.5}


def test_client_endpoint_matches_the_model(client, bearer, db, model, seeded_ids):
    sk_id = seeded_ids[7]
    body = client.get(f"/api/v1/clients/{sk_id}", headers=bearer).get_json()
    assert set(body) == KEYS | {"sk_id_curr"}
    explanation = model.explain(decode_record(db.session.get(Client, sk_id).raw_record))
    assert body["sk_id_curr"] == sk_id
    assert body["probability"] == pytest.approx(explanation.probability)
    assert body["decision"] == explanation.decision in ("accepted", "refused")
    assert body["threshold"] == pytest.approx(model.threshold)
    assert body["base_value"] == pytest.approx(explanation.base_value)
    assert body["contributions"] == pytest.approx(explanation.contributions)
    assert body["model_version"] == model.version
    assert body["reasons"] and {"feature", "text", "direction"} <= set(body["reasons"][0])


def test_unknown_client_is_a_json_404(client, bearer):
    response = client.get("/api/v1/clients/999999999", headers=bearer)
    assert response.status_code == 404 and response.get_json()["status"] == 404


def test_score_endpoint(client, bearer, model):
    response = client.post("/api/v1/score", json=APPLICATION, headers=bearer)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == KEYS
    expected = model.explain(APPLICATION)
    assert body["probability"] == pytest.approx(expected.probability)
    assert body["contributions"] == pytest.approx(expected.contributions)
    english = client.post("/api/v1/score?lang=en", json=APPLICATION, headers=bearer).get_json()
    assert english["reasons"][0]["label"] != body["reasons"][0]["label"] or \
        english["reasons"][0]["text"] != body["reasons"][0]["text"]


@pytest.mark.parametrize("payload, fields", [
    ({**APPLICATION, "AMT_CREDIT": "lots"}, {"AMT_CREDIT"}),
    ({**APPLICATION, "AMT_CREDIT": -1}, {"AMT_CREDIT"}),
    ({**APPLICATION, "AMT_INCOME_TOTAL": 1e300}, {"AMT_INCOME_TOTAL"}),
    ({**APPLICATION, "CODE_GENDER": 3}, {"CODE_GENDER"}),
    ({**APPLICATION, "AMT_CREDITT": 1}, {"AMT_CREDITT"}),
    ({k: v for k, v in APPLICATION.items() if k != "DAYS_BIRTH"}, {"DAYS_BIRTH"}),
    ({}, {"AMT_INCOME_TOTAL", "AMT_CREDIT", "AMT_ANNUITY", "DAYS_BIRTH"}),
])
def test_bad_application_names_the_fields(client, bearer, payload, fields):
    response = client.post("/api/v1/score", json=payload, headers=bearer)
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == fields


def test_malformed_bodies(client, bearer):
    not_json = client.post("/api/v1/score", data="{oops",
                           headers={**bearer, "Content-Type": "application/json"})
    assert not_json.status_code == 400 and not_json.get_json()["error"]
    assert client.post("/api/v1/score", data="x=1", headers=bearer).status_code == 415
    array = client.post("/api/v1/score", json=[1, 2], headers=bearer)
    assert array.status_code == 422


def test_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert {"/clients/{sk_id_curr}", "/score"} <= set(doc["paths"])
    assert "AMT_CREDIT" in doc["components"]["schemas"]["Application"]["properties"]
