"""Portfolio re-scoring: the stored scores of clients made by another model become the served
model's, the same as the client page and the API give; a concurrent edit is never overwritten;
a re-scoring whose worker died runs again (the session app runs jobs at once)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select, update

from webapp.clients.editing import form_values, parse_edit, update_client
from webapp.clients.models import Client
from webapp.clients.rescoring import BatchScorer, stale_chunk, write_scores
from webapp.clients.storage import decode_record
from webapp.jobs.models import Job
from webapp.jobs.queue import dispatch, reap
from webapp.jobs.rescore import ensure_scored, record_rescore, rescore_for
from webapp.jobs.runner import now

pytestmark = pytest.mark.db


def _make_stale(db, ids: list[int]) -> None:
    db.session.execute(update(Client).where(Client.sk_id_curr.in_(ids))
                       .values(probability=0.99, decision="refused", model_version="credit-old")
                       .execution_options(synchronize_session=False))
    db.session.commit()


def _stored(db, ids: list[int]) -> dict[int, Client]:
    db.session.expire_all()
    return {c.sk_id_curr: c for c in db.session.scalars(select(Client)
                                                        .where(Client.sk_id_curr.in_(ids)))}


def test_stale_clients_get_the_served_models_score(app, db, model, seeded_ids, bearer):
    ids = seeded_ids[:60]
    _make_stale(db, ids)
    job = record_rescore(db.session, str(model.version), "admin@example.com")
    assert dispatch(db.session, job)  # run at once by the session app
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert (job.status, job.done, job.total) == ("done", 60, 60), job.message
    assert job.model_version == str(model.version)
    browser = app.test_client()
    for client in _stored(db, ids).values():
        live = model.explain(decode_record(client.raw_record))
        assert client.model_version == str(model.version)
        assert client.probability == pytest.approx(live.probability, abs=1e-6)
        assert client.decision == live.decision
    for sk_id in ids[:5]:  # the API (scored live) says the same as the stored row
        body = browser.get(f"/api/v1/clients/{sk_id}", headers=bearer).get_json()
        stored = _stored(db, [sk_id])[sk_id]
        assert body["decision"] == stored.decision and body["model_version"] == \
            stored.model_version
        assert body["probability"] == pytest.approx(stored.probability, abs=1e-6)


def test_a_concurrent_edit_is_not_overwritten(db, model, fresh_client):
    sk_id = fresh_client()
    _make_stale(db, [sk_id])
    read = stale_chunk(db.session, str(model.version), sk_id - 1, size=1)
    db.session.commit()
    client = db.session.get(Client, sk_id)  # meanwhile, an admin edits the application
    values = form_values(decode_record(client.raw_record))
    values["AMT_CREDIT"] = "450000"
    record, errors = parse_edit(values)
    assert not errors
    update_client(db.session, client, record, client.version, model, "admin@example.com")
    db.session.commit()
    edited = _stored(db, [sk_id])[sk_id].probability
    write_scores(db.session, read, np.array([0.5]), model)  # the re-scoring's stale write
    db.session.commit()
    assert _stored(db, [sk_id])[sk_id].probability == edited


def test_the_pool_scores_as_this_process_does(db, model, seeded_ids):
    blobs = [c.raw_record for c in _stored(db, seeded_ids).values()]
    with BatchScorer(model, processes=1) as here, BatchScorer(model, processes=2) as pool:
        assert pool.processes == 2
        assert np.allclose(here.submit(blobs).result(), pool.submit(blobs).result(),
                           atol=1e-7)


def test_a_rescoring_whose_worker_died_runs_again(app, db, model, seeded_ids):
    ids = seeded_ids[60:80]
    _make_stale(db, ids)
    silent = now() - timedelta(hours=1)
    job = Job(kind="rescore", status="running", model_version=str(model.version),
              created_by="system", worker="lost-host:1:1", started_at=silent,
              heartbeat_at=silent)
    db.session.add(job)
    db.session.commit()
    assert job.id in reap(app)  # queued again, and run at once by the session app
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert (job.status, job.attempt) == ("done", 2)
    assert all(c.model_version == str(model.version) for c in _stored(db, ids).values())


def test_an_import_whose_worker_died_fails_and_is_not_run_again(app, db):
    silent = now() - timedelta(hours=1)
    job = Job(kind="import", status="running", params='{"upload": "' + "b" * 32 + '"}',
              created_by="admin@example.com", worker="lost-host:1:1", heartbeat_at=silent)
    db.session.add(job)
    db.session.commit()
    assert job.id in reap(app)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == "failed" and "lost-host" in job.message and job.attempt == 1


def test_one_automatic_rescoring_per_model(db, model):
    if rescore_for(db.session, str(model.version)) is None:
        job = ensure_scored(db.session)
        assert job is not None and job.model_version == str(model.version)
        db.session.commit()
    assert ensure_scored(db.session) is None
    db.session.rollback()
