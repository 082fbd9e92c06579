"""The three races of the hardening issue, run concurrently many times; a barrier holds every
thread just after its own check, so that all of them check before any of them writes (the
worst interleaving, every trial):

- two admins deactivating each other at once: an active admin always remains;
- ten review requests for one client at once: exactly one pending review;
- one draft saved by several advisors at once: exactly one client.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.accounts.models import User

pytestmark = pytest.mark.db  # run on PostgreSQL too (scripts/test.sh)

TRIALS = 20
BARRIER_SECONDS = 3


def _wait(barrier: threading.Barrier) -> None:
    """Wait for the others; on PostgreSQL a thread may be blocked on a row lock instead
    (``FOR UPDATE``), which is the point: go on when the barrier times out."""
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(BARRIER_SECONDS)


def _run(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive()


@pytest.fixture
def two_admins_only(db, password):
    """Exactly two active admins (the others deactivated for the test, then restored)."""
    from webapp.accounts.service import create_user

    pair = []
    for name in ("left", "right"):
        pair.append(create_user(db.session, f"race.{name}.{id(pair)}@example.com", password,
                                "admin").id)
    db.session.commit()
    others = list(db.session.scalars(select(User.id).where(
        User.role == "admin", User.active.is_(True), User.id.not_in(pair))))
    db.session.execute(update(User).where(User.id.in_(others)).values(active=False))
    db.session.commit()
    yield pair
    db.session.rollback()
    db.session.execute(update(User).where(User.id.in_(others + pair)).values(active=True))
    db.session.commit()


def test_two_admins_deactivating_each_other_leave_one(db, two_admins_only, monkeypatch):
    from webapp.accounts import service

    original, engine = service._guard_last_admin, db.engine
    outcomes: Counter[str] = Counter()
    for _trial in range(TRIALS):
        barrier = threading.Barrier(2)
        monkeypatch.setattr(service, "_guard_last_admin",
                            lambda s, u, b=barrier: (original(s, u), _wait(b)))

        def deactivate(target: int) -> None:
            with Session(engine) as session:
                try:
                    service.set_active(session, session.get(User, target), False)
                    session.commit()
                    outcomes["done"] += 1
                except service.LastAdminError:
                    session.rollback()
                    outcomes["refused"] += 1

        left, right = two_admins_only
        _run([threading.Thread(target=deactivate, args=(right,)),
              threading.Thread(target=deactivate, args=(left,))])
        db.session.expire_all()
        active = db.session.scalars(select(User.id).where(User.id.in_(two_admins_only),
                                                          User.active.is_(True))).all()
        assert len(active) == 1, f"active admins after the race: {active}"
        db.session.execute(update(User).where(User.id.in_(two_admins_only)).values(active=True))
        db.session.commit()
    assert outcomes == {"done": TRIALS, "refused": TRIALS}


def test_simultaneous_review_requests_leave_one_pending(db, fresh_client, model, user_emails,
                                                        monkeypatch):
    from webapp.clients import reviews
    from webapp.clients.models import Client, Review
    from webapp.clients.storage import decode_record

    original, engine = reviews.pending_review, db.engine
    advisor_id = db.session.scalar(select(User.id).where(User.email == user_emails["advisor"]))
    refused: Counter[str] = Counter()
    for _trial in range(10):
        sk_id = fresh_client()
        explanation = model.explain(decode_record(db.session.get(Client, sk_id).raw_record))
        barrier = threading.Barrier(10)
        monkeypatch.setattr(reviews, "pending_review",
                            lambda s, i, b=barrier: (original(s, i), _wait(b))[0])

        def ask(sk_id: int = sk_id, explanation=explanation) -> None:
            with Session(engine) as session:
                try:
                    reviews.request_review(session, session.get(Client, sk_id),
                                           session.get(User, advisor_id), "I disagree.",
                                           str(model.version), explanation, [])
                    session.commit()
                except reviews.ReviewError as error:
                    session.rollback()
                    refused[error.code] += 1

        _run([threading.Thread(target=ask) for _ in range(10)])
        pending = db.session.scalars(select(Review).where(Review.sk_id_curr == sk_id,
                                                          Review.status == "pending")).all()
        assert len(pending) == 1
    assert refused == {"pending": 90}


def test_a_draft_saved_at_once_by_several_advisors_becomes_one_client(
        app, db, login_as, csrf_token, monkeypatch):
    from webapp.clients.models import Client
    from webapp.credit import routes

    form = {"NAME_CONTRACT_TYPE": "Cash loans", "AGE": "41", "CNT_CHILDREN": "1",
            "CNT_FAM_MEMBERS": "3", "AMT_INCOME_TOTAL": "180000", "AMT_CREDIT": "450000",
            "AMT_ANNUITY": "21000"}
    original = routes.draft_applicant
    browsers = [login_as("advisor") for _ in range(4)]
    tokens = [csrf_token(browser, "/applications/new") for browser in browsers]
    before = db.session.query(Client).count()
    for _trial in range(5):
        created = browsers[0].post("/applications/new", data=dict(form, csrf_token=tokens[0]))
        draft_url = created.headers["Location"]
        barrier = threading.Barrier(len(browsers))
        monkeypatch.setattr(routes, "draft_applicant",
                            lambda token, b=barrier: (original(token), _wait(b))[0])
        answers: list[str] = []

        def save(browser, token, draft_url: str = draft_url, answers=answers) -> None:
            response = browser.post(draft_url + "/save", data={"csrf_token": token})
            answers.append(f"{response.status_code} {response.headers.get('Location')}")

        _run([threading.Thread(target=save, args=pair) for pair in zip(browsers, tokens,
                                                                         strict=True)])
        assert len(set(answers)) == 1 and answers[0].startswith("303 /clients/"), answers
        monkeypatch.setattr(routes, "draft_applicant", original)
        again = browsers[1].post(draft_url + "/save", data={"csrf_token": tokens[1]})
        assert f"303 {again.headers['Location']}" == answers[0]  # posting again: same client
    db.session.expire_all()
    assert db.session.query(Client).count() == before + 5


def test_different_drafts_saved_at_once_get_different_ids(db, model, user_emails):
    """The next free ID is taken by one save only (``DraftIdTaken`` and a retry otherwise)."""
    from webapp.credit.drafts import DraftIdTaken, create_draft, save_draft

    author = db.session.scalar(select(User).where(User.email == user_emails["advisor"]))
    record = {"AMT_INCOME_TOTAL": 1.5e5, "AMT_CREDIT": 4.0e5, "AMT_ANNUITY": 2.0e4,
              "DAYS_BIRTH": -15000}
    drafts = [create_draft(db.session, record, author).id for _ in range(6)]
    db.session.commit()
    author_id = author.id
    saved: list[int] = []
    barrier, engine = threading.Barrier(len(drafts)), db.engine

    def save(draft_id: str) -> None:
        _wait(barrier)
        for _attempt in range(5):
            with Session(engine) as session:
                from webapp.credit.drafts import load_draft

                try:
                    result = save_draft(session, load_draft(session, draft_id), model,
                                        session.get(User, author_id))
                    session.commit()
                    saved.append(result.sk_id_curr)
                    return
                except DraftIdTaken:
                    session.rollback()

    _run([threading.Thread(target=save, args=(d,)) for d in drafts])
    assert len(saved) == len(set(saved)) == len(drafts)
