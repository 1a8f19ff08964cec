"""Training for the small learned models (proto_trainer_tui/hashed_model.py): plain batch gradient descent on
a logistic regression with an L2 penalty, from zero weights, so the same data always gives the same weights."""

from __future__ import annotations

import numpy as np


def dense(vectors: list[dict[int, float]], width: int) -> np.ndarray:
    x = np.zeros((len(vectors), width))
    for row, vector in enumerate(vectors):
        for index, value in vector.items():
            x[row, index] = value
    return x


def train(x: np.ndarray, y: np.ndarray, l2: float, steps: int, rate: float,
          sample_weight: np.ndarray | None = None) -> np.ndarray:
    """Weights of a logistic regression (the bias is a feature of its own, always 1). ``sample_weight``
    scales each row's share of the loss (default: all 1)."""
    w_rows = np.ones(len(y)) if sample_weight is None else sample_weight
    weights = np.zeros(x.shape[1])
    total = w_rows.sum()
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ weights)))
        weights -= rate * (x.T @ ((p - y) * w_rows) / total + l2 * weights)
    return weights
