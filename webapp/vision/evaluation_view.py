"""What the page of an image evaluation shows, from the job's stored result
(``ml.serving.vision_batch.evaluate_archive``, thumbnails as data URIs).

Per model: accuracy, macro AUC, the confusion matrix (a heatmap with its summary and its
table) and per-class precision and recall (a table); then the misclassified photos as a
contact sheet, each with its true and predicted categories. Categories are in the page's
language; a precision or a recall that cannot be measured (a category never predicted, or
absent from the folder) is a dash, not a misleading zero.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from ..i18n import current_language
from ..ui.charts import Chart
from ..ui.formatting import fixed, percent
from .categories import category_name
from .presentation import MODEL_NAMES, confusion_chart

ORDER = ("efficientnet", "vit")
#: The most misclassified photos shown on the page (the rest are counted).
SHEET_LIMIT = 300


def _pct(value: float | None) -> str:
    return "—" if value is None else percent(value, current_language(), 1)


def _ordered(names) -> list[str]:
    names = list(names)
    return [m for m in ORDER if m in names] + [m for m in names if m not in ORDER]


def _confusion_chart(model_id: str, labels: list[str], matrix: list[list[int]]) -> Chart:
    name = MODEL_NAMES.get(model_id, model_id)
    return confusion_chart(f"evaluation-confusion-{model_id}",
                           _("Matrice de confusion, %(model)s (vos photos)", model=name),
                           labels, matrix, phone_rows=True)


def _per_class(labels: list[str], report: dict) -> list[dict[str, Any]]:
    matrix = report["confusion_matrix"]
    rows = []
    for k, label in enumerate(labels):
        entry = report["per_class"].get(label, {})
        predicted = sum(row[k] for row in matrix)
        support = int(entry.get("support", sum(matrix[k])))
        rows.append({"label": category_name(label), "support": support,
                     "predicted": predicted,
                     "precision": _pct(entry.get("precision")) if predicted else "—",
                     "recall": _pct(entry.get("recall")) if support else "—"})
    return rows


def _misclassified(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    shown = []
    for item in items[:SHEET_LIMIT]:
        predictions = [{"model": MODEL_NAMES.get(m, m), "id": m,
                        "label": category_name(item["predictions"][m]["label"]),
                        "probability": _pct(item["predictions"][m]["probability"]),
                        "wrong": m in item.get("wrong", [])}
                       for m in _ordered(item["predictions"])]
        shown.append({"name": item["name"], "thumbnail": item["thumbnail"],
                      "label": category_name(item["label"]), "predictions": predictions})
    return shown


def evaluation_view(result: dict[str, Any]) -> dict[str, Any]:
    """Everything the results section shows, from a stored evaluation result."""
    labels = list(result["labels"])
    models = []
    for model_id in _ordered(result["models"]):
        report = result["models"][model_id]
        models.append({
            "id": model_id, "name": MODEL_NAMES.get(model_id, model_id),
            "accuracy": report["accuracy"], "accuracy_text": _pct(report["accuracy"]),
            "auc_text": ("—" if report.get("macro_auc") is None
                         else fixed(report["macro_auc"], current_language(), 3)),
            "correct": sum(report["confusion_matrix"][i][i] for i in range(len(labels))),
            "n_images": report.get("n_images", result["n_photos"]),
            "confusion": _confusion_chart(model_id, labels, report["confusion_matrix"]),
            "per_class": _per_class(labels, report),
        })
    misclassified = result.get("misclassified", [])
    return {
        "filename": result.get("filename", ""), "n_photos": result["n_photos"],
        "layout": result.get("layout"), "ignored": len(result.get("ignored", [])),
        "class_counts": [(category_name(label), n) for label, n
                         in result.get("class_counts", {}).items() if n],
        "models": models, "misclassified": _misclassified(misclassified),
        "misclassified_total": len(misclassified), "sheet_limit": SHEET_LIMIT,
    }
