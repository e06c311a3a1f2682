"""The project layer: discovery, settings, the lazy pipeline registry and sessions.

Example:
    >>> from datamill.project import Session
    >>> with Session.create(".", env="prod") as session:  # doctest: +SKIP
    ...     session.run("training")
"""

from datamill.project._discovery import ProjectMetadata, ensure_importable, find_project
from datamill.project._registry import DEFAULT_PIPELINE, PipelineRegistry
from datamill.project._session import CheckReport, Session, load_catalog, resumable_run
from datamill.project._settings import Settings, load_settings

__all__ = [
    "DEFAULT_PIPELINE",
    "CheckReport",
    "PipelineRegistry",
    "ProjectMetadata",
    "Session",
    "Settings",
    "ensure_importable",
    "find_project",
    "load_catalog",
    "load_settings",
    "resumable_run",
]
