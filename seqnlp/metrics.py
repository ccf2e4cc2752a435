"""Classification metrics in NumPy (lessons 06-08): accuracy, confusion matrix, per-class and macro F1.

They agree with scikit-learn's ``accuracy_score``, ``confusion_matrix`` and
``precision_recall_fscore_support`` (with ``zero_division=0``)::

    from seqnlp.metrics import accuracy, macro_f1, classification_report

    print(f"accuracy {accuracy(y, y_hat):.2%}, macro-F1 {macro_f1(y, y_hat):.3f}")
    classification_report(y, y_hat, names=["negative", "neutral", "positive"])

Macro-F1 averages the F1 of every class with the same weight, so a rare class
(UIT-VSFC's neutral sentences are about 4% of the data) counts as much as a
frequent one; accuracy barely notices it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["accuracy", "classification_report", "confusion_matrix", "macro_f1", "precision_recall_f1"]


def _as_labels(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true).reshape(-1)
    y_pred = np.asarray(y_pred).reshape(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} labels but y_pred has {y_pred.size}")
    return y_true, y_pred


def _classes(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None) -> np.ndarray:
    """The labels a metric runs over: ``0 .. num_classes-1``, or every label seen (sorted)."""
    if num_classes is not None:
        return np.arange(num_classes)
    return np.union1d(y_true, y_pred)


def accuracy(y_true, y_pred) -> float:
    """Share of predictions equal to the true label (0.0 for empty input)."""
    y_true, y_pred = _as_labels(y_true, y_pred)
    return float(np.mean(y_true == y_pred)) if y_true.size else 0.0


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """``C[i, j]`` = number of examples of class ``i`` predicted as class ``j`` (int64).

    Classes are ``0 .. num_classes-1`` when given, otherwise the sorted labels
    that occur in either argument (scikit-learn's convention).
    """
    y_true, y_pred = _as_labels(y_true, y_pred)
    classes = _classes(y_true, y_pred, num_classes)
    index = {label: i for i, label in enumerate(classes.tolist())}
    matrix = np.zeros((len(classes), len(classes)), dtype=np.int64)
    for t, p in zip(y_true.tolist(), y_pred.tolist(), strict=True):
        if t in index and p in index:
            matrix[index[t], index[p]] += 1
    return matrix


def precision_recall_f1(
    y_true, y_pred, num_classes: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-class ``(precision, recall, f1, support)``; a 0/0 ratio counts as 0."""
    matrix = confusion_matrix(y_true, y_pred, num_classes).astype(np.float64)
    tp = np.diag(matrix)
    predicted, support = matrix.sum(axis=0), matrix.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        denom = precision + recall
        f1 = np.where(denom > 0, 2 * precision * recall / denom, 0.0)
    return precision, recall, f1, support.astype(np.int64)


def macro_f1(y_true, y_pred, num_classes: int | None = None) -> float:
    """Unweighted mean of the per-class F1 scores."""
    f1 = precision_recall_f1(y_true, y_pred, num_classes)[2]
    return float(f1.mean()) if f1.size else 0.0


def classification_report(y_true, y_pred, names: Sequence[str] | None = None) -> pd.DataFrame:
    """Precision, recall, F1 and support per class, plus accuracy and macro averages, as a table."""
    num_classes = len(names) if names is not None else None
    precision, recall, f1, support = precision_recall_f1(y_true, y_pred, num_classes)
    y_true_arr, y_pred_arr = _as_labels(y_true, y_pred)
    labels = list(names) if names is not None else [str(c) for c in _classes(y_true_arr, y_pred_arr, None)]
    table = pd.DataFrame({"precision": precision, "recall": recall, "f1": f1, "support": support}, index=labels)
    total = int(support.sum())
    table.loc["macro avg"] = [precision.mean(), recall.mean(), f1.mean(), total]
    table.loc["accuracy"] = [np.nan, np.nan, accuracy(y_true, y_pred), total]
    table["support"] = table["support"].astype(int)
    return table
