"""Dataset types by name: what the ``type:`` of a catalog entry may say.

A type name is looked up in this order:

1. the built-in short names (``pandas.CSVDataset``, ``MemoryDataset``, ...), a read-only
   table from short name to ``"module:Class"`` and the extra that installs what the module
   needs;
2. the types other packages register under the ``datamill.datasets`` entry-point group (the
   entry point's name is the type name);
3. a full dotted path ``package.module.Class``.

Nothing is imported until a type is asked for, so a catalog of any size costs no import.
Resolved classes are kept in the :class:`TypeRegistry` that resolved them, an explicit cache
with :meth:`TypeRegistry.clear`.
"""

from __future__ import annotations

import importlib
import inspect
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from datamill._text import did_you_mean
from datamill.errors import DatasetError
from datamill.io._dataset import AbstractDataset

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = [
    "BUILTIN_TYPES",
    "ENTRY_POINT_GROUP",
    "BuiltinType",
    "TypeRegistry",
    "default_registry",
    "resolve_type",
]

ENTRY_POINT_GROUP = "datamill.datasets"
"""The entry-point group under which other packages register dataset types."""

DatasetType = type[AbstractDataset[Any, Any]]


@dataclass(frozen=True, slots=True)
class BuiltinType:
    """Where a built-in dataset type lives and how to install what it needs.

    Attributes:
        target: ``"module.path:ClassName"``.
        extra: The datamill extra that installs the libraries the module imports
            (``"pandas"`` for ``pip install "datamill[pandas]"``), or ``None`` if the core
            has them.
    """

    target: str
    extra: str | None = None


def _table(extra: str | None, targets: Mapping[str, str]) -> dict[str, BuiltinType]:
    return {name: BuiltinType(f"datamill.{target}", extra) for name, target in targets.items()}


BUILTIN_TYPES: Mapping[str, BuiltinType] = MappingProxyType(
    {
        **_table(
            None,
            {
                "MemoryDataset": "io:MemoryDataset",
                "text.TextDataset": "datasets.text:TextDataset",
                "json.JSONDataset": "datasets.json:JSONDataset",
                "yaml.YAMLDataset": "datasets.yaml:YAMLDataset",
                "pickle.PickleDataset": "datasets.pickle:PickleDataset",
                "partitions.PartitionedDataset": "datasets.partitions:PartitionedDataset",
                "partitions.IncrementalDataset": "datasets.partitions:IncrementalDataset",
            },
        ),
        **_table(
            "pandas",
            {
                "pandas.CSVDataset": "datasets.pandas:CSVDataset",
                "pandas.ParquetDataset": "datasets.pandas:ParquetDataset",
                "pandas.JSONDataset": "datasets.pandas:JSONDataset",
                "pandas.ExcelDataset": "datasets.pandas:ExcelDataset",
                "pandas.FeatherDataset": "datasets.pandas:FeatherDataset",
            },
        ),
        **_table(
            "sql",
            {
                "pandas.SQLTableDataset": "datasets.pandas:SQLTableDataset",
                "pandas.SQLQueryDataset": "datasets.pandas:SQLQueryDataset",
            },
        ),
        **_table(
            "polars",
            {
                "polars.CSVDataset": "datasets.polars:CSVDataset",
                "polars.ParquetDataset": "datasets.polars:ParquetDataset",
                "polars.LazyCSVDataset": "datasets.polars:LazyCSVDataset",
                "polars.LazyParquetDataset": "datasets.polars:LazyParquetDataset",
            },
        ),
        **_table(
            "plots",
            {
                "matplotlib.FigureDataset": "datasets.matplotlib:FigureDataset",
                "plotly.FigureDataset": "datasets.plotly:FigureDataset",
            },
        ),
        **_table("images", {"pillow.ImageDataset": "datasets.pillow:ImageDataset"}),
    }
)
"""Built-in short type names, read-only. Their modules are imported only when used."""

_NAMESPACES = frozenset(name.split(".", 1)[0] for name in BUILTIN_TYPES if "." in name)


class TypeRegistry:
    """Resolves ``type:`` names to dataset classes and keeps the classes it resolved.

    A registry is an explicit cache: the classes it resolved stay until :meth:`clear`, and
    the entry points of installed packages are read once, on the first name that is not a
    built-in. :data:`default_registry` is the one catalogs use unless given another.

    Args:
        builtins: Short names and where they live (defaults to :data:`BUILTIN_TYPES`).
        group: The entry-point group to read registered types from.

    Example:
        >>> TypeRegistry().resolve("MemoryDataset", "scratch").__name__
        'MemoryDataset'
    """

    def __init__(
        self, builtins: Mapping[str, BuiltinType] = BUILTIN_TYPES, group: str = ENTRY_POINT_GROUP
    ) -> None:
        self._builtins = MappingProxyType(dict(builtins))
        self._group = group
        self._classes: dict[str, DatasetType] = {}
        self._entry_points: dict[str, EntryPoint] | None = None
        self._lock = threading.Lock()

    def resolve(self, type_name: str, dataset_name: str) -> DatasetType:
        """Return the dataset class that ``type_name`` names.

        Args:
            type_name: A short name, a registered entry-point name or a dotted path.
            dataset_name: The catalog entry being built, named in every error.

        Raises:
            DatasetError: The type is unknown (with the closest names), its module needs a
                library that is not installed (with the ``pip install`` command), it cannot
                be imported, or it is not a dataset class.
        """
        cls = self._classes.get(type_name)
        if cls is None:
            cls = _checked(self._load(type_name, dataset_name), type_name, dataset_name)
            self._classes[type_name] = cls
        return cls

    def known_names(self) -> list[str]:
        """Every short name: the built-in ones and those registered through entry points."""
        return sorted({*self._builtins, *self._registered()})

    def clear(self) -> None:
        """Forget the resolved classes and the entry points read so far."""
        with self._lock:
            self._classes.clear()
            self._entry_points = None

    def __reduce__(self) -> str | tuple[Any, ...]:
        if self is default_registry:
            return "default_registry"  # unpickles as this module's instance
        return (TypeRegistry, (dict(self._builtins), self._group))

    def _load(self, type_name: str, dataset_name: str) -> object:
        builtin = self._builtins.get(type_name)
        if builtin is not None:
            return _import(builtin.target, type_name, dataset_name, builtin.extra)
        entry_point = self._registered().get(type_name)
        if entry_point is not None:
            return _import(entry_point.value, type_name, dataset_name, None)
        module, dot, attribute = type_name.rpartition(".")
        if not dot or not module or not attribute or module.split(".")[0] in _NAMESPACES:
            raise self._unknown(type_name, dataset_name)
        return _import_path(module, attribute, type_name, dataset_name, self)

    def _registered(self) -> dict[str, EntryPoint]:
        with self._lock:
            if self._entry_points is None:
                from importlib.metadata import entry_points  # slow to import: on demand

                found = entry_points(group=self._group)
                self._entry_points = {ep.name: ep for ep in found}
            return self._entry_points

    def _unknown(self, type_name: str, dataset_name: str) -> DatasetError:
        hint = did_you_mean(type_name, self.known_names())
        return DatasetError(
            f"Dataset {dataset_name!r}: unknown dataset type {type_name!r}.{hint} Use a "
            "built-in short name (such as 'pandas.CSVDataset'), the full path of a dataset "
            "class ('my_package.datasets.MyDataset'), or a type registered under the "
            f"{self._group!r} entry-point group.",
            dataset_name=dataset_name,
        )


def _import(target: str, type_name: str, dataset_name: str, extra: str | None) -> object:
    """Import ``"module:attr"``, turning a missing library into an install hint."""
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise _missing_module(exc, type_name, dataset_name, module_name, extra) from exc
    except Exception as exc:
        raise _import_failed(exc, type_name, dataset_name, module_name) from exc
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise DatasetError(
            f"Dataset {dataset_name!r}: type {type_name!r} should be {attribute!r} in module "
            f"{module_name!r}, which has no such name. Check the package that registers it.",
            dataset_name=dataset_name,
        ) from None


def _import_path(
    module_name: str, attribute: str, type_name: str, dataset_name: str, registry: TypeRegistry
) -> object:
    """Import ``package.module.Class``; a path that leads nowhere is an unknown type."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and f"{module_name}.".startswith(f"{exc.name}."):
            raise registry._unknown(type_name, dataset_name) from None
        raise _missing_module(exc, type_name, dataset_name, module_name, None) from exc
    except Exception as exc:
        raise _import_failed(exc, type_name, dataset_name, module_name) from exc
    found = getattr(module, attribute, None)
    if found is None:
        names = [n for n in dir(module) if n.endswith("Dataset")]
        hint = did_you_mean(attribute, names)
        raise DatasetError(
            f"Dataset {dataset_name!r}: module {module_name!r} has no dataset type "
            f"{attribute!r}.{hint}",
            dataset_name=dataset_name,
        )
    return found


def _missing_module(
    exc: ModuleNotFoundError, type_name: str, dataset_name: str, module: str, extra: str | None
) -> DatasetError:
    missing = exc.name or str(exc)
    if missing.split(".")[0] == "datamill":
        return DatasetError(
            f"Dataset {dataset_name!r}: type {type_name!r} lives in module {missing!r}, which "
            "this version of datamill does not have. Upgrade datamill or use another type.",
            dataset_name=dataset_name,
        )
    if extra is not None:
        fix = f'Install it with: pip install "datamill[{extra}]"'
    else:
        fix = f"Install the package that provides {missing!r}."
    return DatasetError(
        f"Dataset {dataset_name!r}: type {type_name!r} needs the library {missing!r} "
        f"(imported by {module!r}), which is not installed. {fix}",
        dataset_name=dataset_name,
    )


def _import_failed(exc: Exception, type_name: str, dataset_name: str, module: str) -> DatasetError:
    return DatasetError(
        f"Dataset {dataset_name!r}: importing module {module!r} for type {type_name!r} "
        f"failed: {type(exc).__name__}: {exc}",
        dataset_name=dataset_name,
    )


def _checked(found: object, type_name: str, dataset_name: str) -> DatasetType:
    if inspect.isclass(found) and issubclass(found, AbstractDataset):
        return found
    what = (
        f"the class {found.__qualname__}" if inspect.isclass(found) else f"a {type(found).__name__}"
    )
    raise DatasetError(
        f"Dataset {dataset_name!r}: type {type_name!r} is {what}, not a dataset class; "
        "a dataset type must be a subclass of datamill.io.AbstractDataset.",
        dataset_name=dataset_name,
    )


default_registry = TypeRegistry()
"""The registry catalogs use unless given another; ``default_registry.clear()`` resets it."""


def resolve_type(
    type_name: str, dataset_name: str, registry: TypeRegistry | None = None
) -> DatasetType:
    """Return the dataset class ``type_name`` names, through ``registry`` (or the default).

    Raises:
        DatasetError: See :meth:`TypeRegistry.resolve`.

    Example:
        >>> resolve_type("MemoryDataset", "scratch").__name__
        'MemoryDataset'
    """
    return (registry or default_registry).resolve(type_name, dataset_name)
