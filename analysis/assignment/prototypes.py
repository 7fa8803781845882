"""Nearest-prototype classification by cosine: one view's ranking of the commitments.

A commitment's prototype is the weighted mean of its labelled rows (its catalogue text, a facilitator's
examples, and the comments that match it most surely: pseudo-relevance feedback), so a four-character
title is matched first by its own words and then by the words and vectors of the comments about it.
"""

from __future__ import annotations

import warnings
from typing import TypeAlias, cast

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import normalize
from sklearn.utils import Tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

UNLABELLED = -1
DENSE_BLOCK = 8192  # dense rows scored at a time
Rows: TypeAlias = sp.csr_matrix | np.ndarray


class PrototypeClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Cosine to one prototype per class; rows labelled ``unlabelled`` are not used by ``fit``.

    ``fit(X, y, sample_weight)``: each class's prototype is the ``sample_weight``-weighted mean of its
    L2-normalised labelled rows (sparse or dense), normalised again. ``decision_function`` gives the
    cosine of each row to each prototype; ``predict_proba`` a softmax of it at ``temperature``.

    With ``unlabelled=UNLABELLED`` (−1, scikit-learn's semi-supervised convention) a caller can give the
    whole corpus with only the catalogue's rows labelled, as ``LabelSpreading`` takes it; by default
    every row is labelled.
    """

    def __init__(self, temperature: float = 0.1, unlabelled: int | None = None) -> None:
        self.temperature = temperature
        self.unlabelled = unlabelled

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> PrototypeClassifier:
        checked = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32])
        X, y = cast("tuple[Rows, np.ndarray]", checked)
        with warnings.catch_warnings():
            # One row per class is this estimator's usual input (a catalogue), not a regression target.
            warnings.filterwarnings("ignore", "The number of unique classes is greater than 50%")
            check_classification_targets(y)
        labelled = np.arange(y.shape[0])
        if self.unlabelled is not None and y.dtype.kind in "iu":
            labelled = np.flatnonzero(y != self.unlabelled)
        if labelled.size == 0:
            raise ValueError("PrototypeClassifier needs at least one labelled row")
        weight = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if weight.shape != (X.shape[0],) or (weight < 0).any():
            raise ValueError("sample_weight needs one non-negative weight per row of X")
        if weight[labelled].sum() <= 0:
            raise ValueError("the labelled rows' sample_weight sums to zero")
        self.classes_, index = np.unique(y[labelled], return_inverse=True)
        membership = sp.csr_matrix(
            (weight[labelled], (index, labelled)), shape=(self.classes_.size, X.shape[0])
        )
        rows = normalize(X)
        prototypes = membership @ rows
        self.prototypes_ = normalize(
            np.asarray(prototypes.todense()) if sp.issparse(prototypes) else prototypes
        )
        return self

    def similarity(self, X: ArrayLike) -> np.ndarray:
        """Cosine of each row to each class's prototype (rows × classes), whatever the number of classes."""
        check_is_fitted(self, "prototypes_")
        rows = cast(
            "Rows", validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)
        )
        if sp.issparse(rows):
            return np.asarray(normalize(rows) @ self.prototypes_.T, dtype=np.float64)
        # Dense rows (sentence vectors, float32) block by block in their own precision: a float64 copy of
        # each block cost more than its product, and a copy of every row at once would double the memory.
        prototypes = self.prototypes_.astype(rows.dtype, copy=False)
        scores = np.empty((rows.shape[0], prototypes.shape[0]), dtype=np.float64)
        for start in range(0, rows.shape[0], DENSE_BLOCK):
            scores[start : start + DENSE_BLOCK] = normalize(rows[start : start + DENSE_BLOCK]) @ prototypes.T
        return scores

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """:meth:`similarity`, or for two classes the second's minus the first's (scikit-learn's shape)."""
        scores = self.similarity(X)
        if self.classes_.size == 2:
            difference: np.ndarray = scores[:, 1] - scores[:, 0]
            return difference
        return scores

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        scores = self.similarity(X) / max(self.temperature, 1e-6)
        exp = np.exp(scores - scores.max(axis=1, keepdims=True))
        proba: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
        return proba

    def predict(self, X: ArrayLike) -> np.ndarray:
        best = self.similarity(X).argmax(axis=1)
        labels: np.ndarray = self.classes_[best]
        return labels


__all__ = ["UNLABELLED", "PrototypeClassifier", "Rows"]
