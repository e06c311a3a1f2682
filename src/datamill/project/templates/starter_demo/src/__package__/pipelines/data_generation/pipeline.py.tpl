"""The ``data_generation`` pipeline: ``params:data_generation`` in, the raw tables out."""

from typing import Any

from datamill import Pipeline, node

from .nodes import generate_companies, generate_reviews, generate_shuttles


def create_pipeline(**kwargs: Any) -> Pipeline:
    """Return the ``data_generation`` pipeline; every node is tagged ``raw``."""
    options = "params:data_generation"
    nodes = [
        node(generate_companies, options, "companies", name="generate_companies"),
        node(generate_shuttles, ["companies", options], "shuttles", name="generate_shuttles"),
        node(generate_reviews, ["shuttles", options], "reviews", name="generate_reviews"),
    ]
    return Pipeline(nodes, tags="raw")
