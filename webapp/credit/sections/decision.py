"""The decision (the final decision first, then the model's: probability against the
threshold, verdict, gauge, what lies outside the model's experience) and its reasons (the
SHAP waterfall in percentage points and the sentences for and against)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from ml.serving.credit import CreditModel, Explanation

from ...clients.final_decision import DecisionStatus, decision_status
from ...extensions import db
from ...ui import charts
from ...ui import formatting as fmt
from ..explanations import (
    DecisionSummary,
    Reason,
    decision_summary,
    feature_label,
    feature_value,
    reasons,
)
from ..points import points_waterfall
from .registry import SectionInput

WATERFALL_STEPS = 10


@dataclass(frozen=True)
class DecisionView:
    """The verdict, its distance to the threshold in words, the gauge, unusual features."""

    explanation: Explanation
    summary: DecisionSummary
    gauge: charts.Chart
    unusual: list[str]
    final: DecisionStatus  # the final decision (a decided review's, else the model's)


@dataclass(frozen=True)
class ReasonsView:
    """The reasons against and for, and the waterfall of contributions."""

    against: list[Reason]
    in_favour: list[Reason]
    waterfall: charts.Chart


def verdict_word(decision: str) -> str:
    """``Accordé`` / ``Refusé``."""
    return _("Accordé") if decision == "accepted" else _("Refusé")


def unusual_features(model: CreditModel, explanation: Explanation) -> list[str]:
    """Human names of what lies outside the model's experience (empty when nothing does)."""
    names = []
    for feature in model.reference.out_of_distribution(explanation.features):
        if feature == "__neighbours__":
            names.append(_("le profil d'ensemble (aucun client comparable)"))
        else:
            names.append(feature_label(model, feature))
    return names


def decision_view(model: CreditModel, explanation: Explanation,
                  status: DecisionStatus | None = None) -> DecisionView:
    """The decision section of one explanation (``status``: the final decision when a human
    review decided it; the model's otherwise)."""
    status = status or DecisionStatus(explanation.decision, explanation.decision)
    summary = decision_summary(explanation)
    top = charts.gauge_top(explanation.probability, explanation.threshold) / 100
    gauge = charts.Chart(
        id="decision-gauge",
        title=_("Probabilité de défaut et seuil"),
        summary=_("Jauge de %(low)s à %(high)s : l'aiguille marque la probabilité de défaut "
                  "estimée, %(p)s ; le trait violet, le seuil de refus, %(t)s.",
                  low=fmt.percent(0, None, 0), high=fmt.percent(top, None, 0),
                  p=fmt.percent(explanation.probability),
                  t=fmt.percent(explanation.threshold)),
        figure=charts.gauge(explanation.probability, explanation.threshold,
                            {"title": _("Probabilité de défaut")}),
        columns=[_("Mesure"), _("Valeur")],
        rows=[[_("Probabilité de défaut"), fmt.percent(explanation.probability)],
              [_("Seuil de refus"), fmt.percent(explanation.threshold)],
              [_("Décision du modèle"), verdict_word(explanation.decision)]])
    return DecisionView(explanation, summary, gauge, unusual_features(model, explanation),
                        status)


def _signed_points(value: float) -> str:
    """``+1,3 pt`` / ``−0,4 pt`` (a true minus sign), in the page's language."""
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return _("%(sign)s%(n)s pt", sign=sign, n=fmt.fixed(abs(value), None, 1))


def reasons_view(model: CreditModel, explanation: Explanation,
                 record: Mapping[str, Any]) -> ReasonsView:
    """The reasons section of one explanation: the sentences, and the waterfall in
    percentage points from the average client's probability to this applicant's."""
    against, in_favour = reasons(model, explanation, record)
    ranked = sorted(explanation.contributions.items(), key=lambda kv: -abs(kv[1]))
    top, rest = ranked[:WATERFALL_STEPS], ranked[WATERFALL_STEPS:]
    others = _("Autres facteurs (%(n)s)", n=len(rest))
    log_steps = [(name, value) for name, value in top]
    if rest:
        log_steps.append(("__others__", float(sum(value for _name, value in rest))))
    shown = points_waterfall(explanation.base_value, explanation.margin, log_steps)
    names = {name: (others if name == "__others__" else feature_label(model, name))
             for name, _value in log_steps}
    values = {name: ("" if name == "__others__" else
                     feature_value(model, name, explanation, record))
              for name, _value in log_steps}
    steps = [(f"{names[name]} = {values[name]}" if values[name] else names[name], points)
             for name, points in shown.steps]
    base_label, total_label = _("Client moyen"), _("Ce dossier")
    start_text = fmt.percent(shown.start / 100)
    end_text = fmt.percent(shown.end / 100)
    texts = [start_text] + [_signed_points(points) for _name, points in shown.steps] + [end_text]
    figure = charts.waterfall(steps, base_label, total_label, shown.start, texts,
                              _("Probabilité de défaut"),
                              short_names=[names[name] for name, _points in shown.steps])
    rows = [[base_label, "", start_text]]
    rows += [[names[name], values[name], _signed_points(points)]
             for name, points in shown.steps]
    rows.append([total_label, "", end_text])
    strongest = feature_label(model, top[0][0]) if top else ""
    summary = _("La probabilité de défaut part de celle d'un client moyen (%(start)s) et "
                "arrive à %(end)s pour ce dossier ; chaque barre dit de combien de points un "
                "facteur l'a fait monter (orange) ou baisser (bleu). Le facteur le plus "
                "influent est « %(strongest)s ».", start=start_text, end=end_text,
                strongest=strongest)
    chart = charts.Chart(id="reasons-waterfall", title=_("Ce qui a pesé dans la décision"),
                         summary=summary, figure=figure,
                         columns=[_("Facteur"), _("Valeur"), _("Effet (en points)")],
                         rows=rows)
    return ReasonsView(against, in_favour, chart)


def build_decision(section: SectionInput) -> DecisionView:
    """The decision section of the section's applicant: the final decision first."""
    assert section.model is not None
    explanation = section.explanation
    applicant = section.applicant
    status = decision_status(db.session, applicant.sk_id_curr, applicant.version,
                             explanation.decision)
    return decision_view(section.model, explanation, status)


def build_reasons(section: SectionInput) -> ReasonsView:
    """The reasons section of the section's applicant."""
    assert section.model is not None
    return reasons_view(section.model, section.explanation, section.record)
