"""The section registry: one declaration per section, one render path.

A section added through the registry alone (a declaration, a builder, a partial) appears in
the page's table of contents, loads itself when revealed, answers on its own URL and as an
htmx fragment, for stored clients and drafts; and every built-in section is the same HTML
whether it comes with the page, by htmx, or on its own page (charts included)."""

from __future__ import annotations

import html as markup
import json
import re
from dataclasses import dataclass

import pytest
from flask_babel import lazy_gettext as _l
from jinja2 import ChoiceLoader, DictLoader

from webapp.credit import sections

HTMX = {"HX-Request": "true"}
_SECTION = re.compile(r'<section id="(?P<name>[a-z_]+)" class="card section-(?P=name)"'
                      r'.*?</section>', re.S)


_CSRF = re.compile(r'name="csrf_token" value="[^"]+"')


def _same(html: str) -> str:
    """The markup with its CSRF token blanked (each rendering signs a fresh one)."""
    return _CSRF.sub('name="csrf_token" value=""', html)


def _sections_in(page: str) -> dict[str, str]:
    return {m["name"]: m.group(0) for m in _SECTION.finditer(_same(page))}


@dataclass(frozen=True)
class NotesView:
    """The test section's view-model."""

    credit: str


def _build_notes(section: sections.SectionInput) -> NotesView:
    return NotesView(str(section.record.get("AMT_CREDIT")))


@pytest.fixture
def notes_section(app):
    """A section declared through the registry alone, with its partial, removed after."""
    previous = app.jinja_loader
    app.jinja_loader = ChoiceLoader([
        DictLoader({"test/_notes.html": '<p data-testid="notes">Crédit {{ view.credit }}</p>'}),
        previous])

    def declare(eager: bool) -> sections.Section:
        section = sections.register(
            sections.Section("notes", _l("Notes de test"), _l("Notes"), _build_notes,
                             "test/_notes.html", eager=eager, needs_model=False),
            before="population")
        return section

    yield declare
    sections.unregister("notes")
    app.jinja_loader = previous


@pytest.mark.parametrize("eager", [True, False])
def test_a_section_added_through_the_registry_alone(login_as, seeded_ids, notes_section,
                                                     eager):
    notes_section(eager)
    browser = login_as("advisor")
    page = browser.get(f"/clients/{seeded_ids[0]}").get_data(as_text=True)
    assert '<a href="#notes">Notes</a>' in page
    names = list(_sections_in(page))
    assert names.index("notes") == names.index("population") - 1  # where it was declared
    fragment = browser.get(f"/clients/{seeded_ids[0]}/sections/notes", headers=HTMX)
    assert fragment.status_code == 200
    assert 'data-testid="notes">Crédit ' in fragment.get_data(as_text=True)
    if eager:
        assert _sections_in(page)["notes"] == fragment.get_data(as_text=True).strip()
    else:
        placeholder = _sections_in(page)["notes"]
        assert f'hx-get="/clients/{seeded_ids[0]}/sections/notes"' in placeholder
        assert 'hx-trigger="revealed"' in placeholder
    own_page = browser.get(f"/clients/{seeded_ids[0]}/sections/notes").get_data(as_text=True)
    assert "<h1>Notes de test</h1>" in own_page
    assert fragment.get_data(as_text=True).strip() in own_page


def test_an_undeclared_section_is_a_404(login_as, seeded_ids):
    browser = login_as("advisor")
    assert browser.get(f"/clients/{seeded_ids[0]}/sections/notes", headers=HTMX) \
        .status_code == 404


@pytest.mark.parametrize("name", [s.name for s in sections.all_sections()])
def test_one_render_path_for_every_section(login_as, seeded_ids, name):
    """The fragment htmx swaps in is the section the page and its own URL show, and every
    chart in it carries its figure (htmx drops <script> elements: nothing may hide there)."""
    browser = login_as("advisor")
    sk_id = seeded_ids[1]
    page = browser.get(f"/clients/{sk_id}").get_data(as_text=True)
    fragment = browser.get(f"/clients/{sk_id}/sections/{name}", headers=HTMX)
    assert fragment.status_code == 200
    body = _same(fragment.get_data(as_text=True).strip())
    assert body.startswith(f'<section id="{name}"') and "<script" not in body
    section = sections.get(name)
    if section.eager:
        assert _sections_in(page)[name] == body
    own_page = browser.get(f"/clients/{sk_id}/sections/{name}").get_data(as_text=True)
    assert body in _same(own_page)
    for figure in re.findall(r'data-chart[^>]* data-figure="([^"]*)"', body):
        spec = json.loads(markup.unescape(figure))
        assert spec["data"], name


def test_every_declared_section_is_in_the_table_of_contents_in_order(login_as, seeded_ids):
    page = login_as("advisor").get(f"/clients/{seeded_ids[0]}").get_data(as_text=True)
    toc = re.findall(r'<li><a href="#([a-z_]+)">', page)
    assert toc == [s.name for s in sections.all_sections()]
    assert list(_sections_in(page)) == toc
