"""The accuracy claim of docs/privacy.md, rerun: wine within 5 points at the default ε = 3.

Runs bench/dp_accuracy.py's pipeline (raw columns, published per-feature scaling, one
release, gradient descent on it) on wine with fewer releases than the benchmark.
"""

import importlib.util
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parents[2] / "bench" / "dp_accuracy.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("dp_accuracy", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_wine_stays_within_five_points_of_the_exact_model_at_the_default_epsilon():
    bench = load_bench()
    [(_, model, X, y)] = [entry for entry in bench.datasets() if entry[0] == "wine"]
    order = np.random.default_rng(bench.SEED).permutation(len(X))
    test, mine = order[: int(0.3 * len(X))], order[int(0.3 * len(X)) :]
    scaling = bench.published_scaling(X[test], y[test], regression=False)
    X_mine, X_test = scaling.transform(X[mine]), scaling.transform(X[test])
    clip = bench.dp_clip_norm(model)
    exact = model.score(
        bench.train(model, model.sufficient_statistics(X_mine, y[mine], clip_norm=clip)),
        X_test,
        y[test],
    )
    private = [
        model.score(
            bench.train(
                model,
                bench.private_sufficient_statistics(
                    model, X_mine, y[mine], epsilon=3.0, delta=bench.DELTA, clip_norm=clip
                )[0],
            ),
            X_test,
            y[test],
        )
        for _ in range(5)
    ]
    assert exact > 0.95
    assert np.mean(private) >= exact - 0.05, (exact, private)
