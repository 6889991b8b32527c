#!/usr/bin/env python3
"""Reference points for the embedded dataset generators, drawn with NumPy's legacy generator.

Run from the repository root:  python3 tools/make_dataset_fixtures.py
Writes Tests/ExperimentsTests/Fixtures/numpy_datasets.json. Each recipe below is the one
documented in Sources/Datasets/Generators/Generator+Recipes.swift; X is written in row-major
order of its (features, m) shape.
"""
import json
import os

import numpy as np

OUT = os.path.join("Tests", "ExperimentsTests", "Fixtures", "numpy_datasets.json")


def planar(m=400, seed=1):
    """The planar-classification tutorial's load_planar_dataset()."""
    np.random.seed(seed)
    N = m // 2
    D = 2
    X = np.zeros((m, D))
    Y = np.zeros((m, 1), dtype="uint8")
    a = 4
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + np.random.randn(N) * 0.2
        r = a * np.sin(4 * t) + np.random.randn(N) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.T, Y.T


def sizes(m, k):
    return [m // k + (1 if j < m % k else 0) for j in range(k)]


def moons(m, noise, seed):
    np.random.seed(seed)
    n0, n1 = sizes(m, 2)
    s0, s1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    P = np.vstack([np.c_[np.cos(s0), np.sin(s0)], np.c_[1 - np.cos(s1), 1 - np.sin(s1) - 0.5]])
    P = P + np.random.randn(m, 2) * noise
    return P.T, np.array([[0] * n0 + [1] * n1])


def circles(m, noise, factor, seed):
    np.random.seed(seed)
    n0, n1 = sizes(m, 2)
    s0 = np.linspace(0, 2 * np.pi, n0, endpoint=False)
    s1 = np.linspace(0, 2 * np.pi, n1, endpoint=False)
    P = np.vstack([np.c_[np.cos(s0), np.sin(s0)], np.c_[factor * np.cos(s1), factor * np.sin(s1)]])
    P = P + np.random.randn(m, 2) * noise
    return P.T, np.array([[0] * n0 + [1] * n1])


def spirals(m, arms, noise, seed):
    """cs231n's spiral data."""
    np.random.seed(seed)
    Xs, ys = [], []
    for j, n in enumerate(sizes(m, arms)):
        r = np.linspace(0.0, 1, n)
        t = np.linspace(j * 4, (j + 1) * 4, n) + np.random.randn(n) * noise
        Xs.append(np.c_[r * np.sin(t), r * np.cos(t)])
        ys += [j] * n
    return np.vstack(Xs).T, np.array([ys])


def random_toy(features, m, seed):
    """The backpropagation tutorial's X = np.random.randn(3, 5) after np.random.seed(1)."""
    np.random.seed(seed)
    return np.random.randn(features, m)


def synthetic_samples(features, m, seed):
    """The benchmark rule as NetSweep's `synthetic` generator draws it: np.random.seed(seed);
    X = np.random.rand(features, m). Only some entries are kept (the file stays small): the
    corners, both sides of the 256-example blocks the generator draws a large X in, and a spread."""
    np.random.seed(seed)
    X = np.random.rand(features, m)
    columns = sorted({0, 1, 255, 256, 257, 511, 512, m // 2, m - 257, m - 256, m - 2, m - 1} | set(range(3, m, 97)))
    return {"rows": features, "columns": m, "seed": seed,
            "samples": [[int(i), int(j), float(X[i, j])] for j in columns for i in range(features)],
            "row_sums": [float(v) for v in X.sum(axis=1)]}


def entry(X, Y):
    return {"rows": int(X.shape[0]), "columns": int(X.shape[1]),
            "row_major": [float(v) for v in X.ravel()], "labels": [int(v) for v in np.asarray(Y).ravel()]}


def main():
    X, Y = planar()
    data = {
        "generator": "tools/make_dataset_fixtures.py",
        "planar_seed1": entry(X, Y),
        "planar_seed3_n100": entry(*planar(100, 3)),
        "moons": entry(*moons(51, 0.1, 4)),
        "circles": entry(*circles(40, 0.05, 0.5, 2)),
        "spirals": entry(*spirals(31, 3, 0.2, 5)),
        "random": entry(random_toy(3, 5, 1), np.array([[1, 0, 1, 1, 0]])),
        "synthetic": synthetic_samples(3, 2600, 7),
    }
    with open(OUT, "w") as f:
        json.dump(data, f)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
