"""The authorization matrix: every route × {anonymous, advisor, admin}.

The table below must name every endpoint of the app: a new route without a line here fails
``test_every_route_is_in_the_matrix``, so no route can ship without its access decided.
"""

from __future__ import annotations

import pytest

from webapp.accounts.access import access_rule
from webapp.ui.assets import PARTIAL_BUNDLE, Bundle

ROLES = ("anonymous", "advisor", "admin")
LOGIN = "login"  # expected: redirected to the login page


def _whatif_form():
    return {"AMT_CREDIT": "500000", "AMT_ANNUITY": "25000", "TERM": "20",
            "AMT_GOODS_PRICE": "450000", "AMT_INCOME_TOTAL": "150000"}


def _new_application_form():
    return {"NAME_CONTRACT_TYPE": "Cash loans", "AGE": "40", "CNT_CHILDREN": "0",
            "CNT_FAM_MEMBERS": "2", "AMT_INCOME_TOTAL": "150000", "AMT_CREDIT": "500000",
            "AMT_ANNUITY": "25000"}


def _admin_gets(status: int) -> dict:
    """Admin-only, and what an admin gets with the (harmless) data sent."""
    return {"anonymous": LOGIN, "advisor": 403, "admin": status}


# endpoint -> (method, url template, form data, {role: expected status or LOGIN})
SESSION_OK = {"anonymous": LOGIN, "advisor": 200, "admin": 200}
ADMIN_ONLY = _admin_gets(200)
_PLOTLY = f"/vendor/plotly-{Bundle.read(PARTIAL_BUNDLE).digest}.min.js"
MATRIX = {
    "health.healthz": ("GET", "/healthz", None, {r: 200 for r in ROLES}),
    "assets.plotly_js": ("GET", _PLOTLY, None, {r: 200 for r in ROLES}),
    # the full bundle is the benchmark's baseline only (PLOTLY_BUNDLE = "full")
    "assets.plotly_full_js": ("GET", "/vendor/plotly.min.js", None, {r: 404 for r in ROLES}),
    "accounts.login": ("GET", "/login", None, {"anonymous": 200, "advisor": 302, "admin": 302}),
    "accounts.logout": ("POST", "/logout", {}, {"anonymous": LOGIN, "advisor": 302, "admin": 302}),
    "accounts.set_language": ("POST", "/langue", {"lang": "en"}, {r: 302 for r in ROLES}),
    "accounts.password": ("GET", "/compte/mot-de-passe", None, SESSION_OK),
    "clients.search": ("GET", "/", None, SESSION_OK),
    "clients.typeahead_results": ("GET", "/clients/typeahead?sk_id_curr=100", None, SESSION_OK),
    "clients.go": ("GET", "/clients/go?sk_id_curr={id}", None,
                   {"anonymous": LOGIN, "advisor": 302, "admin": 302}),
    "credit.client_page": ("GET", "/clients/{id}", None, SESSION_OK),
    "credit.section": ("GET", "/clients/{id}/sections/decision", None, SESSION_OK),
    "credit.whatif": ("POST", "/clients/{id}/what-if", _whatif_form(), SESSION_OK),
    "credit.sheet": ("GET", "/clients/{id}/fiche", None, SESSION_OK),
    "credit.new_application": ("GET", "/applications/new", None, SESSION_OK),
    "credit.draft_page": ("GET", "/applications/draft/{token}", None, SESSION_OK),
    "credit.draft_section": ("GET", "/applications/draft/{token}/sections/reasons", None,
                              SESSION_OK),
    "credit.draft_whatif": ("POST", "/applications/draft/{token}/what-if", _whatif_form(),
                             SESSION_OK),
    "credit.draft_sheet": ("GET", "/applications/draft/{token}/fiche", None, SESSION_OK),
    "credit.draft_save": ("POST", "/applications/draft/{token}/save", {},
                           {"anonymous": LOGIN, "advisor": 303, "admin": 303}),
    "credit.model_page": ("GET", "/modele", None, SESSION_OK),
    "credit.request_review": ("POST", "/clients/{id}/review", {"applicant_view": ""},
                               {"anonymous": LOGIN, "advisor": 422, "admin": 422}),
    "admin.index": ("GET", "/admin/", None, ADMIN_ONLY),
    "admin.clients": ("GET", "/admin/clients", None, ADMIN_ONLY),
    "admin.client": ("GET", "/admin/clients/{id}", None, ADMIN_ONLY),
    "admin.client_edit": ("POST", "/admin/clients/{id}/edit", {"version": "999999"},
                          _admin_gets(409)),
    "admin.client_delete": ("POST", "/admin/clients/{id}/delete", {"version": "999999"},
                            _admin_gets(409)),
    "admin.import_upload": ("GET", "/admin/import", None, ADMIN_ONLY),
    "admin.import_confirm": ("POST", "/admin/import/" + "0" * 32, {}, _admin_gets(410)),
    "admin.jobs": ("GET", "/admin/jobs", None, ADMIN_ONLY),
    "admin.job": ("GET", "/admin/jobs/999999", None, _admin_gets(404)),
    "admin.jobs_rescore": ("POST", "/admin/jobs/rescore", {}, _admin_gets(303)),
    "admin.jobs_train": ("POST", "/admin/jobs/train", {}, _admin_gets(422)),  # unconfirmed
    "admin.records": ("GET", "/admin/records", None, ADMIN_ONLY),
    "admin.records_csv": ("GET", "/admin/records.csv?sk_id_curr=1", None, ADMIN_ONLY),
    "admin.reviews": ("GET", "/admin/reviews", None, ADMIN_ONLY),
    "admin.review": ("POST", "/admin/reviews/999999", {}, _admin_gets(404)),
    "admin.users": ("GET", "/admin/users", None, ADMIN_ONLY),
    "admin.user_create": ("POST", "/admin/users", {"email": ""}, _admin_gets(422)),
    "admin.user_role": ("POST", "/admin/users/999999/role", {"role": "admin"}, _admin_gets(404)),
    "admin.user_deactivate": ("POST", "/admin/users/999999/deactivate", {}, _admin_gets(404)),
    "admin.user_reactivate": ("POST", "/admin/users/999999/reactivate", {}, _admin_gets(404)),
    "admin.user_password": ("POST", "/admin/users/999999/password", {}, _admin_gets(404)),
    "api.openapi": ("GET", "/api/v1/openapi.json", None, {r: 200 for r in ROLES}),
    "api.client_score": ("GET", "/api/v1/clients/{id}", None,
                         {"anonymous": 401, "advisor": 200, "admin": 200}),
    "vision.image_page": ("GET", "/image", None, {r: 200 for r in ROLES}),
    "vision.classify_page": ("POST", "/image", {}, {r: 400 for r in ROLES}),
    "vision.occlusion_overlay": ("POST", "/image/occlusion", {}, {r: 400 for r in ROLES}),
    "vision.gallery_photo": ("GET", "/image/galerie/..%2Fsecret.jpg", None,
                             {r: 404 for r in ROLES}),
    "vision.study_page": ("GET", "/image/etude", None, {r: 200 for r in ROLES}),
    "vision.api_classify": ("POST", "/api/v1/vision/classify", {}, {r: 400 for r in ROLES}),
    # Evaluating a folder costs minutes of a worker: signed-in users only; an evaluation is
    # seen by its owner and admins (a number nobody owns is a 404 for everyone signed in).
    "vision.evaluate_page": ("GET", "/image/evaluer", None, SESSION_OK),
    "vision.evaluate_upload": ("POST", "/image/evaluer", {}, {"anonymous": LOGIN,
                                                              "advisor": 400, "admin": 400}),
    "vision.evaluation": ("GET", "/image/evaluer/987654", None, {"anonymous": LOGIN,
                                                                 "advisor": 404, "admin": 404}),
    "api.score": ("POST", "/api/v1/score", "json", {"anonymous": 401, "advisor": 200,
                                                    "admin": 200}),
}


@pytest.fixture(scope="module")
def draft(app, user_emails):
    """A draft application's id (stored server-side)."""
    from webapp.accounts.models import User
    from webapp.credit.drafts import create_draft
    from webapp.extensions import db

    with app.app_context():
        author = db.session.query(User).filter_by(email=user_emails["advisor"]).one()
        created = create_draft(db.session, {"NAME_CONTRACT_TYPE": "Cash loans",
                                            "DAYS_BIRTH": -14000, "AMT_INCOME_TOTAL": 150000.0,
                                            "AMT_CREDIT": 500000.0, "AMT_ANNUITY": 25000.0,
                                            "CNT_CHILDREN": 0}, author)
        db.session.commit()
        return created.id


@pytest.fixture(scope="module")
def tokens(app, user_emails):
    """An API token for each role."""
    from webapp.accounts.models import User
    from webapp.accounts.service import issue_token
    from webapp.extensions import db

    with app.app_context():
        issued = {}
        for role, email in user_emails.items():
            user = db.session.query(User).filter_by(email=email).one()
            issued[role] = issue_token(db.session, user)
        db.session.commit()
        return issued


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert endpoints == set(MATRIX)


def test_every_view_declares_who_may_call_it(app):
    assert all(access_rule(app, endpoint) for endpoint in app.view_functions)


@pytest.fixture(scope="module")
def vision_models(app):
    """The vision domain's stand-in models: the image routes answer as with real ones."""
    from tests.webapp.vision.standins import install_stub_models

    return install_stub_models(app)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_access(endpoint, role, app, login_as, csrf_token, seeded_ids, draft, tokens,
                vision_models):
    method, template, data, expected = MATRIX[endpoint]
    browser = app.test_client() if role == "anonymous" else login_as(role)
    url = template.format(id=seeded_ids[0], token=draft)
    headers = {}
    if endpoint.startswith("api.") and role != "anonymous":
        headers["Authorization"] = f"Bearer {tokens[role]}"
    if method == "POST" and data != "json":
        token = csrf_token(browser)
        response = browser.post(url, data={**(data or {}), "csrf_token": token}, headers=headers)
    elif method == "POST":
        response = browser.post(url, json={"AMT_INCOME_TOTAL": 150000, "AMT_CREDIT": 500000,
                                           "AMT_ANNUITY": 25000, "DAYS_BIRTH": -14000},
                                headers=headers)
    else:
        response = browser.get(url, headers=headers)
    want = expected[role]
    if want == LOGIN:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    else:
        assert response.status_code == want, response.get_data(as_text=True)[:500]


def test_anonymous_htmx_request_is_sent_to_login(client, seeded_ids):
    response = client.get(f"/clients/{seeded_ids[0]}/sections/decision",
                          headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login"


def test_api_ignores_the_session_cookie(login_as, seeded_ids):
    response = login_as("advisor").get(f"/api/v1/clients/{seeded_ids[0]}")
    assert response.status_code == 401
    assert response.get_json()["error"]


def test_api_rejects_a_forged_token(client, seeded_ids):
    response = client.get(f"/api/v1/clients/{seeded_ids[0]}",
                          headers={"Authorization": "Bearer pad_not-a-real-token"})
    assert response.status_code == 401
