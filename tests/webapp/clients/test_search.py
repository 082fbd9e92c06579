"""Finding a client: typeahead by ID prefix and the filtered, paginated list."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from webapp.clients.models import Client

pytestmark = pytest.mark.db  # run on PostgreSQL too (scripts/test.sh)


def test_typeahead_lists_ids_starting_with_the_digits(login_as, seeded_ids):
    prefix = str(seeded_ids[10])[:4]
    html = login_as("advisor").get("/clients/typeahead", query_string={"sk_id_curr": prefix},
                                   headers={"HX-Request": "true"}).get_data(as_text=True)
    shown = re.findall(r'href="/clients/(\d+)"', html)
    assert shown and len(shown) <= 8
    assert all(s.startswith(prefix) for s in shown)
    assert shown == sorted(shown, key=int)


def test_typeahead_with_no_match_or_no_digits(login_as):
    browser = login_as("advisor")
    html = browser.get("/clients/typeahead?sk_id_curr=999999",
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Aucun dossier ne commence par" in html
    html = browser.get("/clients/typeahead?sk_id_curr=<b>",
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<b>" not in html


def test_list_filters_by_decision_and_probability(login_as, db):
    browser = login_as("advisor")
    html = browser.get("/", query_string={"decision": "refused", "probability_min": "5",
                                          "probability_max": "80"},
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'href="/clients/(\d+)"', html)]
    expected = db.session.scalars(
        select(Client.sk_id_curr).where(Client.decision == "refused",
                                        Client.probability >= 0.05,
                                        Client.probability <= 0.80)
        .order_by(Client.sk_id_curr).limit(25)).all()
    assert ids == expected and ids
    assert "Accordé" not in html


def test_list_paginates_and_keeps_the_filters(login_as, db):
    browser = login_as("advisor")
    html = browser.get("/?decision=accepted&page=2",
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'href="/clients/(\d+)"', html)]
    expected = db.session.scalars(select(Client.sk_id_curr).where(Client.decision == "accepted")
                                  .order_by(Client.sk_id_curr).offset(25).limit(25)).all()
    assert ids == expected
    previous = re.search(r'<a href="([^"]+)"[^>]*>Page précédente', html).group(1)
    assert "page=1" in previous and "decision=accepted" in previous


def test_list_sorted_by_probability(login_as, db):
    html = login_as("advisor").get("/?sort=probability_desc",
                                   headers={"HX-Request": "true"}).get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'href="/clients/(\d+)"', html)]
    probabilities = [db.session.get(Client, i).probability for i in ids]
    assert probabilities == sorted(probabilities, reverse=True)


def test_bad_filters_get_messages_and_a_422(login_as):
    response = login_as("advisor").get("/?probability_min=abc&probability_max=150"
                                       "&decision=maybe", headers={"HX-Request": "true"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Saisissez un nombre" in html and "Entre 0 et 100" in html


def test_full_page_vs_partial(login_as):
    browser = login_as("advisor")
    full = browser.get("/")
    partial = browser.get("/", headers={"HX-Request": "true"})
    boosted = browser.get("/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in full.get_data(as_text=True)
    assert "<html" not in partial.get_data(as_text=True)
    assert "<html" in boosted.get_data(as_text=True)
    assert "HX-Request" in partial.headers["Vary"]


def test_opening_a_file_ignores_spaces_and_says_what_is_wrong_in_place(login_as, seeded_ids):
    browser = login_as("advisor")
    sk_id = str(seeded_ids[3])
    spaced = f" {sk_id[:3]} {sk_id[3:]}\u202f"
    opened = browser.get("/clients/go", query_string={"sk_id_curr": spaced})
    assert opened.status_code == 302 and opened.headers["Location"] == f"/clients/{sk_id}"
    for typed, status, message in (("", 422, "Saisissez l&#39;identifiant du dossier"),
                                   ("   ", 422, "Saisissez l&#39;identifiant du dossier"),
                                   ("12a", 422, "ne contient que des chiffres"),
                                   ("999999999", 404, "Aucun dossier ne porte l&#39;identifiant")):
        response = browser.get("/clients/go", query_string={"sk_id_curr": typed})
        html = response.get_data(as_text=True)
        assert response.status_code == status, typed
        # the search page again, the message beside the box, the list below
        error = re.search(r'<p class="error" id="sk_id_curr-error" role="alert">([^<]*)</p>',
                          html)
        assert error and message in error.group(1), typed
        assert 'aria-invalid="true"' in html and 'id="client-list"' in html
