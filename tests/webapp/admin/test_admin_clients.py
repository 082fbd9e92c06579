"""Admin views of the clients: list, search, view, edit (a new version, re-scored, with
its history), delete with confirmation; a stale edit is refused (no lost update)."""

from __future__ import annotations

import pytest

from webapp.clients.editing import form_values
from webapp.clients.models import ApplicationVersion, Client, DecisionRecord
from webapp.clients.storage import decode_record

pytestmark = pytest.mark.db  # run on PostgreSQL too (scripts/test.sh)


def _form(db, sk_id, **changes):
    client = db.session.get(Client, sk_id)
    values = form_values(decode_record(client.raw_record))
    values.update(changes)
    values["version"] = str(client.version)
    return values


def _client(db, sk_id) -> Client:
    db.session.expire_all()
    return db.session.get(Client, sk_id)


def test_admins_list_and_search_clients(admin_browser, seeded_ids):
    admin, _ = admin_browser
    html = admin.get("/admin/clients").get_data(as_text=True)
    assert f"/admin/clients/{seeded_ids[0]}" in html
    found = admin.get(f"/admin/clients?q={str(seeded_ids[3])}", headers={"HX-Request": "true"})
    assert found.status_code == 200 and f"/admin/clients/{seeded_ids[3]}" in found.get_data(
        as_text=True)
    bad = admin.get("/admin/clients?q=abc")
    assert bad.status_code == 422 and "chiffres uniquement" in bad.get_data(as_text=True)
    assert admin.get("/admin/clients?page=zz").status_code == 200


def test_the_client_view_shows_fields_and_history(admin_browser, fresh_client):
    sk_id = fresh_client()
    admin, _ = admin_browser
    html = admin.get(f"/admin/clients/{sk_id}").get_data(as_text=True)
    assert "AMT_CREDIT" in html and "Historique des versions" in html
    assert admin.get("/admin/clients/1").status_code == 404


def test_an_edit_creates_a_rescored_version(admin_browser, db, fresh_client, model,
                                            user_emails):
    sk_id = fresh_client()
    before = _client(db, sk_id)
    old_probability = before.probability
    admin, token = admin_browser
    assert "AMT_CREDIT" in admin.get(f"/admin/clients/{sk_id}/edit").get_data(as_text=True)
    data = _form(db, sk_id, AMT_CREDIT="4 000 000", AMT_ANNUITY="200000,5", csrf_token=token)
    response = admin.post(f"/admin/clients/{sk_id}/edit", data=data)
    assert response.status_code == 303
    client = _client(db, sk_id)
    assert client.version == 2 and client.credit_amount == 4_000_000
    assert decode_record(client.raw_record)["AMT_ANNUITY"] == 200000.5
    assert client.probability != pytest.approx(old_probability)
    assert client.model_version == str(model.version)
    versions = db.session.query(ApplicationVersion).filter_by(sk_id_curr=sk_id).order_by(
        ApplicationVersion.version).all()
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].probability == pytest.approx(old_probability)
    assert "AMT_CREDIT" in versions[1].changed_fields and versions[1].created_by == \
        user_emails["admin"]
    page = admin.get(f"/admin/clients/{sk_id}").get_data(as_text=True)
    assert "(actuelle)" in page and "AMT_CREDIT, AMT_ANNUITY" in page
    # the advisor's explanations now name version 2
    admin.get(f"/clients/{sk_id}")
    record = db.session.query(DecisionRecord).filter_by(sk_id_curr=sk_id).order_by(
        DecisionRecord.id.desc()).first()
    assert record.application_version == 2


@pytest.mark.parametrize("changes,field", [
    ({"AMT_CREDIT": "beaucoup"}, "AMT_CREDIT"),
    ({"AMT_CREDIT": "-5"}, "AMT_CREDIT"),
    ({"DAYS_BIRTH": "100"}, "DAYS_BIRTH"),
    ({"EXT_SOURCE_2": "7"}, "EXT_SOURCE_2"),
    ({"AMT_INCOME_TOTAL": "1e400"}, "AMT_INCOME_TOTAL"),
    ({"NAME_CONTRACT_TYPE": "x" * 500}, "NAME_CONTRACT_TYPE"),
    ({"CNT_CHILDREN": "<script>alert(1)</script>"}, "CNT_CHILDREN"),
])
def test_a_bad_edit_is_refused_field_by_field(admin_browser, db, fresh_client, changes, field):
    sk_id = fresh_client()
    raw_before = _client(db, sk_id).raw_record
    admin, token = admin_browser
    response = admin.post(f"/admin/clients/{sk_id}/edit",
                          data=_form(db, sk_id, csrf_token=token, **changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="f-{field}-error"' in html and 'aria-invalid="true"' in html
    assert "<script>alert(1)</script>" not in html
    client = _client(db, sk_id)
    assert client.version == 1 and client.raw_record == raw_before


def test_an_edit_without_csrf_or_version_is_refused(admin_browser, db, fresh_client):
    sk_id = fresh_client()
    admin, token = admin_browser
    no_csrf = _form(db, sk_id, AMT_CREDIT="1000")
    assert admin.post(f"/admin/clients/{sk_id}/edit", data=no_csrf).status_code == 400
    no_version = _form(db, sk_id, AMT_CREDIT="1000", csrf_token=token)
    no_version.pop("version")
    assert admin.post(f"/admin/clients/{sk_id}/edit", data=no_version).status_code == 400
    assert _client(db, sk_id).version == 1


def test_two_admins_editing_the_same_client(admin_browser, login_as, csrf_token, db,
                                            fresh_client):
    """Both open the form on version 1; the first save wins, the second is refused."""
    sk_id = fresh_client()
    first, first_token = admin_browser
    second = login_as("admin")
    second_token = csrf_token(second, "/")
    form_first = _form(db, sk_id, AMT_CREDIT="300000", csrf_token=first_token)
    form_second = _form(db, sk_id, AMT_CREDIT="900000", csrf_token=second_token)
    assert first.post(f"/admin/clients/{sk_id}/edit", data=form_first).status_code == 303
    response = second.post(f"/admin/clients/{sk_id}/edit", data=form_second)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "modifié par quelqu'un d'autre" in html and 'data-testid="conflict"' in html
    assert 'value="900000"' in html  # the refused input is kept for the user
    client = _client(db, sk_id)
    assert client.version == 2 and client.credit_amount == 300000  # the first save stands
    # resubmitting the same stale form is still refused
    assert second.post(f"/admin/clients/{sk_id}/edit", data=form_second).status_code == 409


def test_the_version_check_holds_in_the_service_too(db, fresh_client, model):
    """A race between the check and the UPDATE: the row's version guards the write."""
    from sqlalchemy import text

    from webapp.clients.editing import ConcurrentEditError, update_client

    sk_id = fresh_client()
    client = db.session.get(Client, sk_id)
    record = dict(decode_record(client.raw_record), AMT_CREDIT=123456.0)
    with db.engine.begin() as other:  # another worker saves meanwhile
        other.execute(text("UPDATE clients SET version = 2 WHERE sk_id_curr = :id"),
                      {"id": sk_id})
    with pytest.raises(ConcurrentEditError):
        update_client(db.session, client, record, 1, model, "x@example.com")
    db.session.rollback()  # the caller owns the transaction (services never commit)
    assert db.session.query(ApplicationVersion).filter_by(sk_id_curr=sk_id).count() == 0


def test_delete_asks_for_confirmation_and_keeps_the_records(admin_browser, db, fresh_client):
    sk_id = fresh_client()
    admin, token = admin_browser
    admin.get(f"/clients/{sk_id}")  # leaves a decision record
    page = admin.get(f"/admin/clients/{sk_id}/delete").get_data(as_text=True)
    assert "définitive" in page and _client(db, sk_id) is not None
    stale = admin.post(f"/admin/clients/{sk_id}/delete", data={"csrf_token": token,
                                                               "version": "7"})
    assert stale.status_code == 409 and _client(db, sk_id) is not None
    assert admin.post(f"/admin/clients/{sk_id}/delete",
                      data={"version": "1"}).status_code == 400  # no CSRF token
    response = admin.post(f"/admin/clients/{sk_id}/delete", data={"csrf_token": token,
                                                                  "version": "1"})
    assert response.status_code == 303
    assert _client(db, sk_id) is None
    assert db.session.query(DecisionRecord).filter_by(sk_id_curr=sk_id).count() >= 1
    assert admin.get(f"/admin/clients/{sk_id}").status_code == 404
