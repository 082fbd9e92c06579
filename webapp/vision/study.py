"""The comparison study of the two image classifiers, built from ``report.json``.

Every chart comes with its numbers as a table; the conclusion quotes the report's figures
(nothing here is hard-coded but the wording).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from ..i18n import current_language
from ..ui.charts import Chart, layout, percent_suffix
from ..ui.formatting import fixed, percent
from .categories import category_name, step_text
from .presentation import BAR_COLOURS, MODEL_NAMES, confusion_chart

ORDER = ("efficientnet", "vit")


def _pct(value: float | None) -> str:
    return "—" if value is None else percent(value, current_language(), 1)


def _fix(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else fixed(value, current_language(), digits)


def _models(report: dict) -> list[str]:
    present = report.get("models", {})
    return [m for m in ORDER if m in present] + [m for m in present if m not in ORDER]


def _confusion_chart(model_id: str, labels: list[str], matrix: list[list[int]]) -> Chart:
    name = MODEL_NAMES.get(model_id, model_id)
    return confusion_chart(f"confusion-{model_id}",
                           _("Matrice de confusion, %(model)s (jeu de test)", model=name),
                           labels, matrix)


def _per_class_chart(report: dict, labels: list[str], metric: str, title: str) -> Chart:
    data, rows = [], []
    for model_id in _models(report):
        per_class = report["models"][model_id]["test"]["per_class"]
        data.append({"type": "bar", "name": MODEL_NAMES.get(model_id, model_id),
                     "x": [category_name(c) for c in labels],
                     "y": [round(100 * per_class[c][metric], 1) for c in labels],
                     "marker": {"color": BAR_COLOURS.get(model_id, "#009E73")}})
    for label in labels:
        rows.append([category_name(label)]
                    + [_pct(report["models"][m]["test"]["per_class"][label][metric])
                       for m in _models(report)])
    worst = {m: min(labels, key=lambda c: report["models"][m]["test"]["per_class"][c][metric])
             for m in _models(report)}
    summary = "; ".join(_("%(model)s : la plus faible est « %(label)s »",
                          model=MODEL_NAMES.get(m, m), label=category_name(c))
                        for m, c in worst.items())
    return Chart(id=f"per-class-{metric}", title=title, summary=summary + ".",
                 figure={"data": data, "layout": layout(
                     height=360, barmode="group", margin={"l": 60, "r": 20, "t": 30, "b": 150},
                     yaxis={"range": [0, 100], "ticksuffix": percent_suffix()})},
                 columns=[_("Catégorie")] + [MODEL_NAMES.get(m, m) for m in _models(report)],
                 rows=rows)


def _curves_chart(model_id: str, history: dict[str, list[float]]) -> Chart:
    name = MODEL_NAMES.get(model_id, model_id)
    series = {"loss": _("Perte (entraînement)"), "val_loss": _("Perte (validation)")}
    styles = {"loss": "solid", "val_loss": "dash"}
    data = []
    for key, label in series.items():
        values = history.get(key) or []
        data.append({"type": "scatter", "mode": "lines+markers", "name": label,
                     "x": list(range(1, len(values) + 1)), "y": [round(v, 4) for v in values],
                     "line": {"color": BAR_COLOURS.get(model_id, "#009E73"),
                              "dash": styles[key]}})
    epochs = max((len(history.get(k) or []) for k in series), default=0)
    rows = [[i + 1] + [_fix(history[k][i], 3) if i < len(history.get(k) or []) else "—"
                       for k in series] for i in range(epochs)]
    final = {k: (history.get(k) or [None])[-1] for k in series}
    summary = _("Après %(n)s époques, perte d'entraînement %(train)s, de validation %(val)s.",
                n=epochs, train=_fix(final['loss'], 3) if final["loss"] is not None else "—",
                val=_fix(final['val_loss'], 3) if final["val_loss"] is not None else "—")
    return Chart(id=f"curves-{model_id}", title=_("Courbes d'apprentissage, %(model)s",
                                                   model=name),
                 summary=summary,
                 figure={"data": data, "layout": layout(
                     xaxis={"title": {"text": _("Époque")}, "dtick": 1},
                     yaxis={"title": {"text": _("Perte")}})},
                 columns=[_("Époque")] + list(series.values()), rows=rows)


def _hyperparameters(report: dict) -> dict[str, Any]:
    configuration = report.get("configuration", {})
    columns, keys = [], []
    for setting in ("review_baseline", "tuned"):
        for model_id in _models(report):
            values = configuration.get(setting, {}).get(model_id)
            if values is None:
                continue
            columns.append((setting, model_id))
            keys += [k for k, v in values.items() if k not in keys and v not in ([], None)]
    rows = [[key] + [_value(configuration[s][m].get(key)) for s, m in columns] for key in keys]
    names = {"review_baseline": _("Revue d'origine"), "tuned": _("Ce projet")}
    return {"columns": [f"{names.get(s, s)} — {MODEL_NAMES.get(m, m)}" for s, m in columns],
            "rows": rows}


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "—"
    if isinstance(value, float):
        return fixed(value, current_language(), 6).rstrip("0").rstrip(",.")
    return step_text(str(value))[0]


def _summary_rows(report: dict) -> list[dict[str, Any]]:
    rows = []
    for model_id in _models(report):
        entry = report["models"][model_id]
        int8 = entry.get("int8") or {}
        rows.append({
            "id": model_id, "name": MODEL_NAMES.get(model_id, model_id),
            "accuracy": entry["test"]["accuracy"], "auc": entry["test"].get("macro_auc"),
            "train_accuracy": entry.get("train_accuracy"),
            "validation_accuracy": entry.get("validation_accuracy"),
            "gap": entry.get("generalisation_gap"), "seconds": entry.get("train_seconds"),
            "parameters": entry.get("parameters"), "megabytes": entry.get("onnx_megabytes"),
            "ms": entry.get("onnx_ms_per_image"), "int8": int8 if int8.get("kept") else None,
        })
    return rows


def _conclusion(rows: list[dict[str, Any]], n_test: int) -> list[str]:
    """A few sentences in the reader's language, every figure taken from the report."""
    by_id = {row["id"]: row for row in rows}
    if not {"vit", "efficientnet"} <= set(by_id):
        return []
    vit, cnn = by_id["vit"], by_id["efficientnet"]
    sentences = []
    if abs(vit["accuracy"] - cnn["accuracy"]) < 0.005:
        sentences.append(_("Sur les %(n)s photos de test, les deux modèles ont la même "
                           "exactitude (%(acc)s) : le ViT ne fait pas mieux que le CNN.",
                           n=n_test, acc=_pct(vit["accuracy"])))
    else:
        best, other = (vit, cnn) if vit["accuracy"] > cnn["accuracy"] else (cnn, vit)
        sentences.append(_("Exactitude sur le jeu de test : %(best)s %(a)s contre %(other)s "
                           "pour %(b)s.", best=best["name"], a=_pct(best["accuracy"]),
                           other=_pct(other["accuracy"]), b=other["name"]))
    if vit["auc"] is not None and cnn["auc"] is not None:
        sentences.append(_("AUC macro : %(vit)s pour le ViT, %(cnn)s pour l'EfficientNet.",
                           vit=_fix(vit['auc'], 3), cnn=_fix(cnn['auc'], 3)))
    if vit["gap"] is not None and cnn["gap"] is not None:
        sentences.append(_("L'écart entre entraînement et validation est de %(vit)s points pour "
                           "le ViT et de %(cnn)s pour l'EfficientNet : %(who)s sur-apprend "
                           "davantage sur ce petit jeu de données.",
                           vit=_fix(100 * vit['gap'], 1), cnn=_fix(100 * cnn['gap'], 1),
                           who=vit["name"] if vit["gap"] > cnn["gap"] else cnn["name"]))
    if vit["seconds"] and cnn["seconds"] and vit["ms"] and cnn["ms"]:
        sentences.append(_("Le ViT a coûté %(ratio)s fois plus de temps d'entraînement "
                           "(%(vs)s s contre %(cs)s s) et répond en %(vms)s ms par image contre "
                           "%(cms)s ms ; il pèse %(vmb)s Mo contre %(cmb)s Mo.",
                           ratio=_fix(vit["seconds"] / cnn["seconds"]),
                           vs=_fix(vit['seconds'], 0), cs=_fix(cnn['seconds'], 0),
                           vms=_fix(vit['ms'], 0), cms=_fix(cnn['ms'], 0),
                           vmb=_fix(vit['megabytes'], 0), cmb=_fix(cnn['megabytes'], 0)))
    if vit["int8"]:
        sentences.append(_("Quantifié en int8, le ViT garde une exactitude de %(acc)s et descend "
                           "à %(ms)s ms par image pour %(mb)s Mo.",
                           acc=_pct(vit["int8"].get("test_accuracy")),
                           ms=_fix(vit["int8"].get("ms_per_image")),
                           mb=_fix(vit["int8"].get("megabytes"))))
    if vit["accuracy"] > cnn["accuracy"] + 0.005:
        sentences.append(_("Conclusion : grâce au pré-entraînement auto-supervisé (DINOv2) et à "
                           "la distillation, le ViT fait mieux que le CNN, mais pour un coût "
                           "d'entraînement et d'inférence bien plus élevé ; sur si peu de photos "
                           "de test, l'écart reste à confirmer."))
    elif vit["accuracy"] >= cnn["accuracy"] - 0.005:
        sentences.append(_("Conclusion : le ViT n'égale le CNN que grâce au pré-entraînement "
                           "auto-supervisé (DINOv2) et à la distillation, pour un coût bien plus "
                           "élevé ; avec si peu de photos, le CNN reste le choix le plus sobre."))
    else:
        sentences.append(_("Conclusion : même pré-entraîné (DINOv2), le ViT reste derrière le "
                           "CNN sur ce petit jeu de données, et coûte davantage : le CNN est le "
                           "meilleur choix ici."))
    return sentences


def _step(step: dict[str, Any]) -> dict[str, Any]:
    """A training step as shown: its text in the page's language (and which one it is)."""
    text, language = step_text(str(step.get("step", "")))
    return {**step, "text": text, "lang": language}


def study_view(report: dict, metadata: dict) -> dict[str, Any]:
    """Everything the study page shows, from ``report.json`` and ``metadata.json`` (the
    categories and the training steps in the page's language)."""
    labels = list(report.get("labels") or metadata.get("labels") or [])
    rows = _summary_rows(report)
    return {
        "created": report.get("created", ""), "split": report.get("split", {}),
        "summary": rows, "hyperparameters": _hyperparameters(report),
        "confusions": [_confusion_chart(m, labels, report["models"][m]["test"]
                                        ["confusion_matrix"]) for m in _models(report)],
        "per_class": [_per_class_chart(report, labels, "precision",
                                       _("Précision par catégorie (jeu de test)")),
                      _per_class_chart(report, labels, "recall",
                                       _("Rappel par catégorie (jeu de test)"))],
        "curves": [_curves_chart(m, report["models"][m].get("history", {}))
                   for m in _models(report)],
        "steps": {MODEL_NAMES.get(m, m): [_step(s) for s in report.get("steps", {}).get(m, [])]
                  for m in _models(report)},
        "platform": report.get("platform", {}), "total_seconds": report.get("total_seconds"),
        "provenance": report.get("provenance", {}),
        "conclusion": _conclusion(rows, int(report.get("split", {}).get("test", 0))),
    }
