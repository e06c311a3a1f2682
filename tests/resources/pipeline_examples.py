"""Small example pipelines reused across the pipeline tests."""

from __future__ import annotations

from datamill.pipeline import Pipeline, node
from tests.resources.funcs import add, identity, keyword_only, split, use_parameters


def data_science() -> Pipeline:
    """Two raw inputs, a join, a split, training and evaluation, and a report.

    Edges (dataset on each arrow)::

        ingest_companies -[companies]-> join
        ingest_shuttles -[shuttles]-> join -[model_input]-> split
        split -[train_set]-> train -[model]-> evaluate
        split -[test_set]-> evaluate -[metrics]-> report
    """
    return Pipeline(
        [
            node(identity, "raw_companies", "companies", name="ingest_companies", tags="ingest"),
            node(identity, "raw_shuttles", "shuttles", name="ingest_shuttles", tags="ingest"),
            node(add, ["companies", "shuttles"], "model_input", name="join", tags="features"),
            node(split, "model_input", ["train_set", "test_set"], name="split", tags="features"),
            node(
                keyword_only,
                {"x": "train_set", "scale": "params:model.alpha"},
                "model",
                name="train",
                tags="train",
            ),
            node(add, ["model", "test_set"], "metrics", name="evaluate", tags=["train", "report"]),
            node(use_parameters, ["metrics", "parameters"], "report", name="report", tags="report"),
        ]
    )


DATA_SCIENCE_LAYERS = [
    {"ingest_companies", "ingest_shuttles"},
    {"join"},
    {"split"},
    {"train"},
    {"evaluate"},
    {"report"},
]
"""The node names of :func:`data_science`, layer by layer."""
