"""The ``hello`` pipeline: ``params:hello.name`` in, ``greeting`` out (kept in memory)."""

from typing import Any

from datamill import Pipeline, node

from .nodes import greet


def create_pipeline(**kwargs: Any) -> Pipeline:
    """Return the ``hello`` pipeline."""
    return Pipeline([node(greet, "params:hello.name", "greeting", name="greet", tags="hello")])
