"""Classification metrics for the report: numpy and scikit-learn only (no Keras)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
)


def accuracy(labels: np.ndarray, probabilities: np.ndarray) -> float:
    """Share of photos whose most probable class is the true one."""
    return float(accuracy_score(labels, np.argmax(probabilities, axis=1)))


def macro_auc(labels: np.ndarray, probabilities: np.ndarray) -> float | None:
    """Macro one-vs-rest ROC AUC; ``None`` when a class is absent from ``labels``."""
    n_classes = probabilities.shape[1]
    if len(np.unique(labels)) < n_classes:
        present = np.unique(labels)
        if len(present) < 2:
            return None
        scores = [
            roc_auc_score(labels == k, probabilities[:, k]) for k in present
        ]
        return float(np.mean(scores))
    return float(
        roc_auc_score(labels, probabilities, multi_class="ovr", average="macro",
                      labels=list(range(n_classes)))
    )


def classification_report(
    labels: np.ndarray, probabilities: np.ndarray, class_names: list[str]
) -> dict:
    """Accuracy, macro AUC, confusion matrix and per-class precision / recall / F1."""
    predicted = np.argmax(probabilities, axis=1)
    indices = list(range(len(class_names)))
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=indices, zero_division=0
    )
    return {
        "n_images": int(len(labels)),
        "accuracy": accuracy(labels, probabilities),
        "macro_auc": macro_auc(labels, probabilities),
        "confusion_matrix": confusion_matrix(labels, predicted, labels=indices).tolist(),
        "per_class": {
            name: {
                "precision": float(precision[k]),
                "recall": float(recall[k]),
                "f1": float(f1[k]),
                "support": int(support[k]),
            }
            for k, name in enumerate(class_names)
        },
    }
