#!/usr/bin/env python3
"""NumPy runs of the seed tutorials' recipes: where each reproduction's expectations come from.

Run from the repository root (needs ../shared/datasets):
    python3 tools/reproductions/numpy_recipes.py [name ...]
Prints JSON per recipe and writes tools/reproductions/numpy_results.json. The code follows the
tutorials: np.random.seed + randn initialisation, full-batch or mini-batch gradient descent,
dZ_L = A_L - Y, dW = 1/m dZ A_prev^T, db = 1/m sum dZ, cost every iteration.
"""
import gzip
import json
import os
import sys
import time

import numpy as np

DATA = os.path.join("..", "shared", "datasets")
OUT = os.path.join("tools", "reproductions", "numpy_results.json")


def load_cats():
    """Cat vs non-cat as the tutorials load it (needs h5py: pip install h5py)."""
    import h5py
    with h5py.File(os.path.join(DATA, "train_catvnoncat.h5"), "r") as f:
        X, y = np.array(f["train_set_x"]), np.array(f["train_set_y"])
    with h5py.File(os.path.join(DATA, "test_catvnoncat.h5"), "r") as f:
        Xt, yt = np.array(f["test_set_x"]), np.array(f["test_set_y"])
    return X.reshape(X.shape[0], -1).T / 255, y.reshape(1, -1), Xt.reshape(Xt.shape[0], -1).T / 255, yt.reshape(1, -1)


def g(name, Z):
    return {"relu": lambda z: np.maximum(0, z), "tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z))}[name](Z)


def g_back(name, dA, Z, A):
    if name == "relu":
        return dA * (Z > 0)
    if name == "tanh":
        return dA * (1 - A * A)
    return dA * A * (1 - A)


def init(dims, scheme, seed):
    np.random.seed(seed)
    params = []
    for l in range(1, len(dims)):
        W = np.random.randn(dims[l], dims[l - 1])
        W = W * 0.01 if scheme == "normal" else W / np.sqrt(dims[l - 1])
        params.append([W, np.zeros((dims[l], 1))])
    return params


def forward(X, params, hidden):
    caches, A = [], X
    for l, (W, b) in enumerate(params):
        Z = np.dot(W, A) + b
        A = g(hidden, Z) if l < len(params) - 1 else 1 / (1 + np.exp(-Z))
        caches.append((Z, A))
    return A, caches


def train_binary(X, Y, dims, hidden, scheme, seed, lr, iterations):
    params = init(dims, scheme, seed)
    m = X.shape[1]
    costs = []
    for i in range(iterations + 1):
        AL, caches = forward(X, params, hidden)
        with np.errstate(divide="ignore", invalid="ignore"):
            costs.append(float(-1 / m * np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))))
        if i == iterations:
            break
        dZ = AL - Y
        for l in range(len(params) - 1, -1, -1):
            W, b = params[l]
            A_prev = X if l == 0 else caches[l - 1][1]
            dW = 1 / m * np.dot(dZ, A_prev.T)
            db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
            if l > 0:
                dZ = g_back(hidden, np.dot(W.T, dZ), *caches[l - 1])
            params[l] = [W - lr * dW, b - lr * db]
    return params, costs


def accuracy(X, Y, params, hidden):
    AL, _ = forward(X, params, hidden)
    return float(np.mean((AL > 0.5) == Y))


def tanh_vs_relu():
    X, Y, Xt, Yt = load_cats()
    out = {}
    for hidden in ("tanh", "relu"):
        params, costs = train_binary(X, Y, [12288, 5, 5, 1], hidden, "normal", 1, 0.03, 3000)
        out[hidden] = {"costs_every_100": {str(i): costs[i] for i in range(99, 3000, 100)},
                       "final_cost": costs[-1], "test_accuracy": accuracy(Xt, Yt, params, hidden),
                       "train_accuracy": accuracy(X, Y, params, hidden)}
    return out


def deep_cat():
    X, Y, Xt, Yt = load_cats()
    out = {}
    for name, dims, scheme in (("2-layer", [12288, 7, 1], "normal"), ("4-layer", [12288, 20, 7, 5, 1], "xavier")):
        params, costs = train_binary(X, Y, dims, "relu", scheme, 1, 0.0075, 2500)
        out[name] = {"costs_every_100": {str(i): costs[i] for i in range(0, 2501, 100)}, "final_cost": costs[-1],
                     "train_accuracy": accuracy(X, Y, params, "relu"), "test_accuracy": accuracy(Xt, Yt, params, "relu")}
    return out


def planar():
    np.random.seed(1)
    m, N, a = 400, 200, 4
    P = np.zeros((m, 2)); Y = np.zeros((m, 1))
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + np.random.randn(N) * 0.2
        r = a * np.sin(4 * t) + np.random.randn(N) * 0.2
        P[ix] = np.c_[r * np.sin(t), r * np.cos(t)]; Y[ix] = j
    X, Y = P.T, Y.T
    out = {}
    for h in (1, 2, 3, 4, 5, 20, 50):
        params, costs = train_binary(X, Y, [2, h, 1], "tanh", "normal", 2, 1.2, 5000)
        out[str(h)] = {"train_accuracy": accuracy(X, Y, params, "tanh"), "final_cost": costs[-1],
                       "cost_0": costs[0], "cost_1000": costs[1000]}
    return out


def toy_backprop():
    np.random.seed(1)
    X = np.random.randn(3, 5)
    Y = np.array([[1, 0, 1, 1, 0]])
    params, costs = train_binary(X, Y, [3, 4, 1], "tanh", "normal", 1, 0.1, 1001)
    return {"cost_0": costs[0], "costs": {str(i): costs[i] for i in range(1, 1002, 100)}}


def load_cifar(path):
    raw = np.fromfile(os.path.join(DATA, "cifar10", path), dtype=np.uint8).reshape(-1, 3073)
    labels = raw[:, 0].astype(int)
    X = raw[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).reshape(len(raw), -1).T.astype(float)
    return X, labels


def softmax_minibatch(X, y, Xt, yt, dims, lr, reg, epochs, batch, seed, decay=None):
    """cs231n-style two-layer net in the tutorials' layout: relu hidden, softmax, 0.5*reg*||W||^2."""
    np.random.seed(seed)
    params = []
    for l in range(1, len(dims)):
        params.append([np.random.randn(dims[l], dims[l - 1]) * 1e-3, np.zeros((dims[l], 1))])
    m = X.shape[1]
    C = dims[-1]
    it = 0
    for epoch in range(epochs):
        rate = lr * (decay ** epoch if decay else 1)
        perm = np.random.permutation(m)
        for k in range(0, m, batch):
            idx = perm[k:k + batch]
            Xb, yb = X[:, idx], y[idx]
            mb = Xb.shape[1]
            A, caches = Xb, []
            for l, (W, b) in enumerate(params):
                Z = np.dot(W, A) + b
                if l < len(params) - 1:
                    A = np.maximum(0, Z)
                else:
                    E = np.exp(Z - Z.max(axis=0, keepdims=True)); A = E / E.sum(axis=0, keepdims=True)
                caches.append((Z, A))
            dZ = A.copy(); dZ[yb, np.arange(mb)] -= 1
            for l in range(len(params) - 1, -1, -1):
                W, b = params[l]
                A_prev = Xb if l == 0 else caches[l - 1][1]
                dW = 1 / mb * np.dot(dZ, A_prev.T) + reg * W
                db = 1 / mb * np.sum(dZ, axis=1, keepdims=True)
                if l > 0:
                    dZ = np.dot(W.T, dZ) * (caches[l - 1][0] > 0)
                params[l] = [W - rate * dW, b - rate * db]
            it += 1

    def acc(Xs, ys):
        A = Xs
        for l, (W, b) in enumerate(params):
            Z = np.dot(W, A) + b
            A = np.maximum(0, Z) if l < len(params) - 1 else Z
        return float(np.mean(np.argmax(A, axis=0) == ys))
    return acc(X, y), acc(Xt, yt)


def cifar():
    X, y = load_cifar("cifar10_train_4000.bin")
    Xt, yt = load_cifar("cifar10_test_500.bin")
    mean = X.mean(axis=1, keepdims=True); std = X.std(axis=1, keepdims=True)
    X = (X - mean) / std; Xt = (Xt - mean) / std
    out = {}
    for lr in (0.03, 0.1, 0.3):
        for reg in (0.001, 0.01, 0.1):
            train_acc, test_acc = softmax_minibatch(X, y, Xt, yt, [3072, 100, 10], lr, reg, 20, 200, 1, decay=0.95)
            out[f"{lr}/{reg}"] = {"train_accuracy": train_acc, "test_accuracy": test_acc}
    return out


RECIPES = {"toy_backprop": toy_backprop, "planar": planar, "tanh_vs_relu": tanh_vs_relu, "deep_cat": deep_cat,
           "cifar": cifar}


def main():
    names = sys.argv[1:] or list(RECIPES)
    results = json.load(open(OUT)) if os.path.exists(OUT) else {}
    for name in names:
        start = time.time()
        results[name] = RECIPES[name]()
        print(name, f"{time.time() - start:.1f}s", json.dumps(results[name])[:2000], flush=True)
        with open(OUT, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
