"""The project's pipelines: each folder with an ``__init__.py`` here is one pipeline.

A pipeline's module defines ``create_pipeline(**kwargs)`` returning a ``Pipeline``; the
default pipeline (what ``datamill run`` runs) is the sum of them all. Add one with
``datamill pipeline create <name>``.
"""
