#!/usr/bin/env python3
"""Seed 003 (003_c6576485a9e9f31b.txt, "ML17-神经网络实战") as its readers run it: the post's
TwoLayerNet, transcribed as the post writes it (examples as rows, W1 = weight_scale ·
randn(input_dim, hidden_dim), affine-relu-affine, softmax_loss, 0.5·reg·Σ‖W‖², dW += reg·W), and
the cs231n assignment's training loop (np.random.choice with replacement each iteration, the
learning rate × learning_rate_decay after iteration it when it % max(num_train / batch_size, 1)
== 0), on the CIFAR-10 subset with the training set's mean image subtracted (no division).

Run from the repository root (needs ../shared/datasets):
    python3 tools/reproductions/cs231n_two_layer.py
Writes tools/reproductions/cs231n_two_layer.json (every batch loss, the final full-set loss and
accuracies) and prints the expect: block of experiments/cs231n_two_layer.yaml."""
import json
import os

import numpy as np

DATA = os.path.join("..", "shared", "datasets", "cifar10")
OUT = os.path.join("tools", "reproductions", "cs231n_two_layer.json")

SEED, WEIGHT_SCALE, HIDDEN = 0, 1e-3, 100
LEARNING_RATE, DECAY, REG, ITERATIONS, BATCH, RECORD_EVERY = 1e-4, 0.95, 0.25, 600, 200, 25


def load_cifar(name):
    """cs231n's load_CIFAR_batch: (N, 3, 32, 32) → (N, 32, 32, 3), as float; then rows of 3072."""
    raw = np.fromfile(os.path.join(DATA, name), dtype=np.uint8).reshape(-1, 3073)
    X = raw[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype("float")
    return X.reshape(X.shape[0], -1), raw[:, 0].astype(int)


class TwoLayerNet:
    """The post's network."""

    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.params = {}
        self.reg = reg
        self.params['W1'] = weight_scale * np.random.randn(input_dim, hidden_dim)
        self.params['b1'] = np.zeros((1, hidden_dim))
        self.params['W2'] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params['b2'] = np.zeros((1, num_classes))

    def loss(self, X, y=None):
        W1, b1 = self.params['W1'], self.params['b1']
        W2, b2 = self.params['W2'], self.params['b2']
        h1 = np.maximum(0, np.dot(X, W1) + b1)                  # affine_relu_forward
        scores = np.dot(h1, W2) + b2                            # affine_forward
        if y is None:
            return scores
        probs = np.exp(scores - np.max(scores, axis=1, keepdims=True))   # softmax_loss
        probs /= np.sum(probs, axis=1, keepdims=True)
        N = scores.shape[0]
        data_loss = -np.sum(np.log(probs[np.arange(N), y])) / N
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores /= N
        reg_loss = 0.5 * self.reg * np.sum(W1 * W1) + 0.5 * self.reg * np.sum(W2 * W2)
        loss = data_loss + reg_loss
        dh1 = np.dot(dscores, W2.T)                             # affine_backward
        dW2 = np.dot(h1.T, dscores)
        db2 = np.sum(dscores, axis=0, keepdims=True)
        dh1[h1 <= 0] = 0                                        # relu_backward (x <= 0 of the affine output)
        dW1 = np.dot(X.T, dh1)
        db1 = np.sum(dh1, axis=0, keepdims=True)
        dW2 += self.reg * W2
        dW1 += self.reg * W1
        return loss, {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}

    def predict(self, X):
        return np.argmax(self.loss(X), axis=1)


def train(net, X, y, X_val, y_val, learning_rate, learning_rate_decay, num_iters, batch_size):
    """The assignment's TwoLayerNet.train loop (SGD), keeping every batch loss."""
    num_train = X.shape[0]
    iterations_per_epoch = max(num_train / batch_size, 1)
    loss_history, val_acc_history = [], []
    for it in range(num_iters):
        sample_indices = np.random.choice(np.arange(num_train), batch_size)
        loss, grads = net.loss(X[sample_indices], y[sample_indices])
        loss_history.append(loss)
        for name in ('W1', 'b1', 'W2', 'b2'):
            net.params[name] -= learning_rate * grads[name]
        if it % iterations_per_epoch == 0:
            val_acc_history.append(float((net.predict(X_val) == y_val).mean()))
            learning_rate *= learning_rate_decay
    return loss_history, val_acc_history


def main():
    X_train, y_train = load_cifar("cifar10_train_4000.bin")
    X_val, y_val = load_cifar("cifar10_test_500.bin")
    mean_image = np.mean(X_train, axis=0)
    X_train -= mean_image
    X_val -= mean_image
    np.random.seed(SEED)
    net = TwoLayerNet(hidden_dim=HIDDEN, weight_scale=WEIGHT_SCALE, reg=REG)
    losses, val_acc = train(net, X_train, y_train, X_val, y_val, LEARNING_RATE, DECAY, ITERATIONS, BATCH)
    final_loss, _ = net.loss(X_train, y_train)
    result = {
        "batch_losses": losses, "final_cost": float(final_loss),
        "train_accuracy": float((net.predict(X_train) == y_train).mean()),
        "test_accuracy": float((net.predict(X_val) == y_val).mean()),
        "val_acc_history": val_acc,
    }
    with open(OUT, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print("expect:")
    print("  - train_accuracy: %r" % result["train_accuracy"])
    print("    test_accuracy: %r" % result["test_accuracy"])
    print("  - tolerance: 2.0e-10")
    print("    final_cost: %r" % result["final_cost"])
    print("    cost:")
    for it in range(0, ITERATIONS, RECORD_EVERY):
        print("      %d: %r" % (it, float(losses[it])))


if __name__ == "__main__":
    main()
