"""The I/O layer: the dataset contract, memory datasets and the data catalog."""

from datamill.io._catalog import DataCatalog
from datamill.io._dataset import AbstractDataset
from datamill.io._memory import CopyMode, MemoryDataset

__all__ = ["AbstractDataset", "CopyMode", "DataCatalog", "MemoryDataset"]
