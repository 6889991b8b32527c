#!/usr/bin/env python3
"""How sensitive is the planar hidden-size experiment to one-ulp differences in tanh?

Re-runs the NumPy recipe of numpy_recipes.py (planar) three times: as is, and with tanh's result
nudged by one ulp up or down on a fixed pseudo-random 3/7 of the elements. The 1-5 unit networks
do not move; the 20 and 50 unit ones change their final cost in the 4th-5th digit and can change
their training accuracy by a point of 400. experiments/planar_hidden_sizes.yaml cites this.

  python3 tools/reproductions/planar_sensitivity.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_recipes as recipes  # noqa: E402

original = recipes.g


def main():
    for variant in ("numpy", "nudged-up", "nudged-down"):
        def g(name, Z, variant=variant):
            A = original(name, Z)
            if name == "tanh" and variant != "numpy":
                mask = (np.arange(A.size).reshape(A.shape) * 2654435761 % 7) < 3
                A = np.where(mask, np.nextafter(A, np.inf if variant == "nudged-up" else -np.inf), A)
            return A
        recipes.g = g
        out = recipes.planar()
        print(variant, {h: (v["train_accuracy"], round(v["final_cost"], 6)) for h, v in out.items()})


if __name__ == "__main__":
    main()
