"""The ``data_generation`` pipeline: makes up the demo's raw data, so nothing is downloaded."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
