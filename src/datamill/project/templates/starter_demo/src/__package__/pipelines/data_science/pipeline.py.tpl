"""The ``data_science`` pipeline: one split, two model candidates, one comparison chart.

The candidate pipeline (train, then evaluate) is written once and reused under a namespace
per candidate: ``random_forest.train_model`` reads ``params:random_forest.estimator`` and
writes ``random_forest.regressor`` and ``random_forest.metrics``, while the split stays
shared. Run one candidate, and what it needs, with
``datamill run --to-outputs random_forest.metrics``.
"""

from typing import Any

from datamill import Pipeline, node, pipeline

from .nodes import evaluate_model, plot_model_comparison, split_data, train_model

CANDIDATES = ("linear_regression", "random_forest")
SPLIT = ("x_train", "x_test", "y_train", "y_test")


def create_candidate() -> Pipeline:
    """Train and evaluate one model (un-namespaced: ``params:estimator`` -> ``metrics``)."""
    return Pipeline(
        [
            node(
                train_model,
                ["x_train", "y_train", "params:estimator"],
                "regressor",
                name="train_model",
                tags="training",
            ),
            node(
                evaluate_model,
                ["regressor", "x_test", "y_test"],
                "metrics",
                name="evaluate_model",
                tags="evaluation",
            ),
        ]
    )


def create_pipeline(**kwargs: Any) -> Pipeline:
    """Return the ``data_science`` pipeline."""
    split = node(
        split_data,
        ["model_input_table", "params:model_options"],
        list(SPLIT),
        name="split_data",
        tags="training",
    )
    candidates = [
        pipeline(create_candidate(), namespace=name, inputs=set(SPLIT)) for name in CANDIDATES
    ]
    compare = node(
        plot_model_comparison,
        {name: f"{name}.metrics" for name in CANDIDATES},
        "model_comparison",
        name="plot_model_comparison",
        tags="reporting",
    )
    return Pipeline([split, *candidates, compare])
