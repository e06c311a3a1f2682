"""The I/O layer: the dataset contract, memory datasets, dataset types and the data catalog."""

from datamill.io._catalog import DataCatalog
from datamill.io._dataset import AbstractDataset
from datamill.io._file import HashStore, remembered_hashes
from datamill.io._memory import CopyMode, MemoryDataset
from datamill.io._registry import (
    BUILTIN_TYPES,
    ENTRY_POINT_GROUP,
    BuiltinType,
    TypeRegistry,
    default_registry,
    resolve_type,
)
from datamill.io._temporaries import discard_abandoned_writes

__all__ = [
    "BUILTIN_TYPES",
    "ENTRY_POINT_GROUP",
    "AbstractDataset",
    "BuiltinType",
    "CopyMode",
    "DataCatalog",
    "HashStore",
    "MemoryDataset",
    "TypeRegistry",
    "default_registry",
    "discard_abandoned_writes",
    "remembered_hashes",
    "resolve_type",
]
