"""French first, English available; numbers and money in the reader's format."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from ml.config import REPO_ROOT


def test_french_is_the_default(login_as):
    html = login_as("advisor").get("/").get_data(as_text=True)
    assert '<html lang="fr">' in html and "Rechercher un client" in html


def test_switch_to_english_and_back(login_as, csrf_token, seeded_ids):
    browser = login_as("advisor")
    response = browser.post("/langue", data={"lang": "en", "next": "/",
                                             "csrf_token": csrf_token(browser, "/")})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    html = browser.get(f"/clients/{seeded_ids[0]}").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Applicant" in html and "Decision" in html
    assert "€" in html and "," in html  # €568,800
    browser.post("/langue", data={"lang": "fr", "csrf_token": csrf_token(browser, "/")})
    assert '<html lang="fr">' in browser.get("/").get_data(as_text=True)


def test_unknown_language_is_ignored(login_as, csrf_token):
    browser = login_as("advisor")
    browser.post("/langue", data={"lang": "xx", "csrf_token": csrf_token(browser, "/")})
    assert '<html lang="fr">' in browser.get("/").get_data(as_text=True)


def test_money_in_french_format(login_as, seeded_ids):
    html = login_as("advisor").get(f"/clients/{seeded_ids[0]}").get_data(as_text=True)
    assert "\u202f€" not in html  # a space, not a thin one, before the euro sign
    assert any(f"{n}\u202f" in html for n in range(1, 10))  # thousands grouped


def test_every_french_string_has_an_english_translation():
    with Path(REPO_ROOT / "translations/en/LC_MESSAGES/messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    missing = [m.id for m in catalogue if m.id and not (m.string if isinstance(m.string, str)
                                                        else all(m.string))]
    assert not missing, missing[:10]


def test_the_catalogue_covers_every_string_in_the_code_and_templates():
    from babel.messages.extract import extract_from_dir

    with Path(REPO_ROOT / "translations/en/LC_MESSAGES/messages.po").open("rb") as handle:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    method_map = [("webapp/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None,
                "lazy_gettext": None}
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(REPO_ROOT), method_map, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    assert found - known == set()
