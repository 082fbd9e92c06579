"""CSRF: every state-changing request needs the token, in the form or in htmx's header."""

from __future__ import annotations

import pytest

WHATIF = {"AMT_CREDIT": "500000", "AMT_ANNUITY": "25000", "TERM": "20",
          "AMT_GOODS_PRICE": "450000", "AMT_INCOME_TOTAL": "150000"}


@pytest.mark.parametrize("path, data", [
    ("/logout", {}),
    ("/langue", {"lang": "en"}),
    ("/clients/{id}/what-if", WHATIF),
    ("/applications/new", {"AGE": "40"}),
])
def test_post_without_token_is_refused(login_as, seeded_ids, path, data):
    browser = login_as("advisor")
    response = browser.post(path.format(id=seeded_ids[0]), data=data)
    assert response.status_code == 400
    assert browser.get("/").status_code == 200  # still signed in: the logout did not happen


def test_htmx_request_with_header_token_is_accepted(login_as, csrf_token, seeded_ids):
    browser = login_as("advisor")
    token = csrf_token(browser, "/")
    response = browser.post(f"/clients/{seeded_ids[0]}/what-if", data=WHATIF,
                            headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200


def test_htmx_request_with_a_forged_header_is_refused(login_as, seeded_ids):
    response = login_as("advisor").post(f"/clients/{seeded_ids[0]}/what-if", data=WHATIF,
                                        headers={"HX-Request": "true",
                                                 "X-CSRFToken": "forged"})
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)  # an error fragment, in kind


def test_every_page_sends_the_token_in_htmx_headers(login_as):
    page = login_as("advisor").get("/").get_data(as_text=True)
    assert 'hx-headers=\'{"X-CSRFToken": "' in page
