"""datamill: pure-Python data and machine-learning pipelines.

Write plain functions, wire them into a :class:`Pipeline` of :func:`node` objects through
named datasets, and :func:`run` it::

    from datamill import node, Pipeline, run

    def double(x):
        return 2 * x

    run(Pipeline([node(double, "params:x", "y")]), DataCatalog(parameters={"x": 21}))
"""

from datamill.errors import DatamillError
from datamill.hooks import hook_impl
from datamill.io import AbstractDataset, DataCatalog, MemoryDataset
from datamill.pipeline import Node, Pipeline, node, pipeline
from datamill.runner import run

__version__ = "0.1.0.dev0"

__all__ = [
    "AbstractDataset",
    "DataCatalog",
    "DatamillError",
    "MemoryDataset",
    "Node",
    "Pipeline",
    "__version__",
    "hook_impl",
    "node",
    "pipeline",
    "run",
]
