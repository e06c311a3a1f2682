"""Hooks: pluggy specifications around the run lifecycle, and the manager that calls them."""

from datamill.hooks._manager import ENTRY_POINT_GROUP, create_hook_manager, entry_point_hooks
from datamill.hooks._markers import hook_impl, hook_spec
from datamill.hooks._specs import (
    CatalogSpecs,
    DatasetSpecs,
    NodeSpecs,
    PipelineSpecs,
    RunParams,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "CatalogSpecs",
    "DatasetSpecs",
    "NodeSpecs",
    "PipelineSpecs",
    "RunParams",
    "create_hook_manager",
    "entry_point_hooks",
    "hook_impl",
    "hook_spec",
]
