"""The ``hello`` pipeline: one node, to show that the project runs. Replace it."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
