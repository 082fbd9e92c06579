"""A job's message is stored as a code and worded when the page shows it, in the reader's
language, numbers included; the details of an unexpected error never reach the page."""

from __future__ import annotations

from flask_babel import force_locale

from webapp.jobs.messages import describe, message
from webapp.jobs.runner import JobFailed, failure_message


def test_a_message_is_worded_in_the_readers_language(app):
    stored = message("rescored_partly", scored=48744, version="credit-2026", remaining=12)
    with app.test_request_context():
        assert describe(stored) == ("48\u202f744 dossiers recalculés avec le modèle "
                                    "credit-2026 ; 12 restent à recalculer.")
        with force_locale("en"):
            assert describe(stored) == ("48,744 applications re-scored with model credit-2026; "
                                        "12 left to re-score.")


def test_nested_reasons_and_older_free_text(app):
    lost = message("worker_lost", worker="host:12", since="2026-12-02 08:00:00 UTC")
    with app.test_request_context(), force_locale("en"):
        worded = describe(message("retry", reason=lost, attempt=2, attempts=3))
        assert worded.startswith("The process running this job stopped (host:12")
        assert worded.endswith("Trying again (2 of 3).")
        assert describe("an older message") == "an older message" and describe(None) == ""


def test_an_unexpected_error_says_so_without_its_details(app):
    secret = RuntimeError("(sqlite3.OperationalError) no such table: clients_staging")
    stored = failure_message(secret)
    assert "sqlite3" not in stored and "clients_staging" not in stored
    with app.test_request_context():
        assert "erreur interne" in describe(stored)
    assert failure_message(JobFailed(message("no_model"))) == message("no_model")
