"""CSV import from the browser: a preview, every bad row listed, nothing written unless the
whole file is valid; then a job on the queue whose page shows its progress (the session app
runs its jobs at once; tests/jobs runs them on real workers)."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from sqlalchemy import delete, func, select

from webapp.clients.models import Client
from webapp.jobs.models import Job, StoredUpload

pytestmark = pytest.mark.db  # run on PostgreSQL too (scripts/test.sh)

FIRST_ID = 980_000_001


@pytest.fixture(scope="module")
def rows(seed_csv) -> pd.DataFrame:
    """Five real applications under new IDs."""
    frame = pd.read_csv(seed_csv, nrows=5)
    frame["SK_ID_CURR"] = range(FIRST_ID, FIRST_ID + 5)
    return frame


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def _count(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Client))


def _upload(browser, token, content: bytes, name="clients.csv"):
    return browser.post("/admin/import", content_type="multipart/form-data",
                        data={"csrf_token": token, "file": (io.BytesIO(content), name)})


@pytest.fixture
def cleanup(db):
    yield
    db.session.execute(delete(Client).where(Client.sk_id_curr >= FIRST_ID,
                                            Client.sk_id_curr < FIRST_ID + 1000))
    db.session.commit()


def test_a_valid_file_is_previewed_then_imported(admin_browser, db, rows, cleanup):
    admin, token = admin_browser
    before = _count(db)
    response = _upload(admin, token, _csv(rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="import-valid"' in html
    assert "5 dossiers prêts" in html and str(FIRST_ID) in html
    assert _count(db) == before  # a preview writes no client
    action = re.search(r'action="(/admin/import/([0-9a-f]{32}))"', html)
    assert db.session.get(StoredUpload, action.group(2)) is not None  # waits in the database
    started = admin.post(action.group(1), data={"csrf_token": token})
    assert started.status_code == 303
    job_id = int(started.headers["Location"].rsplit("/", 1)[1])
    page = admin.get(started.headers["Location"]).get_data(as_text=True)
    assert "Import terminé : 5 dossiers importés." in page
    assert _count(db) == before + 5
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert (job.kind, job.status, job.done, job.total) == ("import", "done", 5, 5)
    assert db.session.get(StoredUpload, action.group(2)) is None  # consumed
    imported = db.session.get(Client, FIRST_ID)
    assert imported.source == "import:clients.csv" and imported.model_version is not None
    # the file was consumed: the same confirmation cannot import it twice
    assert admin.post(action.group(1), data={"csrf_token": token}).status_code == 410


def test_a_running_job_polls_itself(admin_browser, db):
    from webapp.jobs.runner import now

    job = Job(kind="import", params='{"filename": "x.csv"}', total=10, done=0,
              status="running", created_by="admin@example.com", heartbeat_at=now(),
              worker="elsewhere:1:1")
    db.session.add(job)
    db.session.commit()
    admin, _ = admin_browser
    partial = admin.get(f"/admin/jobs/{job.id}", headers={"HX-Request": "true"})
    html = partial.get_data(as_text=True)
    assert "<html" not in html and 'hx-trigger="load delay:1s"' in html
    assert "0 dossiers écrits sur 10" in html and "<progress" in html
    assert admin.get("/admin/jobs/999999").status_code == 404
    job.status = "failed"  # not left running for the other tests' reaper
    db.session.commit()


def _bad_rows(rows: pd.DataFrame) -> pd.DataFrame:
    bad = rows.copy()
    bad["AMT_CREDIT"] = bad["AMT_CREDIT"].astype(object)
    bad.loc[1, "AMT_CREDIT"] = "beaucoup"
    bad.loc[3, "DAYS_BIRTH"] = 500
    bad.loc[4, "SK_ID_CURR"] = FIRST_ID  # duplicate of line 2
    return bad


def test_bad_rows_are_all_listed_and_nothing_is_written(admin_browser, db, rows, cleanup):
    admin, token = admin_browser
    before = _count(db)
    response = _upload(admin, token, _csv(_bad_rows(rows)))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-testid="import-invalid"' in html
    table = html[html.index("Erreurs, ligne par ligne"):]
    found = re.findall(r'<th scope="row">(\d+)</th><td>(\w+)</td>', table)
    assert ("3", "AMT_CREDIT") in found and ("5", "DAYS_BIRTH") in found
    assert ("6", "SK_ID_CURR") in found and "en double" in table
    assert not re.search(r"/admin/import/[0-9a-f]{32}", html)  # no confirmation offered
    assert _count(db) == before


def test_ids_already_stored_are_reported(admin_browser, db, rows, seeded_ids):
    admin, token = admin_browser
    clash = rows.copy()
    clash.loc[2, "SK_ID_CURR"] = seeded_ids[0]
    before = _count(db)
    response = _upload(admin, token, _csv(clash))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and f"le dossier {seeded_ids[0]} existe déjà" in html
    assert re.search(r'<th scope="row">4</th><td>SK_ID_CURR</td>', html)
    assert _count(db) == before


@pytest.mark.parametrize("content,message", [
    (b"", "Le fichier est vide."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "contenu binaire"),
    (b"name,age\nalice,3\n", "Colonnes manquantes"),
    (b"\xff\xfe\xfa not utf-8 at all \xc3\x28", "illisible"),
])
def test_hostile_files_get_a_clear_message(admin_browser, db, content, message):
    admin, token = admin_browser
    before = _count(db)
    response = _upload(admin, token, content, name="evil.csv")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count(db) == before


def test_a_header_without_rows_is_refused(admin_browser, rows):
    admin, token = admin_browser
    response = _upload(admin, token, _csv(rows.head(0)))
    assert response.status_code == 422
    assert "aucun dossier" in response.get_data(as_text=True)


def test_a_file_over_the_limit_is_refused(app, admin_browser, db, rows):
    admin, token = admin_browser
    before = _count(db)
    limit = app.config["PAD_MAX_IMPORT_BYTES"]
    app.config["PAD_MAX_IMPORT_BYTES"] = 4096
    try:
        response = _upload(admin, token, _csv(rows) + b"0" * 8192)
    finally:
        app.config["PAD_MAX_IMPORT_BYTES"] = limit
    assert response.status_code == 413
    assert "trop volumineux" in response.get_data(as_text=True)
    assert _count(db) == before


def test_an_upload_needs_a_file_and_a_csrf_token(admin_browser, rows):
    admin, token = admin_browser
    missing = admin.post("/admin/import", data={"csrf_token": token},
                         content_type="multipart/form-data")
    assert missing.status_code == 422
    assert "Choisissez un fichier" in missing.get_data(as_text=True)
    forged = admin.post("/admin/import", content_type="multipart/form-data",
                        data={"file": (io.BytesIO(_csv(rows)), "c.csv")})
    assert forged.status_code == 400


def test_a_forged_confirmation_is_refused(admin_browser):
    admin, token = admin_browser
    assert admin.post("/admin/import/../../etc/passwd",
                      data={"csrf_token": token}).status_code in (404, 405)
    assert admin.post("/admin/import/not-a-token", data={"csrf_token": token}).status_code \
        == 404
    assert admin.post("/admin/import/" + "0" * 32, data={"csrf_token": token}).status_code \
        == 410
