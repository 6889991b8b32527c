#!/usr/bin/env python3
"""Generates the NumPy reference values the NeuralNet tests compare against.

Run from the repository root:  python3 tools/make_numpy_fixtures.py
Writes Tests/NeuralNetTests/Fixtures/numpy_reference.json (floats in shortest round-trip
form, so they parse back bit-exactly). Uses only NumPy's legacy global generator
(np.random.seed / rand / randn / permutation), as the tutorials do, and the textbook formulas:

  Z_l = W_l A_{l-1} + b_l,  A_l = g(Z_l);  sigmoid output + BCE, or softmax + CE
  dZ_L = A_L - Y;  dW_l = 1/m dZ_l A_{l-1}^T (+ L2);  db_l = 1/m sum_cols dZ_l
  dZ_{l-1} = W_l^T dZ_l * g'(Z_{l-1})
  L2 'per_example': cost += lambda/(2m) sum ||W||^2, dW += lambda/m W
  L2 'cs231n':      cost += 0.5 reg sum ||W||^2,      dW += reg W
"""
import json
import os

import numpy as np

OUT = os.path.join("Tests", "NeuralNetTests", "Fixtures", "numpy_reference.json")
LEAKY = 0.01


def g(name, Z):
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-Z))
    if name == "tanh":
        return np.tanh(Z)
    if name == "relu":
        return np.maximum(0, Z)
    if name == "leaky_relu":
        return np.where(Z > 0, Z, LEAKY * Z)
    if name == "identity":
        return Z
    raise ValueError(name)


def g_prime(name, Z, A):
    if name == "sigmoid":
        return A * (1 - A)
    if name == "tanh":
        return 1 - A * A
    if name == "relu":
        return (Z > 0).astype(float)
    if name == "leaky_relu":
        return np.where(Z > 0, 1.0, LEAKY)
    if name == "identity":
        return np.ones_like(Z)
    raise ValueError(name)


def init(dims, scheme, scale, seed):
    if seed is not None:
        np.random.seed(seed)
    params = []
    for l in range(1, len(dims)):
        W = np.random.randn(dims[l], dims[l - 1])
        if scheme == "normal":
            W = W * scale
        elif scheme == "xavier":
            W = W / np.sqrt(dims[l - 1])
        elif scheme == "he":
            W = W * np.sqrt(2.0 / dims[l - 1])
        params.append([W, np.zeros((dims[l], 1))])
    return params


def one_hot(labels, classes):
    Y = np.zeros((classes, labels.size))
    Y[labels, np.arange(labels.size)] = 1.0
    return Y


def forward(X, params, hidden, output):
    caches = []
    A = X
    for l, (W, b) in enumerate(params):
        Z = np.dot(W, A) + b
        if l < len(params) - 1:
            A = g(hidden, Z)
        elif output == "sigmoid":
            A = 1.0 / (1.0 + np.exp(-Z))
        else:
            E = np.exp(Z - Z.max(axis=0, keepdims=True))
            A = E / E.sum(axis=0, keepdims=True)
        caches.append((Z, A))
    return A, caches


def cost_of(AL, labels, params, output, l2):
    m = labels.size
    if output == "sigmoid":
        Y = labels.reshape(1, m)
        cost = -1.0 / m * np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))
    else:
        cost = -1.0 / m * np.sum(np.log(AL[labels, np.arange(m)]))
    kind, strength = l2
    sq = sum(float(np.sum(W * W)) for W, _ in params)
    if kind == "per_example":
        cost += strength / (2.0 * m) * sq
    elif kind == "cs231n":
        cost += 0.5 * strength * sq
    return float(cost)


def backward(X, labels, params, caches, hidden, output, l2):
    m = labels.size
    Y = labels.reshape(1, m).astype(float) if output == "sigmoid" else one_hot(labels, params[-1][0].shape[0])
    kind, strength = l2
    grads = [None] * len(params)
    dZ = caches[-1][1] - Y
    for l in range(len(params) - 1, -1, -1):
        W, _ = params[l]
        A_prev = X if l == 0 else caches[l - 1][1]
        dW = 1.0 / m * np.dot(dZ, A_prev.T)
        if kind == "per_example":
            dW = dW + strength / m * W
        elif kind == "cs231n":
            dW = dW + strength * W
        db = 1.0 / m * np.sum(dZ, axis=1, keepdims=True)
        grads[l] = (dW, db)
        if l > 0:
            Z_prev, A_prev_act = caches[l - 1]
            dZ = np.dot(W.T, dZ) * g_prime(hidden, Z_prev, A_prev_act)
    return grads


def predict(AL, output):
    if output == "sigmoid":
        return (AL > 0.5).astype(int).ravel()
    return np.argmax(AL, axis=0)


def train(X, labels, dims, hidden, output, l2, init_spec, lr, optimizer, iterations=None,
          epochs=None, batch_size=None, decay=None, record_every=1):
    """The training loop the engine implements (see Trainer.swift), in NumPy."""
    params = init(dims, *init_spec)
    m = labels.size
    records = []
    state = {"t": 0, "v": [[np.zeros_like(W), np.zeros_like(b)] for W, b in params],
             "s": [[np.zeros_like(W), np.zeros_like(b)] for W, b in params]}

    def lr_at(epoch):
        if decay is None:
            return lr
        kind, rate, every = decay
        if kind == "inverse_time":
            return lr / (1 + rate * (epoch // every))
        return lr * rate ** (epoch // every)

    def update(grads, alpha):
        state["t"] += 1
        t = state["t"]
        for l, (dW, db) in enumerate(grads):
            for k, grad in enumerate((dW, db)):
                p = params[l][k]
                if optimizer[0] == "gd":
                    params[l][k] = p - alpha * grad
                elif optimizer[0] == "momentum":
                    beta = optimizer[1]
                    v = beta * state["v"][l][k] + (1 - beta) * grad
                    state["v"][l][k] = v
                    params[l][k] = p - alpha * v
                else:
                    b1, b2, eps = optimizer[1:]
                    v = b1 * state["v"][l][k] + (1 - b1) * grad
                    s = b2 * state["s"][l][k] + (1 - b2) * grad * grad
                    state["v"][l][k], state["s"][l][k] = v, s
                    v_hat = v / (1 - b1 ** t)
                    s_hat = s / (1 - b2 ** t)
                    params[l][k] = p - alpha * v_hat / (np.sqrt(s_hat) + eps)

    def step(Xb, yb, it, epoch):
        AL, caches = forward(Xb, params, hidden, output)
        if it % record_every == 0:
            acc = float(np.mean(predict(AL, output) == yb))
            records.append([it, epoch, cost_of(AL, yb, params, output, l2), acc])
        grads = backward(Xb, yb, params, caches, hidden, output, l2)
        update(grads, lr_at(epoch))

    if batch_size is None:
        for i in range(iterations):
            step(X, labels, i, i)
        total, final_epoch = iterations, iterations
    else:
        total = iterations if iterations is not None else epochs * -(-m // batch_size)
        it, epoch = 0, 0
        while it < total:
            perm = np.random.permutation(m)
            for k in range(0, m, batch_size):
                if it >= total:
                    break
                idx = perm[k:k + batch_size]
                step(X[:, idx], labels[idx], it, epoch)
                it += 1
            epoch += 1
        final_epoch = epoch
    AL, _ = forward(X, params, hidden, output)
    acc = float(np.mean(predict(AL, output) == labels))
    records.append([total, final_epoch, cost_of(AL, labels, params, output, l2), acc])
    return params, records


def matrix(M):
    M = np.asarray(M, dtype=float)
    return {"rows": int(M.shape[0]), "columns": int(M.shape[1]), "row_major": [float(v) for v in M.ravel()]}


def params_json(params):
    return [{"weights": matrix(W), "bias": matrix(b)} for W, b in params]


def random_streams():
    out = []
    for seed in (1, 2, 3):
        np.random.seed(seed)
        rand = np.random.rand(5)
        np.random.seed(seed)
        randn = np.random.randn(7)
        np.random.seed(seed)
        perm = np.random.permutation(10)
        np.random.seed(seed)
        big = np.random.permutation(1000)
        # The cached Gaussian survives a rand() call but not a reseed.
        np.random.seed(seed)
        first = np.random.randn()
        between = np.random.rand()
        second = np.random.randn()
        out.append({"seed": seed, "rand": rand.tolist(), "randn": randn.tolist(),
                    "permutation10": perm.tolist(), "permutation1000_head": big[:20].tolist(),
                    "permutation1000_tail": big[-20:].tolist(),
                    "interleaved": [float(first), float(between), float(second)]})
    return out


def gradient_cases():
    cases = []
    for hidden in ("sigmoid", "tanh", "relu", "leaky_relu", "identity"):
        for output in ("sigmoid", "softmax"):
            for l2 in (("none", 0.0), ("per_example", 0.7), ("cs231n", 0.05)):
                dims = [4, 5, 3, 1] if output == "sigmoid" else [4, 5, 3, 3]
                np.random.seed(7)
                X = np.random.randn(4, 6)
                labels = np.random.permutation(6) % dims[-1] if output == "softmax" else np.array([1, 0, 1, 1, 0, 0])
                params = init(dims, "xavier", None, 3)
                for layer in params:   # non-zero biases exercise db and the broadcast
                    layer[1] = np.random.randn(*layer[1].shape) * 0.1
                AL, caches = forward(X, params, hidden, output)
                cost = cost_of(AL, labels, params, output, l2)
                grads = backward(X, labels, params, caches, hidden, output, l2)
                updated = [[W - 0.1 * dW, b - 0.1 * db] for (W, b), (dW, db) in zip(params, grads)]
                cases.append({
                    "hidden": hidden, "output": output, "l2": list(l2), "dims": dims,
                    "x": matrix(X), "labels": labels.tolist(), "params": params_json(params),
                    "activations": [matrix(A) for _, A in caches], "cost": cost,
                    "gradients": [{"weights": matrix(dW), "bias": matrix(db)} for dW, db in grads],
                    "updated": params_json(updated)})
    return cases


def training_cases():
    cases = []
    np.random.seed(1)
    X = np.random.randn(3, 5)
    y = np.array([1, 0, 1, 1, 0])
    # The backpropagation tutorial's toy: 3-4-1 tanh, randn*0.01 after reseeding with 1.
    specs = [
        dict(name="toy_gd", X=X, labels=y, dims=[3, 4, 1], hidden="tanh", output="sigmoid",
             l2=("none", 0.0), init_spec=("normal", 0.01, 1), lr=0.1, optimizer=("gd",),
             iterations=60, record_every=7),
    ]
    np.random.seed(11)
    X2 = np.random.randn(4, 23)
    y2 = (np.random.rand(23) * 3).astype(int)
    y2b = (X2[0] + X2[1] > 0).astype(int)
    specs += [
        dict(name="minibatch_sgd_softmax", X=X2, labels=y2, dims=[4, 6, 3], hidden="relu", output="softmax",
             l2=("cs231n", 0.01), init_spec=("he", None, 5), lr=0.05, optimizer=("gd",),
             epochs=4, batch_size=5, record_every=3),
        dict(name="momentum_leaky_decay", X=X2, labels=y2b, dims=[4, 5, 4, 1], hidden="leaky_relu",
             output="sigmoid", l2=("per_example", 0.3), init_spec=("xavier", None, 2), lr=0.2,
             optimizer=("momentum", 0.9), iterations=13, batch_size=8, decay=("inverse_time", 0.5, 1),
             record_every=2),
        dict(name="adam_tanh_exponential", X=X2, labels=y2, dims=[4, 7, 3], hidden="tanh", output="softmax",
             l2=("none", 0.0), init_spec=("normal", 0.1, 9), lr=0.01, optimizer=("adam", 0.9, 0.999, 1e-8),
             epochs=5, batch_size=10, decay=("exponential", 0.9, 2), record_every=1),
        dict(name="full_batch_adam_sigmoid_hidden", X=X2, labels=y2b, dims=[4, 3, 1], hidden="sigmoid",
             output="sigmoid", l2=("per_example", 0.1), init_spec=("he", None, 4), lr=0.05,
             optimizer=("adam", 0.9, 0.999, 1e-8), iterations=25, record_every=5),
    ]
    for spec in specs:
        name = spec.pop("name")
        X_, labels_ = spec.pop("X"), spec.pop("labels")
        params, records = train(X_, labels_, **spec)
        case = {"name": name, "x": matrix(X_), "labels": labels_.tolist(), "final_params": params_json(params),
                "records": records}
        case.update({k: (list(v) if isinstance(v, tuple) else v) for k, v in spec.items()})
        cases.append(case)
    return cases


def main():
    data = {"generator": "tools/make_numpy_fixtures.py", "numpy": np.__version__,
            "random": random_streams(), "gradient_cases": gradient_cases(), "training_cases": training_cases()}
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
