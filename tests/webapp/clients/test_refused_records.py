"""What used to be stored and must be refused, with a message and nothing written: an
application ID beyond 12 digits in a CSV, a 2 MB text cell, a NUL byte inside a number, an
admin edit that empties the fields needed to score, and an edit that changes nothing."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from sqlalchemy import func, select

from webapp.clients.editing import form_values
from webapp.clients.models import ApplicationVersion, Client
from webapp.clients.storage import decode_record


@pytest.fixture(scope="module")
def one_row(seed_csv) -> pd.DataFrame:
    frame = pd.read_csv(seed_csv, nrows=1, dtype={"SK_ID_CURR": str})
    frame["SK_ID_CURR"] = "981000001"
    return frame


def _count(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Client))


def _upload(browser, token, frame: pd.DataFrame):
    """The file posted as the browser does; the body is built in memory (werkzeug's test
    builder spools a large one to a temporary file it never closes)."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    content = frame.to_csv(index=False).encode("utf-8")
    upload = FileStorage(io.BytesIO(content), filename="x.csv", content_type="text/csv")
    boundary, body = encode_multipart({"csrf_token": token, "file": upload})
    return browser.post("/admin/import", data=body,
                        content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize("column, value, message", [
    ("SK_ID_CURR", "99999999999999999999", "identifiant vide ou non entier positif"),
    ("SK_ID_CURR", "1000000000000", "identifiant vide ou non entier positif"),
    ("NAME_CONTRACT_TYPE", "x" * 2_000_000, "100 caractères au plus"),
    ("ORGANIZATION_TYPE", "Business\x1bEntity", "caractère de contrôle"),
    ("AMT_CREDIT", "5\x1b0000", "doit être un nombre"),
])
def test_a_bad_csv_cell_is_refused_and_nothing_is_written(admin_browser, db, one_row, column,
                                                          value, message):
    admin, token = admin_browser
    frame = one_row.copy()
    frame[column] = value
    before = _count(db)
    response = _upload(admin, token, frame)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-testid="import-valid"' not in html and message in html
    assert "-9223372036854775808" not in html
    assert _count(db) == before


def test_a_nul_byte_deep_in_a_csv_is_refused_not_dropped(admin_browser, db, seed_csv):
    """pandas reads a NUL as a space (or cuts a number at it): the whole file is checked."""
    frame = pd.read_csv(seed_csv, nrows=30)
    frame["SK_ID_CURR"] = range(982_000_001, 982_000_031)
    frame["AMT_CREDIT"] = frame["AMT_CREDIT"].astype(str)
    frame.loc[29, "AMT_CREDIT"] = "5\x000000"
    admin, token = admin_browser
    before = _count(db)
    content = frame.to_csv(index=False).encode("utf-8")
    assert content.index(b"\x00") > 8192
    response = admin.post("/admin/import", content_type="multipart/form-data",
                          data={"csrf_token": token, "file": (io.BytesIO(content), "x.csv")})
    assert response.status_code == 422 and "contenu binaire" in response.get_data(as_text=True)
    assert _count(db) == before


def test_the_import_service_refuses_an_id_that_would_wrap_around(db, one_row, tmp_path):
    from webapp.clients.importing import ImportFileError, import_applications

    frame = one_row.copy()
    frame["SK_ID_CURR"] = "99999999999999999999"
    path = tmp_path / "wrap.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(ImportFileError, match="from 1 to 999999999999"):
        import_applications(db.session, path, None)
    db.session.rollback()


def _edit_form(db, sk_id: int, **changes) -> dict[str, str]:
    client = db.session.get(Client, sk_id)
    values = form_values(decode_record(client.raw_record))
    values.update(changes, version=str(client.version))
    return values


def test_an_edit_cannot_empty_the_fields_needed_to_score(admin_browser, db, fresh_client):
    sk_id = fresh_client()
    admin, token = admin_browser
    data = {name: "" for name in _edit_form(db, sk_id)}
    data.update(version="1", csrf_token=token)
    response = admin.post(f"/admin/clients/{sk_id}/edit", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("AMT_INCOME_TOTAL", "AMT_CREDIT", "DAYS_BIRTH"):
        assert f'id="f-{field}-error"' in html
    db.session.expire_all()
    assert db.session.get(Client, sk_id).version == 1


def test_a_nul_byte_in_a_number_is_refused_not_dropped(db, fresh_client):
    from webapp.clients.editing import parse_edit

    sk_id = fresh_client()
    record = decode_record(db.session.get(Client, sk_id).raw_record)
    values = _edit_form(db, sk_id, AMT_CREDIT="5\x000000")
    clean, errors = parse_edit(values, record)
    assert "AMT_CREDIT" in errors and "contrôle" in errors["AMT_CREDIT"]


def test_a_nul_byte_in_any_form_is_refused_with_a_message(admin_browser, db, fresh_client):
    sk_id = fresh_client()
    admin, token = admin_browser
    response = admin.post(f"/admin/clients/{sk_id}/edit",
                          data=_edit_form(db, sk_id, AMT_CREDIT="5\x000000", csrf_token=token))
    assert response.status_code == 400
    assert "caractère de contrôle" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Client, sk_id).version == 1


def test_an_unchanged_save_says_so_and_writes_nothing(admin_browser, db, fresh_client):
    sk_id = fresh_client()
    admin, token = admin_browser
    response = admin.post(f"/admin/clients/{sk_id}/edit",
                          data=_edit_form(db, sk_id, csrf_token=token))
    assert response.status_code == 303
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Aucune modification" in page
    db.session.expire_all()
    assert db.session.get(Client, sk_id).version == 1
    assert db.session.query(ApplicationVersion).filter_by(sk_id_curr=sk_id).count() == 0


def test_one_text_limit_for_the_api_the_edit_and_the_import(api_headers, client):
    long = {"AMT_INCOME_TOTAL": 1e5, "AMT_CREDIT": 2e5, "AMT_ANNUITY": 1e4,
            "DAYS_BIRTH": -12000, "NAME_CONTRACT_TYPE": "x" * 101}
    response = client.post("/api/v1/score", json=long, headers=api_headers)
    assert response.status_code == 422
    assert "NAME_CONTRACT_TYPE" in response.get_json()["fields"]


@pytest.fixture
def api_headers(app, db, user_emails):
    from webapp.accounts.models import User
    from webapp.accounts.service import issue_token

    user = db.session.query(User).filter_by(email=user_emails["advisor"]).one()
    token = issue_token(db.session, user)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("body, status, needle", [
    (b"[" * 1000 + b"]" * 1000, 400, "deeper"),
    (b'{"AMT_CREDIT": 1' + b"0" * 309 + b"}", 422, "AMT_CREDIT"),
    (b'{"AMT_CREDIT": NaN}', 400, "NaN"),
    (b'{"AMT_INCOME_TOTAL": 100000, "AMT_CREDIT": 20000000000000000000000, '
     b'"AMT_ANNUITY": 10000, "DAYS_BIRTH": -12000}', 422, "AMT_CREDIT"),
])
def test_hostile_json_gets_a_clear_4xx(client, api_headers, body, status, needle):
    response = client.post("/api/v1/score", data=body,
                           headers={**api_headers, "Content-Type": "application/json"})
    assert response.status_code == status
    assert needle in response.get_data(as_text=True)


def test_the_records_csv_names_its_charset_once(admin_browser):
    admin, _ = admin_browser
    response = admin.get("/admin/records.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_a_failed_import_job_shows_no_sql(app, db, admin_browser, monkeypatch, tmp_path,
                                          one_row):
    from webapp.jobs import imports
    from webapp.jobs.queue import dispatch

    def broken(*args, **kwargs):
        raise RuntimeError("(sqlite3.OperationalError) no such table: clients [SQL: INSERT]")

    monkeypatch.setattr(imports, "prepare_import", broken)
    path = tmp_path / "job.csv"
    one_row.to_csv(path, index=False)
    upload = imports.store_upload(db.session, "f" * 32, "job.csv", path, 1, "admin@example.com")
    job = imports.record_import(db.session, upload, "admin@example.com")
    dispatch(db.session, job)  # the session app runs jobs at once
    job_id = job.id
    admin, _ = admin_browser
    html = admin.get(f"/admin/jobs/{job_id}").get_data(as_text=True)
    assert "erreur interne" in html and "SQL" not in html and "sqlite3" not in html


def test_the_error_page_renders_after_a_failed_write(admin_browser, db, fresh_client,
                                                     monkeypatch):
    """A write the database refuses leaves the session unusable: the 500 page rolls it back
    first and renders in full (it used to be a bare Werkzeug page)."""
    from webapp.admin import clients as admin_clients

    def clashing_update(session, client, *args, **kwargs):
        for _ in range(2):  # the same (client, version) twice: a unique index refuses it
            session.add(ApplicationVersion(sk_id_curr=client.sk_id_curr, version=1,
                                           raw_record=b"x", changed_fields="",
                                           created_by="test"))
        session.flush()

    monkeypatch.setattr(admin_clients, "update_client", clashing_update)
    sk_id = fresh_client()
    admin, token = admin_browser
    response = admin.post(f"/admin/clients/{sk_id}/edit",
                          data=_edit_form(db, sk_id, AMT_CREDIT="123456", csrf_token=token))
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Erreur interne" in html and "admin@example.com" in html  # the whole page
    assert "Traceback" not in html and "IntegrityError" not in html
