"""pandas datasets (``pip install "datamill[pandas]"``; SQL ones need ``datamill[sql]``).

The classes are imported from their modules on first access, so that referring to one
dataset type never imports the libraries of the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datamill.datasets.pandas._files import (
        CSVDataset,
        ExcelDataset,
        FeatherDataset,
        JSONDataset,
        ParquetDataset,
    )
    from datamill.datasets.pandas._sql import SQLQueryDataset, SQLTableDataset

__all__ = [
    "CSVDataset",
    "ExcelDataset",
    "FeatherDataset",
    "JSONDataset",
    "ParquetDataset",
    "SQLQueryDataset",
    "SQLTableDataset",
]

_MODULES = {
    "CSVDataset": "_files",
    "ExcelDataset": "_files",
    "FeatherDataset": "_files",
    "JSONDataset": "_files",
    "ParquetDataset": "_files",
    "SQLQueryDataset": "_sql",
    "SQLTableDataset": "_sql",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
