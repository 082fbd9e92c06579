"""An image evaluation on a real worker (``python -m webapp.jobs``), which starts without the
image models: it loads them for the job, classifies the photos with progress in the
database, stores the result for every web process and removes the archive."""

from __future__ import annotations

import json

import pytest

from tests.webapp.jobs.helpers import wait_until
from tests.webapp.vision import archives
from webapp.extensions import db
from webapp.jobs.models import Job, JobResult, StoredUpload
from webapp.jobs.queue import dispatch
from webapp.jobs.vision_eval import record_vision_evaluation, store_archive

pytestmark = pytest.mark.db


@pytest.fixture
def artifacts_with_vision(request, credit_artifacts, tmp_path):
    """An artifacts root holding the credit model and exported image models (the served
    ones of ``artifacts/vision``, else the tiny ones trained for the tests)."""
    from ml.config import credit_artifacts_dir, vision_artifacts_dir

    served = vision_artifacts_dir()
    vision = served if (served / "metadata.json").is_file() \
        else request.getfixturevalue("tiny_vision_models")[0]
    root = tmp_path / "artifacts"
    root.mkdir()
    (root / "credit").symlink_to(credit_artifacts_dir(credit_artifacts).resolve())
    (root / "vision").symlink_to(vision.resolve())
    return root


def test_a_worker_loads_the_image_models_and_evaluates_an_archive(sqlite_portal, start_worker,
                                                                   artifacts_with_vision):
    photos = archives.real_photos(per_class=1)
    if len(photos) < 7:
        pytest.skip("Flipkart photos not available")
    portal = sqlite_portal
    portal.env["PAD_ARTIFACTS_DIR"] = str(artifacts_with_vision)
    with portal.app.app_context():
        upload = store_archive(db.session, "b" * 32, "sept.zip",
                               archives.folders_archive(photos), len(photos),
                               "advisor@example.com")
        job = record_vision_evaluation(db.session, upload, "advisor@example.com")
        assert dispatch(db.session, job)
        job_id = job.id
    start_worker(portal)
    with portal.app.app_context():
        def finished() -> bool:
            db.session.expire_all()
            return db.session.get(Job, job_id).status in ("done", "failed")

        assert wait_until(finished, timeout=240)
        job = db.session.get(Job, job_id)
        assert job.status == "done", job.message
        assert (job.done, job.total) == (len(photos), len(photos))
        result = json.loads(db.session.get(JobResult, job_id).content)
        assert result["n_photos"] == len(photos) and result["filename"] == "sept.zip"
        assert set(result["models"]) == {"vit", "efficientnet"}
        assert all(0.0 <= m["accuracy"] <= 1.0 for m in result["models"].values())
        assert db.session.get(StoredUpload, "b" * 32) is None
