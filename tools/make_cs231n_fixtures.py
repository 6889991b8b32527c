#!/usr/bin/env python3
"""Writes Tests/NeuralNetTests/Fixtures/numpy_cs231n_toy.json: the cs231n two-layer-net
assignment's toy model and toy data, and a NumPy transcription of its loss (the assignment's
TwoLayerNet.loss: examples as rows, X·W + b, relu, softmax, L2 as reg·Σ‖W‖² with dW += 2·reg·W).

    np.random.seed(0); W1 = 1e-1 * randn(4, 10); W2 = 1e-1 * randn(10, 3); biases zero
    np.random.seed(1); X = 10 * randn(5, 4); y = [0, 1, 2, 2, 1]

The assignment's notebook checks the loss at reg = 0.05 against 1.30378789133; this script asserts
the same. Run from the repository root: python3 tools/make_cs231n_fixtures.py"""
import json
import os

import numpy as np

OUT = os.path.join("Tests", "NeuralNetTests", "Fixtures", "numpy_cs231n_toy.json")


def toy_model():
    np.random.seed(0)
    std = 1e-1
    return {"W1": std * np.random.randn(4, 10), "b1": np.zeros(10),
            "W2": std * np.random.randn(10, 3), "b2": np.zeros(3)}


def toy_data():
    np.random.seed(1)
    return 10 * np.random.randn(5, 4), np.array([0, 1, 2, 2, 1])


def loss(params, X, y, reg):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    N = X.shape[0]
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
    data_loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    total = data_loss + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads = {"W2": hidden.T.dot(dscores) + 2 * reg * W2, "b2": np.sum(dscores, axis=0)}
    dhidden = dscores.dot(W2.T)
    dhidden[hidden <= 0] = 0
    grads["W1"] = X.T.dot(dhidden) + 2 * reg * W1
    grads["b1"] = np.sum(dhidden, axis=0)
    return scores, total, grads


def main():
    params = toy_model()
    X, y = toy_data()
    scores, total, grads = loss(params, X, y, reg=0.05)
    assert abs(total - 1.30378789133) < 1e-10, total   # the notebook's correct_loss
    _, unregularised, _ = loss(params, X, y, reg=0.0)
    data = {"numpy": np.__version__, "reg": 0.05, "X": X.tolist(), "y": y.tolist(),
            "W1": params["W1"].tolist(), "W2": params["W2"].tolist(),
            "scores": scores.tolist(), "loss": total, "loss_without_reg": unregularised,
            "grads": {key: (value if value.ndim == 2 else value[None, :]).tolist() for key, value in grads.items()}}
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
