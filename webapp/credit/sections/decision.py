"""The decision (probability against the threshold, verdict, gauge, what lies outside the
model's experience) and its reasons (the SHAP waterfall and the sentences for and against)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from ml.serving.credit import CreditModel, Explanation

from ...ui import charts
from ...ui import formatting as fmt
from ..explanations import (
    DecisionSummary,
    Reason,
    decision_summary,
    feature_label,
    feature_value,
    reasons,
    sigmoid,
)
from .registry import SectionInput

WATERFALL_STEPS = 10


@dataclass(frozen=True)
class DecisionView:
    """The verdict, its distance to the threshold in words, the gauge, unusual features."""

    explanation: Explanation
    summary: DecisionSummary
    gauge: charts.Chart
    unusual: list[str]


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


def decision_view(model: CreditModel, explanation: Explanation) -> DecisionView:
    """The decision section of one explanation."""
    summary = decision_summary(explanation)
    verdict = verdict_word(explanation.decision)
    gauge = charts.Chart(
        id="decision-gauge",
        title=_("Probabilité de défaut et seuil"),
        summary=f"{verdict}. {summary.sentence}",
        figure=charts.gauge(explanation.probability, explanation.threshold,
                            {"title": _("Probabilité de défaut")}),
        columns=[_("Mesure"), _("Valeur")],
        rows=[[_("Probabilité de défaut"), fmt.percent(explanation.probability)],
              [_("Seuil de refus"), fmt.percent(explanation.threshold)],
              [_("Décision"), verdict]])
    return DecisionView(explanation, summary, gauge, unusual_features(model, explanation))


def reasons_view(model: CreditModel, explanation: Explanation,
                 record: Mapping[str, Any]) -> ReasonsView:
    """The reasons section of one explanation."""
    against, in_favour = reasons(model, explanation, record)
    ranked = sorted(explanation.contributions.items(), key=lambda kv: -abs(kv[1]))
    top, rest = ranked[:WATERFALL_STEPS], ranked[WATERFALL_STEPS:]
    steps = [(f"{feature_label(model, name)} = "
              f"{feature_value(model, name, explanation, record)}", value)
             for name, value in top]
    rest_total = float(sum(value for _name, value in rest))
    others = _("Autres facteurs (%(n)s)", n=len(rest))
    if rest:
        steps.append((others, rest_total))
    base_label = _("Client moyen")
    total_label = _("Ce dossier")
    figure = charts.waterfall(steps, base_label, total_label, explanation.base_value,
                              _("Effet sur le risque (log-odds)"))
    rows = [[base_label, "", fmt.fixed(explanation.base_value, None, 3)]]
    rows += [[feature_label(model, name), feature_value(model, name, explanation, record),
              fmt.fixed(value, None, 3)] for name, value in top]
    if rest:
        rows.append([others, "", fmt.fixed(rest_total, None, 3)])
    rows.append([total_label, fmt.percent(explanation.probability),
                 fmt.fixed(explanation.margin, None, 3)])
    summary = _("Le risque part de celui d'un client moyen (%(start)s) et arrive à %(end)s pour "
                "ce dossier. Le facteur le plus influent est « %(strongest)s ». Les barres "
                "orange hachurées augmentent le risque, les bleues le réduisent.",
                start=fmt.percent(sigmoid(explanation.base_value)),
                end=fmt.percent(explanation.probability),
                strongest=feature_label(model, top[0][0]) if top else "")
    chart = charts.Chart(id="reasons-waterfall", title=_("Ce qui a pesé dans la décision"),
                         summary=summary, figure=figure,
                         columns=[_("Facteur"), _("Valeur"), _("Contribution (log-odds)")],
                         rows=rows)
    return ReasonsView(against, in_favour, chart)


def build_decision(section: SectionInput) -> DecisionView:
    """The decision section of the section's applicant."""
    assert section.model is not None
    return decision_view(section.model, section.explanation)


def build_reasons(section: SectionInput) -> ReasonsView:
    """The reasons section of the section's applicant."""
    assert section.model is not None
    return reasons_view(section.model, section.explanation, section.record)
