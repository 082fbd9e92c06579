"""Property-based tests (Hypothesis) of the input layer: whatever the text or the JSON, the
parsers and checks answer with a value or their own refusal, never another exception; and
the JSON API, fed applications generated from its own OpenAPI schema, never answers 5xx."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp.accounts.passwords import password_problem
from webapp.accounts.service import AccountError, valid_email
from webapp.inputs import JsonBodyError, load_json
from webapp.ui.fields import parse_number

EXAMPLES = settings(max_examples=300, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
#: Text as people and attackers type it: any code point, surrogates aside.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
NUMBERS = st.one_of(st.integers(min_value=-10**400, max_value=10**400),
                    st.floats(allow_nan=False, allow_infinity=False), st.just(1e308))
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBERS, TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=20)


@EXAMPLES
@given(st.binary(max_size=2000))
def test_load_json_refuses_any_bytes_with_its_own_error(data):
    with contextlib.suppress(JsonBodyError):  # anything else fails the test
        load_json(data)


@EXAMPLES
@given(st.integers(min_value=1, max_value=5000))
def test_load_json_refuses_deep_nesting_without_recursion(depth):
    body = b"[" * depth + b"]" * depth
    if depth > 20:
        with pytest.raises(JsonBodyError):
            load_json(body)
    else:
        assert load_json(body) is not None


@EXAMPLES
@given(TEXT)
def test_parse_number_returns_a_finite_float_or_value_error(text):
    try:
        value = parse_number(text)
    except ValueError:
        return
    assert value == value and abs(value) != float("inf")


@EXAMPLES
@given(TEXT)
def test_email_and_password_checks_never_crash(text):
    try:
        address = valid_email(text)
    except AccountError:
        pass
    else:
        assert address.isascii() and "@" in address and address == address.lower()
    assert password_problem(text, "someone@example.com") in (
        None, "too_short", "too_long", "control", "repetitive", "sequence", "common", "email")


@pytest.fixture(scope="module")
def api(app, user_emails):
    """A client and headers for ``POST /api/v1/score``, and the schema's field names."""
    from webapp.accounts.models import User
    from webapp.accounts.service import issue_token
    from webapp.api.openapi import openapi_document
    from webapp.extensions import db

    with app.app_context():
        user = db.session.query(User).filter_by(email=user_emails["advisor"]).one()
        token = issue_token(db.session, user)
        db.session.commit()
    fields = sorted(openapi_document()["components"]["schemas"]["Application"]["properties"])
    return app.test_client(), {"Authorization": f"Bearer {token}"}, fields


def _application(fields: list[str]):
    return st.dictionaries(st.sampled_from(fields) | TEXT, JSON_VALUES, max_size=12)


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_the_score_api_never_answers_5xx(api, data):
    client, headers, fields = api
    body = data.draw(_application(fields) | JSON_VALUES)
    text = json.dumps(body, allow_nan=False)
    response = client.post("/api/v1/score", data=text,
                           headers={**headers, "Content-Type": "application/json"})
    assert response.status_code < 500, text[:300]
    assert "Traceback" not in response.get_data(as_text=True)
