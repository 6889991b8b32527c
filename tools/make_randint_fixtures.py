#!/usr/bin/env python3
"""Writes Tests/NeuralNetTests/Fixtures/numpy_randint.json: what NumPy's legacy generator
(np.random.seed / RandomState, as the tutorials and cs231n use it) draws with randint(low, high,
size) and choice(n, size) (with replacement), for ranges around powers of two, where the masked
rejection sampling of random_bounded_uint64_fill changes mask or word size. Run from the
repository root: python3 tools/make_randint_fixtures.py"""
import json
import os

import numpy as np

OUT = os.path.join("Tests", "NeuralNetTests", "Fixtures", "numpy_randint.json")

# (low, high): ranges high − low of 1, powers of two and one above, 32-bit edges, 64-bit words.
RANGES = [(0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (0, 7), (0, 8), (0, 9), (0, 16), (0, 17), (0, 100),
          (0, 255), (0, 256), (0, 257), (-5, 5), (10, 4010), (0, 4000), (0, 2**31), (0, 2**31 + 1),
          (0, 2**32 - 1), (0, 2**32), (0, 2**32 + 1), (0, 10**12), (-(2**40), 2**40 + 3)]


def main():
    cases = []
    for seed in (0, 1, 231):
        for low, high in RANGES:
            np.random.seed(seed)
            first = np.random.randint(low, high, size=40).tolist()
            # A later draw from the same stream: the state after the first batch must agree too.
            after = np.random.randint(low, high, size=5).tolist()
            cases.append({"seed": seed, "low": low, "high": high, "values": first + after})
    choices = []
    for seed, n, size in ((0, 4000, 200), (1, 5, 50), (2, 49000, 200), (3, 1, 10), (4, 257, 100)):
        np.random.seed(seed)
        values = np.random.choice(n, size).tolist()
        np.random.seed(seed)
        arange = np.random.choice(np.arange(n), size).tolist()   # cs231n's spelling
        assert values == arange
        choices.append({"seed": seed, "n": n, "values": values, "next_gaussian": float(np.random.randn())})
    with open(OUT, "w") as f:
        json.dump({"numpy": np.__version__, "randint": cases, "choice": choices}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
