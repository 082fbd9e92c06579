"""Evaluating the image models on a folder of photos from the page: a signed-in user sends a
ZIP of real labelled photos, the job runs (at once: the test queue is immediate), and the
page shows each model's accuracy, its confusion matrix and the misclassified photos in
French; the archive is then gone. Hostile archives are refused with a 4xx and a message,
with nothing stored; only the owner and the admins see an evaluation."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.webapp.vision import archives
from webapp.vision.categories import category_name

UPLOAD_URL = "/image/evaluer"


@pytest.fixture(autouse=True)
def _evaluations_unlimited(app, vision_models):
    """The suite shares one address: a rate limit only its own test should reach."""
    saved = app.config["PAD_VISION_EVAL_RATE_LIMIT"]
    app.config["PAD_VISION_EVAL_RATE_LIMIT"] = "10000 per minute"
    yield
    app.config["PAD_VISION_EVAL_RATE_LIMIT"] = saved


@pytest.fixture(scope="module")
def photos():
    """Two real photos of each of the seven categories."""
    found = archives.real_photos(per_class=2)
    if len(found) < 14:
        pytest.skip("Flipkart photos not available")
    return found


def _send(browser, token: str, data: bytes, name: str = "photos.zip"):
    import io

    return browser.post(UPLOAD_URL, data={"csrf_token": token,
                                          "archive": (io.BytesIO(data), name)},
                        content_type="multipart/form-data")


def _stored(db) -> tuple[int, int]:
    from webapp.jobs.models import Job, StoredUpload

    db.session.rollback()
    return (db.session.scalar(select(func.count()).select_from(StoredUpload)),
            db.session.scalar(select(func.count()).select_from(Job)))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _expected(data: bytes, vision_models) -> dict:
    from ml.serving.vision_batch import evaluate_archive
    from webapp.vision.categories import category_aliases

    return evaluate_archive(data, vision_models, aliases=category_aliases())


def test_a_folder_of_photos_is_evaluated_and_shown_in_french(advisor_browser, db, photos,
                                                             vision_models, app):
    from webapp.jobs.models import Job, JobResult, StoredUpload
    from webapp.ui.formatting import percent

    browser, token = advisor_browser
    data = archives.folders_archive(photos)
    response = _send(browser, token, data, "nouvelles photos.zip")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    page = browser.get(response.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    text = _text(html)
    assert 'data-status="done"' in html
    assert "14 photos évaluées" in text and "nouvelles photos.zip" in text

    expected = _expected(data, vision_models)
    for model_id, report in expected["models"].items():
        shown = re.search(rf'data-testid="accuracy-{model_id}">([^<]+)<', html).group(1)
        assert shown == percent(report["accuracy"], "fr", 1)
        assert f'id="evaluation-confusion-{model_id}"' in html and "data-figure=" in html
    assert "Matrice de confusion" in text and "Précision" in text and "Rappel" in text
    wrong = expected["misclassified"]
    assert wrong, "the stand-in models get some of these photos wrong"
    sheet = html[html.index('data-testid="contact-sheet"'):]
    assert sheet.count("<figure>") == len(wrong)
    assert sheet.count('src="data:image/jpeg;base64,') == len(wrong)
    for item in wrong:
        assert f"Vraie catégorie : {category_name(item['label'], 'fr')}" in _text(sheet)
    assert "Baby Care" not in _text(sheet)  # French names, not the dataset's

    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    db.session.rollback()
    job = db.session.get(Job, job_id)
    assert job.status == "done" and job.done == 14
    assert db.session.get(JobResult, job_id) is not None  # stored for every web process
    upload = str(job.options["upload"])
    assert db.session.get(StoredUpload, upload) is None  # the archive is gone


def test_a_csv_inside_the_archive_labels_the_photos(advisor_browser, photos, vision_models):
    browser, token = advisor_browser
    data = archives.csv_archive(photos[:6])
    response = _send(browser, token, data)
    assert response.status_code == 303
    text = _text(browser.get(response.headers["Location"]).get_data(as_text=True))
    assert "6 photos évaluées" in text and "par un fichier CSV" in text


@pytest.mark.parametrize("archive, status, words", [
    ("bomb", 422, "bombe"),
    ("traversal", 422, "sort du dossier"),
    ("too_many", 422, "2 001 fichiers"),
    ("not_zip", 415, "pas une archive ZIP"),
    ("unknown_label", 422, "Catégorie inconnue"),
])
def test_hostile_archives_are_refused_with_a_message_and_nothing_stored(
        advisor_browser, db, photos, archive, status, words):
    photo = photos[0][0].read_bytes()
    data = {"bomb": archives.zip_bomb, "traversal": lambda: archives.traversal(photo),
            "too_many": archives.too_many_members, "not_zip": lambda: b"%PDF-1.4 not a zip",
            "unknown_label": lambda: archives.zip_bytes([("Chaussures/a.jpg", photo)]),
            }[archive]()
    browser, token = advisor_browser
    before = _stored(db)
    response = _send(browser, token, data)
    assert response.status_code == status
    error = re.search(r'data-testid="evaluate-error"><p>([^<]+)<', response.get_data(as_text=True))
    assert error and words in error.group(1).replace("\u202f", " ").replace("\xa0", " ")
    assert _stored(db) == before


def test_refusals_are_worded_in_english_too(advisor_browser, photos):
    browser, token = advisor_browser
    browser.post("/langue", data={"csrf_token": token, "lang": "en"})
    try:
        response = _send(browser, token, archives.traversal(photos[0][0].read_bytes()))
        assert response.status_code == 422
        assert "leaves the archive" in response.get_data(as_text=True)
    finally:
        browser.post("/langue", data={"csrf_token": token, "lang": "fr"})


def test_an_unreadable_photo_fails_the_job_with_its_reason(advisor_browser, db, photos):
    from webapp.jobs.models import Job, StoredUpload

    photo = photos[0][0].read_bytes()
    data = archives.zip_bytes([("Montres/bon.jpg", photo),
                               ("Montres/coupée.jpg", photo[: len(photo) // 3])])
    browser, token = advisor_browser
    response = _send(browser, token, data)
    assert response.status_code == 303  # its directory is fine: the photo is read by the job
    html = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="evaluation-failed"' in html
    assert "« Montres/coupée.jpg » est tronquée" in _text(html)
    job = db.session.get(Job, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert db.session.get(StoredUpload, str(job.options["upload"])) is None


def test_one_evaluation_at_a_time_per_user(advisor_browser, db, photos, user_emails):
    from webapp.jobs.models import Job

    waiting = Job(kind="vision_eval", status="pending", params="{}",
                  created_by=user_emails["advisor"])
    db.session.add(waiting)
    db.session.commit()
    try:
        browser, token = advisor_browser
        before = _stored(db)
        response = _send(browser, token, archives.folders_archive(photos[:2]))
        assert response.status_code == 409
        assert f"/image/evaluer/{waiting.id}" in response.get_data(as_text=True)
        assert _stored(db) == before
    finally:
        db.session.delete(waiting)
        db.session.commit()


@pytest.fixture(scope="module")
def other_advisor(app):
    from webapp.accounts.service import create_user
    from webapp.extensions import db

    with app.app_context():
        user = create_user(db.session, "other.advisor@example.com",
                           "another long passphrase 42", "advisor")
        db.session.commit()
        return user.id


def _signed_in(app, user_id: int):
    from webapp.accounts.models import User
    from webapp.accounts.sessions import session_values
    from webapp.extensions import db

    browser = app.test_client()
    with app.app_context():
        values = session_values(db.session.get(User, user_id))
    with browser.session_transaction() as session:
        session.update(values)
    return browser


def test_only_the_owner_and_the_admins_see_an_evaluation(app, client, advisor_browser,
                                                         login_as, photos, other_advisor):
    browser, token = advisor_browser
    response = _send(browser, token, archives.folders_archive(photos[:2]))
    url = response.headers["Location"]
    assert browser.get(url).status_code == 200
    assert login_as("admin").get(url).status_code == 200
    assert _signed_in(app, other_advisor).get(url).status_code == 404
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert client.get(UPLOAD_URL).status_code == 302
    assert client.post(UPLOAD_URL, data={}).status_code in (302, 400)
    # The owner's list names it; the other advisor's does not.
    assert url in browser.get(UPLOAD_URL).get_data(as_text=True)
    assert url not in _signed_in(app, other_advisor).get(UPLOAD_URL).get_data(as_text=True)


def test_the_image_page_sends_anonymous_visitors_to_sign_in_first(client, advisor_browser,
                                                                  vision_models):
    anonymous = _text(client.get("/image").get_data(as_text=True))
    assert "Réservé aux utilisateurs connectés" in anonymous
    assert "/login?next=/image/evaluer" in client.get("/image").get_data(as_text=True)
    signed_in = advisor_browser[0].get("/image").get_data(as_text=True)
    assert 'href="/image/evaluer"' in signed_in


def test_a_worker_loads_the_image_models_for_its_first_evaluation(tmp_path):
    from ml.config import vision_artifacts_dir
    from webapp.model_store import LoadedModels

    missing = LoadedModels(vision_dir=tmp_path)
    assert missing.vision_on_demand() is None and "no vision models" in missing.vision_error
    served = vision_artifacts_dir()
    if not (served / "metadata.json").is_file():
        pytest.skip("no exported image models in artifacts/vision")
    loaded = LoadedModels(vision_dir=served, vision_error="not loaded in this process")
    models = loaded.vision_on_demand()
    assert models is not None and set(models.sessions) >= {"vit", "efficientnet"}
    assert loaded.vision_on_demand() is models  # loaded once


def test_archive_refusals_stored_by_a_job_are_worded_for_each_reader(app):
    from flask_babel import force_locale

    from webapp.jobs.messages import describe, message

    stored = message("vision_archive", reason="corrupt_photo", name="Montres/a.jpg")
    with app.test_request_context():
        with force_locale("fr"):
            assert "« Montres/a.jpg » est tronquée" in describe(stored)
        with force_locale("en"):
            assert "Montres/a.jpg" in describe(stored) and "truncated" in describe(stored)


def test_an_archive_over_the_size_limit_is_refused_before_it_is_read(app, advisor_browser,
                                                                      db, photos):
    data = archives.folders_archive(photos[:4])
    saved = app.config["PAD_VISION_EVAL_MAX_BYTES"]
    app.config["PAD_VISION_EVAL_MAX_BYTES"] = len(data) // 4
    try:
        browser, token = advisor_browser
        before = _stored(db)
        response = _send(browser, token, data)
        assert response.status_code == 413
        assert "L'archive dépasse" in response.get_data(as_text=True).replace("&#39;", "'")
        assert _stored(db) == before
    finally:
        app.config["PAD_VISION_EVAL_MAX_BYTES"] = saved


def test_uploads_are_rate_limited(app, advisor_browser, db):
    app.config["PAD_VISION_EVAL_RATE_LIMIT"] = "1 per minute"  # the fixture puts it back
    browser, token = advisor_browser
    before = _stored(db)
    answers = [_send(browser, token, b"not a zip").status_code for _ in range(2)]
    assert answers[-1] == 429
    assert _stored(db) == before


def test_the_admin_s_job_page_links_to_the_results(advisor_browser, login_as, photos):
    browser, token = advisor_browser
    url = _send(browser, token, archives.folders_archive(photos[:3])).headers["Location"]
    job_id = url.rsplit("/", 1)[1]
    page = _text(login_as("admin").get(f"/admin/jobs/{job_id}").get_data(as_text=True))
    assert "Évaluation des modèles d'image" in page and "3 photos évaluées" in page
    assert f'href="{url}"' in login_as("admin").get(f"/admin/jobs/{job_id}").get_data(
        as_text=True)
