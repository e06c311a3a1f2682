"""The ``data_processing`` pipeline: raw tables in, ``model_input_table`` out."""

from typing import Any

from datamill import Pipeline, node

from .nodes import build_model_input, clean_companies, clean_shuttles, join_listings


def create_pipeline(**kwargs: Any) -> Pipeline:
    """Return the ``data_processing`` pipeline (nodes tagged ``cleaning`` and ``features``)."""
    return Pipeline(
        [
            node(
                clean_companies,
                "companies",
                "clean_companies",
                name="clean_companies",
                tags="cleaning",
            ),
            node(
                clean_shuttles,
                "shuttles",
                "clean_shuttles",
                name="clean_shuttles",
                tags="cleaning",
            ),
            node(
                join_listings,
                ["clean_shuttles", "clean_companies", "reviews"],
                "shuttle_listings",
                name="join_listings",
                tags="features",
            ),
            node(
                build_model_input,
                "shuttle_listings",
                "model_input_table",
                name="build_model_input",
                tags="features",
            ),
        ]
    )
