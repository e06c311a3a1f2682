"""The data catalog: the one place that knows which dataset stands behind each name.

Names resolve in this order: datasets declared explicitly, then parameters (``parameters``
for all of them, ``params:<dotted key>`` for one value, looked up lazily in the nested
mapping), then, only when asked through :meth:`DataCatalog.ensure`, a default dataset
created for an undeclared intermediate (a :class:`MemoryDataset`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from datamill._text import did_you_mean
from datamill.errors import DatasetError, DatasetNotFoundError
from datamill.io._dataset import AbstractDataset
from datamill.io._memory import MemoryDataset

__all__ = ["DataCatalog"]

_PARAMS_PREFIX = "params:"
_PARAMETERS = "parameters"
_MISSING = object()


class DataCatalog:
    """Maps dataset names to datasets, and serves parameters as datasets.

    Args:
        datasets: Datasets by name.
        parameters: Nested parameters, served as ``parameters`` and ``params:<dotted key>``.

    Example:
        >>> catalog = DataCatalog({"raw": MemoryDataset([3, 1, 2])}, parameters={"k": 2})
        >>> catalog.load("raw"), catalog.load("params:k")
        ([3, 1, 2], 2)
    """

    def __init__(
        self,
        datasets: Mapping[str, AbstractDataset[Any, Any]] | None = None,
        *,
        parameters: Mapping[str, Any] | None = None,
    ) -> None:
        self._datasets: dict[str, AbstractDataset[Any, Any]] = {}
        for name, dataset in (datasets or {}).items():
            self.add(name, dataset)
        self._parameters: dict[str, Any] = dict(parameters or {})

    @property
    def parameters(self) -> Mapping[str, Any]:
        """The parameters, as given."""
        return self._parameters

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        return name in self._datasets or self._parameter(name) is not _MISSING

    def __getitem__(self, name: str) -> AbstractDataset[Any, Any]:
        dataset = self.get(name)
        if dataset is None:
            known = [*self._datasets, *_parameter_names(self._parameters)]
            raise DatasetNotFoundError(
                f"Dataset {name!r} is not in the catalog.{did_you_mean(name, known)} "
                "Declare it in the catalog, or check the spelling.",
                dataset_name=name,
            )
        return dataset

    def __iter__(self) -> Iterator[str]:
        return iter(self._datasets)

    def __len__(self) -> int:
        return len(self._datasets)

    def __repr__(self) -> str:
        return f"DataCatalog({len(self._datasets)} datasets, {len(self._parameters)} parameters)"

    def get(self, name: str) -> AbstractDataset[Any, Any] | None:
        """Return the dataset called ``name``, or ``None`` if the catalog has none.

        A parameter is served by a new memory dataset on each call, so that releasing or
        listing datasets never touches parameters.
        """
        dataset = self._datasets.get(name)
        if dataset is not None:
            return dataset
        value = self._parameter(name)
        return None if value is _MISSING else MemoryDataset(value)

    def ensure(self, name: str) -> AbstractDataset[Any, Any]:
        """Return the dataset called ``name``, creating the default one if it is undeclared."""
        dataset = self.get(name)
        if dataset is None:
            dataset = self._datasets[name] = MemoryDataset()
        return dataset

    def add(self, name: str, dataset: AbstractDataset[Any, Any], *, replace: bool = False) -> None:
        """Register ``dataset`` under ``name``.

        Raises:
            DatasetError: The name is taken (pass ``replace=True``), or ``dataset`` is not
                a dataset.
        """
        if not isinstance(dataset, AbstractDataset):
            raise DatasetError(
                f"Catalog entry {name!r} must be a dataset (an AbstractDataset), got "
                f"{type(dataset).__name__}; wrap plain data in MemoryDataset(data).",
                dataset_name=name,
            )
        if not replace and name in self._datasets:
            raise DatasetError(
                f"Dataset {name!r} is already in the catalog; pass replace=True to replace it.",
                dataset_name=name,
            )
        self._datasets[name] = dataset

    def shallow_copy(self) -> DataCatalog:
        """A new catalog with the same dataset objects and parameters.

        Registering datasets in the copy leaves this catalog unchanged; a run works on a
        copy so that the memory datasets it creates for intermediates stay private to it.
        """
        copy = DataCatalog(parameters=self._parameters)
        copy._datasets = dict(self._datasets)
        return copy

    def list(self) -> list[str]:
        """Names of the registered datasets, sorted."""
        return sorted(self._datasets)

    def describe(self) -> dict[str, dict[str, Any]]:
        """Each registered dataset's type and configuration (no secrets)."""
        return {
            name: {"type": type(ds).__name__, **ds.describe()}
            for name, ds in sorted(self._datasets.items())
        }

    def load(self, name: str) -> Any:
        """Load the dataset called ``name``.

        Raises:
            DatasetNotFoundError: No such dataset (with the closest names).
            DatasetError: Loading failed.
        """
        dataset = self[name]
        try:
            return dataset.load()
        except DatasetError as exc:
            _name(exc, name)
            raise

    def save(self, name: str, data: Any) -> None:
        """Save ``data`` to the dataset called ``name``, creating a memory one if undeclared.

        Raises:
            DatasetError: ``name`` is a parameter (read-only), or saving failed.
        """
        if name not in self._datasets and self._parameter(name) is not _MISSING:
            raise DatasetError(
                f"Cannot save to {name!r}: parameters are read-only. Save the value under "
                "another dataset name, or change it in the parameters.",
                dataset_name=name,
            )
        dataset = self.ensure(name)
        try:
            dataset.save(data)
        except DatasetError as exc:
            _name(exc, name)
            raise

    def exists(self, name: str) -> bool:
        """Tell whether the dataset called ``name`` has data (``False`` if undeclared)."""
        dataset = self.get(name)
        try:
            return dataset is not None and dataset.exists()
        except DatasetError as exc:
            _name(exc, name)
            raise

    def release(self, name: str) -> None:
        """Drop the data the dataset called ``name`` holds in memory."""
        dataset = self._datasets.get(name)
        if dataset is None:
            return
        try:
            dataset.release()
        except DatasetError as exc:
            _name(exc, name)
            raise

    def _parameter(self, name: str) -> Any:
        if name == _PARAMETERS:
            return self._parameters
        if not name.startswith(_PARAMS_PREFIX):
            return _MISSING
        return _lookup(self._parameters, name[len(_PARAMS_PREFIX) :])


def _lookup(tree: Mapping[str, Any], key: str) -> Any:
    """Find ``a.b.c`` in nested mappings, also accepting keys that contain dots themselves."""
    if key in tree:
        return tree[key]
    head, dot, rest = key.partition(".")
    while dot:
        sub = tree.get(head, _MISSING)
        if isinstance(sub, Mapping):
            found = _lookup(sub, rest)
            if found is not _MISSING:
                return found
        more_head, dot, rest = rest.partition(".")
        head = f"{head}.{more_head}"
    return _MISSING


def _name(exc: DatasetError, name: str) -> None:
    """Make ``exc`` name the dataset, keeping its type and attributes."""
    if exc.dataset_name is None:
        exc.dataset_name = name
        exc.args = (f"Dataset {name!r}: {exc}", *exc.args[1:])


def _parameter_names(tree: Mapping[str, Any], prefix: str = _PARAMS_PREFIX) -> Iterator[str]:
    for key, value in tree.items():
        yield prefix + key
        if isinstance(value, Mapping):
            yield from _parameter_names(value, f"{prefix}{key}.")
