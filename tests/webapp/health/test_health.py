"""``GET /healthz``: what an operator or a load balancer reads."""

from __future__ import annotations


def test_healthz_reports_database_models_and_versions(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] is True
    credit = body["models"]["credit"]
    assert credit["loaded"] is True and credit["version"].startswith("credit-")
    assert credit["error"] is None
    assert body["versions"]["xgboost-cpu"] and body["versions"]["python"].startswith("3.")
    assert "SECRET" not in response.get_data(as_text=True).upper()


def test_plotly_is_served_to_anyone(client):
    from webapp.ui.assets import PARTIAL_BUNDLE, Bundle

    response = client.get(f"/vendor/plotly-{Bundle.read(PARTIAL_BUNDLE).digest}.min.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert b"plotly" in response.data[:2000].lower()
