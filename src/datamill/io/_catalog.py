"""The data catalog: the one place that knows which dataset stands behind each name.

A name resolves in this order:

1. a dataset registered in this catalog object (``add``, the constructor, or ``ensure``);
2. an explicit entry of the configuration (:meth:`DataCatalog.from_config`);
3. a parameter: ``parameters`` for all of them, ``params:<dotted key>`` for one value,
   looked up lazily in the nested mapping;
4. the most specific dataset pattern that matches (never for parameter names);
5. only when asked through :meth:`DataCatalog.ensure` (or ``save``): the default dataset for
   an undeclared intermediate, built from the catch-all pattern if there is one, else a
   :class:`MemoryDataset`.

Datasets from configuration are created on first use, so a catalog of thousands of entries
costs no import and no instantiation until a name is used. A :meth:`DataCatalog.shallow_copy`
shares the configuration and the datasets created from it (a declared dataset is one object
for every copy), while the datasets registered in one copy — the defaults ``ensure`` makes
for a run's intermediates included — stay private to it.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from datamill._text import did_you_mean
from datamill.errors import DatasetError, DatasetNotFoundError
from datamill.io._config import ConfiguredDatasets, mask_secrets, name_error, parse_config
from datamill.io._dataset import AbstractDataset
from datamill.io._memory import MemoryDataset
from datamill.io._registry import TypeRegistry

__all__ = ["DataCatalog"]

_PARAMS_PREFIX = "params:"
_PARAMETERS = "parameters"
_MISSING = object()


class DataCatalog:
    """Maps dataset names to datasets, and serves parameters as datasets.

    Build one from datasets directly, or from configuration with :meth:`from_config`.

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
        self._configured = ConfiguredDatasets()
        for name, dataset in (datasets or {}).items():
            self.add(name, dataset)
        self._parameters: dict[str, Any] = dict(parameters or {})

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, Any],
        credentials: Mapping[str, Any] | None = None,
        *,
        parameters: Mapping[str, Any] | None = None,
        load_versions: Mapping[str, str] | None = None,
        save_version: str | None = None,
        type_registry: TypeRegistry | None = None,
    ) -> DataCatalog:
        """Build a catalog from configuration shaped like ``catalog.yml``.

        Every entry is checked at once; no dataset is created (nor its module imported)
        until its name is used. Names with ``{placeholders}`` are patterns; top-level names
        starting with ``_`` are templates and are skipped.

        Args:
            config: Entries by dataset name: a ``type`` plus the dataset's arguments, with
                optional ``credentials`` (a name in ``credentials``) and ``versioned``.
            credentials: Credentials by name; an entry receives the one it names as its
                ``credentials`` argument.
            parameters: Nested parameters, served as ``parameters`` and ``params:<key>``.
            load_versions: The version to load, by dataset name (versioned entries only).
            save_version: The version every versioned dataset saves in this run.
            type_registry: Resolves ``type`` names (defaults to the shared default registry).

        Raises:
            DatasetError: One error listing every problem, each naming its entry: an entry
                that is not a mapping or has no string ``type``, a credentials reference
                that is not in ``credentials``, an invalid pattern, a load version for a
                dataset that is not versioned.

        Example:
            >>> catalog = DataCatalog.from_config(
            ...     {"scratch": {"type": "MemoryDataset"}, "{name}_copy": {"type": "MemoryDataset"}}
            ... )
            >>> catalog.list(), catalog.patterns()
            (['scratch'], ['{name}_copy'])
        """
        checked = parse_config(
            config,
            credentials,
            load_versions=load_versions,
            save_version=save_version,
            registry=type_registry,
        )
        catalog = cls(parameters=parameters)
        catalog._configured = ConfiguredDatasets(checked)
        return catalog

    @property
    def parameters(self) -> Mapping[str, Any]:
        """The parameters, as given."""
        return self._parameters

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        return (
            self._is_declared(name)
            or self._parameter(name) is not _MISSING
            or (not _reserved(name) and self._configured.matches(name))
        )

    def __getitem__(self, name: str) -> AbstractDataset[Any, Any]:
        dataset = self.get(name)
        if dataset is None:
            raise self._not_found(name)
        return dataset

    def __iter__(self) -> Iterator[str]:
        yield from self._datasets
        yield from (name for name in self._configured.names() if name not in self._datasets)

    def __len__(self) -> int:
        configured = sum(1 for name in self._configured.names() if name not in self._datasets)
        return len(self._datasets) + configured

    def __repr__(self) -> str:
        patterns = len(self._configured.patterns())
        shown = f", {patterns} patterns" if patterns else ""
        return f"DataCatalog({len(self)} datasets, {len(self._parameters)} parameters{shown})"

    def get(self, name: str) -> AbstractDataset[Any, Any] | None:
        """Return the dataset called ``name``, or ``None`` if the catalog has none.

        A dataset declared in configuration is created on the first call. A parameter is
        served by a new memory dataset on each call, so that releasing or listing datasets
        never touches parameters.

        Raises:
            DatasetError: Creating the declared dataset failed (unknown type, missing
                library, bad arguments), or two equally specific patterns match ``name``.
        """
        dataset = self._datasets.get(name)
        if dataset is None:
            dataset = self._configured.declared(name)
        if dataset is not None:
            return dataset
        value = self._parameter(name)
        if value is not _MISSING:
            return MemoryDataset(value)
        return None if _reserved(name) else self._configured.matched(name)

    def ensure(self, name: str) -> AbstractDataset[Any, Any]:
        """Return the dataset called ``name``, creating the default one if it is undeclared.

        The default comes from the catch-all pattern if the configuration has one, else it
        is an empty :class:`MemoryDataset`. It is registered in this catalog only (not in
        the catalog this one was copied from), so a run's intermediates stay private to it.
        """
        dataset = self.get(name)
        if dataset is None:
            dataset = None if _reserved(name) else self._configured.default(name)
            if dataset is None:
                dataset = MemoryDataset()
            self._datasets[name] = dataset
        return dataset

    def add(self, name: str, dataset: AbstractDataset[Any, Any], *, replace: bool = False) -> None:
        """Register ``dataset`` under ``name``.

        Raises:
            DatasetError: The name is taken, by a registered dataset or an entry of the
                configuration (pass ``replace=True``), or ``dataset`` is not a dataset.
        """
        if not isinstance(dataset, AbstractDataset):
            raise DatasetError(
                f"Catalog entry {name!r} must be a dataset (an AbstractDataset), got "
                f"{type(dataset).__name__}; wrap plain data in MemoryDataset(data).",
                dataset_name=name,
            )
        if not replace and self._is_declared(name):
            raise DatasetError(
                f"Dataset {name!r} is already in the catalog; pass replace=True to replace it.",
                dataset_name=name,
            )
        self._datasets[name] = dataset

    def shallow_copy(self) -> DataCatalog:
        """A new catalog with the same datasets, configuration and parameters.

        Registering datasets in the copy leaves this catalog unchanged; a run works on a
        copy so that the datasets it creates for intermediates stay private to it. Datasets
        declared in configuration are shared: whichever catalog creates one first, both use
        that object.
        """
        copy = DataCatalog(parameters=self._parameters)
        copy._datasets = dict(self._datasets)
        copy._configured = self._configured
        return copy

    def list(self) -> list[str]:
        """Names of the declared datasets, sorted.

        These are the explicit entries of the configuration and the datasets registered in
        this catalog; names served through patterns are not listed (see :meth:`resolve`).
        """
        return sorted(self)

    def patterns(self) -> builtins.list[str]:
        """The dataset patterns, most specific first (the catch-all last)."""
        return [pattern.name for pattern in self._configured.patterns()]

    def describe(self) -> dict[str, dict[str, Any]]:
        """Each declared dataset's type and configuration (no secrets), sorted by name.

        An entry of the configuration is shown as configured, with credentials and
        secret-looking values masked, whether or not its dataset was created yet.
        """
        return {name: self._description(name) for name in self.list()}

    def resolve(self, names: str | Iterable[str]) -> dict[str, dict[str, Any]]:
        """Show the configuration each name resolves to, secrets masked; creates nothing.

        A registered dataset is shown by its type and description; a configured name by its
        entry, with the placeholders of the matching pattern filled in; a parameter as
        ``{"type": "MemoryDataset", "parameter": True}``; any other name as the default
        dataset ``ensure`` would create.

        Raises:
            DatasetError: Two equally specific patterns match one of the names.

        Example:
            >>> catalog = DataCatalog.from_config(
            ...     {"{name}_table": {"type": "pickle.PickleDataset", "filepath": "{name}.pkl"}}
            ... )
            >>> catalog.resolve(["cars_table"])
            {'cars_table': {'type': 'pickle.PickleDataset', 'filepath': 'cars.pkl'}}
        """
        return {
            name: self._resolved(name) for name in ([names] if isinstance(names, str) else names)
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
            name_error(exc, name)
            raise

    def save(self, name: str, data: Any) -> None:
        """Save ``data`` to the dataset called ``name``, creating the default one if undeclared.

        Raises:
            DatasetError: ``name`` is a parameter (read-only), or saving failed.
        """
        if not self._is_declared(name) and self._parameter(name) is not _MISSING:
            raise DatasetError(
                f"Cannot save to {name!r}: parameters are read-only. Save the value under "
                "another dataset name, or change it in the parameters.",
                dataset_name=name,
            )
        dataset = self.ensure(name)
        try:
            dataset.save(data)
        except DatasetError as exc:
            name_error(exc, name)
            raise

    def exists(self, name: str) -> bool:
        """Tell whether the dataset called ``name`` has data (``False`` if undeclared)."""
        dataset = self.get(name)
        try:
            return dataset is not None and dataset.exists()
        except DatasetError as exc:
            name_error(exc, name)
            raise

    def release(self, name: str) -> None:
        """Drop the data the dataset called ``name`` holds in memory (creates no dataset)."""
        dataset = self._datasets.get(name)
        if dataset is None:
            dataset = self._configured.created(name)
        if dataset is None:
            return
        try:
            dataset.release()
        except DatasetError as exc:
            name_error(exc, name)
            raise

    def _is_declared(self, name: str) -> bool:
        return name in self._datasets or name in self._configured.names()

    def _not_found(self, name: str) -> DatasetNotFoundError:
        known = [*self, *_parameter_names(self._parameters)]
        patterns = any(not p.is_catch_all for p in self._configured.patterns())
        where = " and matches none of its dataset patterns" if patterns else ""
        return DatasetNotFoundError(
            f"Dataset {name!r} is not in the catalog{where}.{did_you_mean(name, known)} "
            "Declare it in the catalog, or check the spelling.",
            dataset_name=name,
        )

    def _description(self, name: str) -> dict[str, Any]:
        dataset = self._datasets.get(name)
        if dataset is None:
            return dict(mask_secrets(self._configured.config.entries[name]))
        return {"type": type(dataset).__name__, **dataset.describe()}

    def _resolved(self, name: str) -> dict[str, Any]:
        if name in self._datasets:
            return self._description(name)
        config = self._configured.config
        entry = config.entries.get(name)
        if entry is None and self._parameter(name) is not _MISSING:
            return {"type": "MemoryDataset", "parameter": True}
        if entry is None and not _reserved(name):
            entry = config.entry(name)
        return {"type": "MemoryDataset"} if entry is None else dict(mask_secrets(entry))

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


def _reserved(name: str) -> bool:
    """Parameter names, which patterns never serve."""
    return name == _PARAMETERS or name.startswith(_PARAMS_PREFIX)


def _parameter_names(tree: Mapping[str, Any], prefix: str = _PARAMS_PREFIX) -> Iterator[str]:
    for key, value in tree.items():
        yield prefix + key
        if isinstance(value, Mapping):
            yield from _parameter_names(value, f"{prefix}{key}.")
