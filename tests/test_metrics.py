"""seqnlp.metrics against scikit-learn."""

import numpy as np
import pytest
from sklearn import metrics as skm

from seqnlp.metrics import accuracy, classification_report, confusion_matrix, macro_f1, precision_recall_f1


@pytest.mark.parametrize("seed", range(5))
def test_metrics_match_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, 200)
    y_hat = np.where(rng.random(200) < 0.7, y, rng.integers(0, 3, 200))
    assert accuracy(y, y_hat) == pytest.approx(skm.accuracy_score(y, y_hat))
    assert np.array_equal(confusion_matrix(y, y_hat), skm.confusion_matrix(y, y_hat))
    p, r, f, s = precision_recall_f1(y, y_hat)
    sp, sr, sf, ss = skm.precision_recall_fscore_support(y, y_hat, zero_division=0)
    assert np.allclose(p, sp) and np.allclose(r, sr) and np.allclose(f, sf) and np.array_equal(s, ss)
    assert macro_f1(y, y_hat) == pytest.approx(skm.f1_score(y, y_hat, average="macro"))


def test_rare_class_never_predicted_counts_as_zero_f1():
    y = np.array([0, 0, 0, 1, 2, 2])
    y_hat = np.array([0, 0, 0, 0, 2, 2])  # the rare class 1 is never predicted
    assert macro_f1(y, y_hat) == pytest.approx(skm.f1_score(y, y_hat, average="macro", zero_division=0))
    assert precision_recall_f1(y, y_hat)[2][1] == 0.0
    # num_classes adds classes that occur nowhere (F1 0), like sklearn's labels=
    assert macro_f1([0, 1], [0, 1], num_classes=3) == pytest.approx(
        skm.f1_score([0, 1], [0, 1], labels=[0, 1, 2], average="macro", zero_division=0)
    )
    assert confusion_matrix([0, 1], [0, 1], num_classes=3).shape == (3, 3)


def test_labels_that_are_not_zero_based_and_errors():
    y, y_hat = [3, 5, 5, 7], [3, 5, 7, 7]
    assert np.array_equal(confusion_matrix(y, y_hat), skm.confusion_matrix(y, y_hat))
    assert macro_f1(y, y_hat) == pytest.approx(skm.f1_score(y, y_hat, average="macro"))
    with pytest.raises(ValueError, match="labels"):
        accuracy([0, 1], [0])
    assert accuracy([], []) == 0.0


def test_classification_report_table():
    y, y_hat = [0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0]
    table = classification_report(y, y_hat, names=["neg", "neu", "pos"])
    assert list(table.index) == ["neg", "neu", "pos", "macro avg", "accuracy"]
    assert table.loc["accuracy", "f1"] == pytest.approx(4 / 6)
    assert table.loc["macro avg", "f1"] == pytest.approx(skm.f1_score(y, y_hat, average="macro"))
    assert table.loc["pos", "support"] == 3 and table.loc["macro avg", "support"] == 6
