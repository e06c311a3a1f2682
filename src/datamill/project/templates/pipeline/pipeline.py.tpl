"""How the nodes of the ``{{ pipeline_name }}`` pipeline fit together."""

from typing import Any

from datamill import Pipeline


def create_pipeline(**kwargs: Any) -> Pipeline:
    """Return the ``{{ pipeline_name }}`` pipeline.

    Add nodes with ``node(function, inputs, outputs)``, for example::

        from datamill import node

        from .nodes import drop_empty_rows

        return Pipeline(
            [node(drop_empty_rows, "raw_table", "clean_table", name="drop_empty_rows")]
        )
    """
    return Pipeline([])
