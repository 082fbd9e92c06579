"""The model page's content: importance, ROC, cost, confusion, calibration, model card."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from flask_babel import gettext as _

from ml.serving.credit import CreditModel

from ..ui import charts
from ..ui import formatting as fmt
from .explanations import feature_label

TOP_IMPORTANCE = 20


@dataclass
class ModelReport:
    """Every chart and fact of the model page."""

    version: str
    threshold: float
    cost_ratio: float
    test: dict[str, Any]
    card: dict[str, Any]
    confusion: dict[str, int]
    charts: list[charts.Chart] = field(default_factory=list)


def _importance_chart(model: CreditModel) -> charts.Chart:
    top = model.importance[:TOP_IMPORTANCE]
    labels = [feature_label(model, name) for name, _value in top]
    return charts.Chart(
        id="model-importance", title=_("Importance globale des variables"),
        summary=_("Les %(n)s variables qui pèsent le plus en moyenne (moyenne de la valeur "
                  "absolue des contributions SHAP). En tête : %(first)s.", n=len(top),
                  first=labels[0]) if top else "",
        figure=charts.bars(labels, [v for _name, v in top],
                           _("Contribution moyenne (|SHAP|, log-odds)")),
        columns=[_("Variable"), _("Importance")],
        rows=[[label, fmt.fixed(v, None, 4)] for label, (_name, v) in zip(labels, top,
                                                                          strict=True)])


def _roc_chart(roc: dict[str, list], test: dict[str, Any]) -> charts.Chart:
    confusion = test.get("confusion", {})
    tp, fn = confusion.get("tp", 0), confusion.get("fn", 0)
    fp, tn = confusion.get("fp", 0), confusion.get("tn", 0)
    tpr = tp / (tp + fn) if tp + fn else 0.0
    fpr = fp / (fp + tn) if fp + tn else 0.0
    step = max(1, len(roc["fpr"]) // 20)
    return charts.Chart(
        id="model-roc", title=_("Courbe ROC"),
        summary=_("Aire sous la courbe (AUC) sur le jeu de test : %(auc)s. Au seuil choisi, le "
                  "modèle repère %(tpr)s des défauts pour %(fpr)s de bons clients refusés.",
                  auc=fmt.fixed(test.get("roc_auc"), None, 3), tpr=fmt.percent(tpr),
                  fpr=fmt.percent(fpr)),
        figure=charts.lines(
            [{"x": roc["fpr"], "y": roc["tpr"], "name": _("Modèle")},
             {"x": [0, 1], "y": [0, 1], "name": _("Hasard")}],
            _("Taux de faux positifs"), _("Taux de vrais positifs"),
            marker={"x": fpr, "y": tpr, "name": _("Seuil")}),
        columns=[_("Faux positifs"), _("Vrais positifs")],
        rows=[[fmt.percent(x), fmt.percent(y)]
              for x, y in list(zip(roc["fpr"], roc["tpr"], strict=True))[::step]])


def _cost_chart(model: CreditModel, cost: dict[str, list]) -> charts.Chart:
    thresholds, costs = np.asarray(cost["threshold"]), np.asarray(cost["cost"])
    step = max(1, len(thresholds) // 25)
    return charts.Chart(
        id="model-cost", title=_("Coût métier selon le seuil"),
        summary=_("Un défaut non détecté coûte %(ratio)s fois plus qu'un bon client refusé. Le "
                  "seuil retenu, %(threshold)s, minimise ce coût.",
                  ratio=fmt.number(model.cost_ratio), threshold=fmt.percent(model.threshold)),
        figure=charts.lines([{"x": thresholds.tolist(), "y": costs.tolist(), "name": _("Coût")}],
                            _("Seuil de probabilité"), _("Coût métier"), vline=model.threshold),
        columns=[_("Seuil"), _("Coût")],
        rows=[[fmt.percent(t), fmt.fixed(c, None, 3)]
              for t, c in list(zip(thresholds, costs, strict=True))[::step]])


def _calibration_chart(calibration: dict[str, list]) -> charts.Chart:
    diagonal = max(calibration["predicted"] + [0.01])
    return charts.Chart(
        id="model-calibration", title=_("Calibration"),
        summary=_("Pour chaque groupe de clients classés par probabilité prédite, le taux de "
                  "défaut observé. Près de la diagonale, les probabilités annoncées sont "
                  "fidèles."),
        figure=charts.lines(
            [{"x": calibration["predicted"], "y": calibration["observed"], "name": _("Modèle"),
              "mode": "lines+markers"},
             {"x": [0, diagonal], "y": [0, diagonal], "name": _("Calibration parfaite")}],
            _("Probabilité prédite"), _("Taux de défaut observé")),
        columns=[_("Prédite"), _("Observée"), _("Clients")],
        rows=[[fmt.percent(p), fmt.percent(o), fmt.number(n)]
              for p, o, n in zip(calibration["predicted"], calibration["observed"],
                                 calibration["count"], strict=True)])


def model_report(model: CreditModel) -> ModelReport:
    """Every chart and fact of the model page."""
    test = model.metrics.get("test", {})
    curves = model.metrics.get("curves", {})
    report = ModelReport(version=model.version, threshold=model.threshold,
                         cost_ratio=model.cost_ratio, test=test, card=model.card,
                         confusion=test.get("confusion", {}))
    report.charts.append(_importance_chart(model))
    if curves.get("roc"):
        report.charts.append(_roc_chart(curves["roc"], test))
    if curves.get("cost"):
        report.charts.append(_cost_chart(model, curves["cost"]))
    if curves.get("calibration"):
        report.charts.append(_calibration_chart(curves["calibration"]))
    return report
