"""datamill: pure-Python data and machine-learning pipelines.

Write plain functions, wire them into a :class:`Pipeline` of :func:`node` objects through
named datasets, and :func:`run` it::

    from datamill import node, Pipeline, run

    def double(x):
        return 2 * x

    run(Pipeline([node(double, "params:x", "y")]), DataCatalog(parameters={"x": 21}))

The public names are imported on first use, so that ``import datamill`` (and the command
line) start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The `pipeline` function shares its name with the `datamill.pipeline` package: import it
# here, after the package, so that the name means the function (the layer is light).
from datamill.pipeline import Node, Pipeline, Retry, node, pipeline

if TYPE_CHECKING:
    from datamill.errors import DatamillError
    from datamill.hooks import hook_impl
    from datamill.io import AbstractDataset, DataCatalog, MemoryDataset
    from datamill.project import Session, load_catalog
    from datamill.runner import run

__version__ = "0.1.0.dev0"

_EXPORTS = {
    "AbstractDataset": "datamill.io",
    "DataCatalog": "datamill.io",
    "DatamillError": "datamill.errors",
    "MemoryDataset": "datamill.io",
    "Session": "datamill.project",
    "hook_impl": "datamill.hooks",
    "load_catalog": "datamill.project",
    "run": "datamill.runner",
}

__all__ = [
    "AbstractDataset",
    "DataCatalog",
    "DatamillError",
    "MemoryDataset",
    "Node",
    "Pipeline",
    "Retry",
    "Session",
    "__version__",
    "hook_impl",
    "load_catalog",
    "node",
    "pipeline",
    "run",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'datamill' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
