"""The model page's content: importance, ROC, cost, confusion, calibration, model card."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import charts
from . import formatting as fmt

TOP_IMPORTANCE = 20


def _t(lang: str, fr: str, en: str) -> str:
    return fr if lang == "fr" else en


def model_report(model: Any, lang: str = "fr") -> dict[str, Any]:
    """Every chart and fact of the model page."""
    metrics = model.metrics
    test = metrics.get("test", {})
    curves = metrics.get("curves", {})
    report: dict[str, Any] = {"version": model.version, "threshold": model.threshold,
                              "cost_ratio": model.cost_ratio, "test": test,
                              "card": model.card, "charts": []}
    top = model.importance[:TOP_IMPORTANCE]
    labels = [model.labels.label(name, lang) for name, _ in top]
    report["charts"].append(charts.Chart(
        id="model-importance", title=_t(lang, "Importance globale des variables",
                                        "Global feature importance"),
        summary=_t(lang, f"Les {len(top)} variables qui pèsent le plus en moyenne (moyenne de "
                   f"la valeur absolue des contributions SHAP). En tête : {labels[0]}.",
                   f"The {len(top)} features with the largest mean absolute SHAP "
                   f"contribution. First: {labels[0]}.") if top else "",
        figure=charts.bars(labels, [v for _, v in top],
                           _t(lang, "Contribution moyenne (|SHAP|, log-odds)",
                              "Mean |SHAP| (log-odds)")),
        columns=[_t(lang, "Variable", "Feature"), _t(lang, "Importance", "Importance")],
        rows=[[label, fmt.fixed(v, lang, 4)] for label, (_, v) in zip(labels, top,
                                                                       strict=True)]))
    roc = curves.get("roc")
    confusion = test.get("confusion", {})
    if roc:
        tp, fn = confusion.get("tp", 0), confusion.get("fn", 0)
        fp, tn = confusion.get("fp", 0), confusion.get("tn", 0)
        tpr = tp / (tp + fn) if tp + fn else 0.0
        fpr = fp / (fp + tn) if fp + tn else 0.0
        auc = fmt.fixed(test.get("roc_auc"), lang, 3)
        step = max(1, len(roc["fpr"]) // 20)
        report["charts"].append(charts.Chart(
            id="model-roc", title=_t(lang, "Courbe ROC", "ROC curve"),
            summary=_t(lang, f"Aire sous la courbe (AUC) sur le jeu de test : {auc}. Au seuil "
                       f"choisi, le modèle repère {fmt.percent(tpr, lang)} des défauts pour "
                       f"{fmt.percent(fpr, lang)} de bons clients refusés.",
                       f"Area under the curve on the test set: {auc}. At the chosen "
                       f"threshold it catches {fmt.percent(tpr, lang)} of defaults while "
                       f"refusing {fmt.percent(fpr, lang)} of good clients."),
            figure=charts.lines(
                [{"x": roc["fpr"], "y": roc["tpr"], "name": _t(lang, "Modèle", "Model")},
                 {"x": [0, 1], "y": [0, 1], "name": _t(lang, "Hasard", "Chance")}],
                _t(lang, "Taux de faux positifs", "False positive rate"),
                _t(lang, "Taux de vrais positifs", "True positive rate"),
                marker={"x": fpr, "y": tpr, "name": _t(lang, "Seuil", "Threshold")}),
            columns=[_t(lang, "Faux positifs", "False positive rate"),
                     _t(lang, "Vrais positifs", "True positive rate")],
            rows=[[fmt.percent(x, lang), fmt.percent(y, lang)]
                  for x, y in list(zip(roc["fpr"], roc["tpr"], strict=True))[::step]]))
    cost = curves.get("cost")
    if cost:
        thresholds, costs = np.asarray(cost["threshold"]), np.asarray(cost["cost"])
        step = max(1, len(thresholds) // 25)
        report["charts"].append(charts.Chart(
            id="model-cost", title=_t(lang, "Coût métier selon le seuil",
                                      "Business cost by threshold"),
            summary=_t(lang, f"Un défaut non détecté coûte {fmt.number(model.cost_ratio, lang)} "
                       "fois plus qu'un bon client refusé. Le seuil retenu, "
                       f"{fmt.percent(model.threshold, lang)}, minimise ce coût.",
                       f"A missed default costs {fmt.number(model.cost_ratio, lang)} times a "
                       f"refused good client. The chosen threshold, "
                       f"{fmt.percent(model.threshold, lang)}, minimises that cost."),
            figure=charts.lines([{"x": thresholds.tolist(), "y": costs.tolist(),
                                  "name": _t(lang, "Coût", "Cost")}],
                                _t(lang, "Seuil de probabilité", "Probability threshold"),
                                _t(lang, "Coût métier", "Business cost"),
                                vline=model.threshold),
            columns=[_t(lang, "Seuil", "Threshold"), _t(lang, "Coût", "Cost")],
            rows=[[fmt.percent(t, lang), fmt.fixed(c, lang, 3)]
                  for t, c in list(zip(thresholds, costs, strict=True))[::step]]))
    calibration = curves.get("calibration")
    if calibration:
        report["charts"].append(charts.Chart(
            id="model-calibration", title=_t(lang, "Calibration", "Calibration"),
            summary=_t(lang, "Pour chaque groupe de clients classés par probabilité prédite, "
                       "le taux de défaut observé. Près de la diagonale, les probabilités "
                       "annoncées sont fidèles.",
                       "For each group of clients by predicted probability, the observed "
                       "default rate. Close to the diagonal, the probabilities are honest."),
            figure=charts.lines(
                [{"x": calibration["predicted"], "y": calibration["observed"],
                  "name": _t(lang, "Modèle", "Model"), "mode": "lines+markers"},
                 {"x": [0, max(calibration["predicted"] + [0.01])],
                  "y": [0, max(calibration["predicted"] + [0.01])],
                  "name": _t(lang, "Calibration parfaite", "Perfect calibration")}],
                _t(lang, "Probabilité prédite", "Predicted probability"),
                _t(lang, "Taux de défaut observé", "Observed default rate")),
            columns=[_t(lang, "Prédite", "Predicted"), _t(lang, "Observée", "Observed"),
                     _t(lang, "Clients", "Clients")],
            rows=[[fmt.percent(p, lang), fmt.percent(o, lang), fmt.number(n, lang)]
                  for p, o, n in zip(calibration["predicted"], calibration["observed"],
                                     calibration["count"], strict=True)]))
    report["confusion"] = confusion
    return report
