"""The ``data_processing`` pipeline: cleans the raw tables and joins them into model input."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
