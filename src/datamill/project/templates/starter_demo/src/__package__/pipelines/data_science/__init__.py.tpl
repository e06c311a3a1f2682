"""The ``data_science`` pipeline: trains and compares two models of the shuttle price."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
