"""The small-ViT section of ``/image/etude``: the four variants' figures, the chart with its
table, what each trick bought and the study's conclusion, all taken from the report's
``"study"`` (or the committed reference run, which the page then names)."""

from __future__ import annotations

import copy
import re

import pytest

from tests.webapp.vision.studies import make_study
from webapp.ui.formatting import fixed, number, percent


@pytest.fixture
def report_with_study(vision_models):
    """The stand-ins' report with a study of its own, for one test."""
    saved = vision_models.report
    vision_models.report = {**copy.deepcopy(saved), "study": make_study()}
    yield vision_models.report["study"]
    vision_models.report = saved


def _section(html: str) -> str:
    start = html.index('data-testid="small-vit"')
    return html[start:html.index("</section>", start)]


def test_the_study_page_shows_the_four_variants_from_the_report(client, report_with_study):
    section = _section(client.get("/image/etude").get_data(as_text=True))
    rows = dict(re.findall(r'<tr data-variant="([a-z_]+)">(.*?)</tr>', section, re.S))
    assert list(rows) == ["plain", "spt_lsa", "spt_lsa_deit", "sam"]
    for variant, entry in report_with_study["variants"].items():
        row = rows[variant]
        for shown in (percent(entry["validation"]["accuracy"], "fr"),
                      percent(entry["test"]["accuracy"], "fr"),
                      fixed(entry["test"]["macro_auc"], "fr", 3),
                      fixed(100 * entry["generalisation_gap"], "fr", 1),
                      number(entry["train_seconds"], "fr", 1),
                      number(entry["train_cpu_seconds"], "fr", 1),
                      number(entry["parameters"], "fr")):
            assert shown in row, (variant, shown)
    assert ">ViT simple<" in rows["plain"]
    assert 'id="small-vit-accuracy"' in section and "data-figure=" in section
    assert "Données du graphique" in section  # the chart's numbers as a table


def test_each_trick_s_delta_interval_and_verdict_are_shown(client, report_with_study):
    section = _section(client.get("/image/etude").get_data(as_text=True))
    table = section[section.index('data-testid="small-vit-comparisons"'):]
    assert table.count('data-verdict="gain"') == 2 and table.count('data-verdict="noise"') == 1
    assert "un gain mesurable" in table and "dans le bruit de mesure" in table
    assert "+5,3" in table and "de −2,8 à +5,6 points" in table.replace("-", "−")
    assert "SAM (sur le ViT simple)" in table


def test_the_conclusion_is_the_study_s_own_in_the_page_language(client, report_with_study):
    section = _section(client.get("/image/etude").get_data(as_text=True))
    assert report_with_study["conclusion"]["fr"].split(" ")[0] in section
    shown = re.search(r'data-testid="small-vit-conclusion">([^<]+)<', section).group(1)
    assert shown.replace("&#39;", "'") == report_with_study["conclusion"]["fr"]
    with client.session_transaction() as session:
        session["lang"] = "en"
    english = _section(client.get("/image/etude").get_data(as_text=True))
    shown = re.search(r'data-testid="small-vit-conclusion">([^<]+)<', english).group(1)
    assert shown.replace("&#39;", "'") == report_with_study["conclusion"]["en"]
    assert '<th scope="row">Plain ViT</th>' in english


def test_the_page_says_the_figures_come_from_these_models(client, report_with_study):
    source = re.search(r'data-testid="small-vit-source">(.*?)</p>',
                       _section(client.get("/image/etude").get_data(as_text=True)), re.S)
    assert "lancée sur les modèles servis ici" in source.group(1)
    assert "2026-12-01" in source.group(1) and "python -m ml.vision study" in source.group(1)


def test_without_a_study_of_their_own_the_reference_run_is_shown_and_named(
        client, vision_models, monkeypatch):
    import ml.serving.vision_study as vision_study

    assert "study" not in vision_models.report
    reference = {**make_study(), "created": "2026-11-30T08:00:00+00:00",
                 "command": "python -m ml.vision study --out /tmp/ref"}
    monkeypatch.setattr(vision_study, "reference_study", lambda: reference)
    section = _section(client.get("/image/etude").get_data(as_text=True))
    source = re.search(r'data-testid="small-vit-source">(.*?)</p>', section, re.S).group(1)
    assert "exécution de référence" in source and "2026-11-30" in source
    assert "--out /tmp/ref" in source and "2 cœurs" in source


def test_no_study_at_all_is_said_plainly(client, vision_models, monkeypatch):
    import ml.serving.vision_study as vision_study

    def missing():
        raise FileNotFoundError("study_reference.json")

    monkeypatch.setattr(vision_study, "reference_study", missing)
    response = client.get("/image/etude")
    assert response.status_code == 200
    assert "L'étude du petit ViT n'est pas disponible" in _section(
        response.get_data(as_text=True)).replace("&#39;", "'")


def test_sixty_epochs_of_curves_keep_readable_ticks():
    """The reference run trains 60 epochs: one tick each made 60 overlapping labels."""
    from webapp.vision.study_small_vit import _curves_chart

    study = make_study()
    variants = {name: {**entry, "curves": {"validation_accuracy": [0.4] * 60}}
                for name, entry in study["variants"].items()}
    axis = _curves_chart(variants).figure["layout"]["xaxis"]
    assert 60 / axis["dtick"] <= 15
    assert _curves_chart(study["variants"]).figure["layout"]["xaxis"]["dtick"] == 1
