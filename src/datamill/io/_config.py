"""Catalog configuration: every entry checked at once, each dataset created on first use.

:func:`parse_config` reads a mapping shaped like ``catalog.yml`` (dataset name → entry with a
``type`` and the dataset's arguments). It checks the shape of every entry — cheaply: nothing
is imported and no dataset is created — and reports every problem in one error. Names with
``{placeholders}`` become patterns (see :mod:`datamill.io._patterns`); top-level names
starting with ``_`` are private templates and are skipped.

A :class:`ConfiguredDatasets` creates the dataset behind a name the first time it is asked
for: it resolves the type through a :class:`~datamill.io._registry.TypeRegistry`, replaces
each ``credentials`` reference by the credentials it names, gives versioned entries their
``load_version`` and ``save_version``, checks the arguments against the class signature,
creates the dataset and keeps it. Copies of a catalog share one ``ConfiguredDatasets``, so a
declared dataset is one object however many copies (runs) use it.
"""

from __future__ import annotations

import copy
import difflib
import functools
import inspect
import re
import threading
from collections.abc import Iterator, KeysView, Mapping
from dataclasses import dataclass, field
from typing import Any

from datamill._text import did_you_mean, quoted
from datamill.errors import DatasetError
from datamill.io._dataset import AbstractDataset
from datamill.io._patterns import Pattern, PatternResolver, is_pattern, placeholders_in
from datamill.io._registry import TypeRegistry, default_registry

__all__ = ["CatalogConfig", "ConfiguredDatasets", "mask_secrets", "name_error", "parse_config"]

_TYPE = "type"
_CREDENTIALS = "credentials"
_VERSIONED = "versioned"
_ASSUME_UNCHANGED = "assume_unchanged"  # read by the catalog, not given to the dataset
_MASK = "***"
_SECRET_KEY = re.compile(r"password|passwd|secret|token|key|credential", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(://[^/@:\s]*):[^/@\s]+@")
_QUERY_SECRET = re.compile(r"((?:password|secret|token|key|sig)[^=&\s]*=)[^&\s]+", re.IGNORECASE)


Entry = Mapping[str, Any]
Problem = tuple[str, str]  # (entry name, what is wrong)


@dataclass(frozen=True, slots=True)
class CatalogConfig:
    """A checked catalog configuration and everything needed to create its datasets.

    Attributes:
        entries: The explicit entries by dataset name.
        pattern_entries: The pattern entries by pattern.
        resolver: Finds the pattern a name matches.
        credentials: The credentials that ``credentials:`` references name.
        load_versions: The version to load, by dataset name (versioned entries only).
        save_version: The version every versioned dataset saves, if set for the run.
        registry: Resolves ``type:`` names to classes.
    """

    entries: Mapping[str, Entry] = field(default_factory=dict)
    pattern_entries: Mapping[str, Entry] = field(default_factory=dict)
    resolver: PatternResolver = field(default_factory=PatternResolver)
    credentials: Mapping[str, Any] = field(default_factory=dict)
    load_versions: Mapping[str, str] = field(default_factory=dict)
    save_version: str | None = None
    registry: TypeRegistry = default_registry

    def pattern_entry(self, name: str) -> Entry | None:
        """The entry the most specific matching pattern gives ``name`` (not the catch-all).

        Raises:
            DatasetError: Two equally specific patterns match ``name``.
        """
        found = self.resolver.match(name)
        return None if found is None else found.fill(self.pattern_entries[found.pattern.name])

    def default_entry(self, name: str) -> Entry | None:
        """The entry the catch-all pattern gives ``name``, if there is a catch-all."""
        found = self.resolver.match_catch_all(name)
        return None if found is None else found.fill(self.pattern_entries[found.pattern.name])

    def entry(self, name: str) -> Entry | None:
        """The entry for ``name``: explicit, else from a pattern, else from the catch-all."""
        explicit = self.entries.get(name)
        if explicit is not None:
            return explicit
        matched = self.pattern_entry(name)
        return self.default_entry(name) if matched is None else matched

    def build(self, name: str, entry: Entry) -> AbstractDataset[Any, Any]:
        """Create the dataset ``entry`` describes, for the catalog name ``name``.

        Raises:
            DatasetError: The type cannot be resolved, an argument is unknown or missing, or
                the dataset type refused its arguments; the error names the dataset.
        """
        type_name: str = entry[_TYPE]
        cls = self.registry.resolve(type_name, name)
        kwargs = self._arguments(name, entry)
        _check_arguments(name, type_name, cls, kwargs)
        dataset = _instantiate(name, type_name, cls, kwargs)
        if entry.get(_ASSUME_UNCHANGED) is True:
            dataset.assume_unchanged = True
        return dataset

    def _arguments(self, name: str, entry: Entry) -> dict[str, Any]:
        kwargs: dict[str, Any] = _with_credentials(
            {
                key: copy.deepcopy(value)
                for key, value in entry.items()
                if key not in {_TYPE, _ASSUME_UNCHANGED}
            },
            self.credentials,
            name,
        )
        if entry.get(_VERSIONED) is True:
            if name in self.load_versions:
                kwargs["load_version"] = self.load_versions[name]
            if self.save_version is not None:
                kwargs["save_version"] = self.save_version
        return kwargs


class ConfiguredDatasets:
    """The datasets a configuration declares, created on first use and then kept.

    Catalog copies share one instance: a dataset declared in configuration (explicitly or
    through a pattern other than the catch-all) is created once, whichever copy asks first.
    Creation holds a lock, so two threads asking at once get the same object.

    Args:
        config: The checked configuration.
    """

    def __init__(self, config: CatalogConfig | None = None) -> None:
        self.config = config or CatalogConfig()
        self._created: dict[str, AbstractDataset[Any, Any]] = {}
        self._lock = threading.Lock()

    def __getstate__(self) -> tuple[CatalogConfig, dict[str, AbstractDataset[Any, Any]]]:
        return self.config, self._created

    def __setstate__(self, state: tuple[CatalogConfig, dict[str, Any]]) -> None:
        self.config, self._created = state
        self._lock = threading.Lock()

    def names(self) -> KeysView[str]:
        """The names of the explicit entries."""
        return self.config.entries.keys()

    def patterns(self) -> tuple[Pattern, ...]:
        """Every pattern, in rank order."""
        return self.config.resolver.patterns

    def declared(self, name: str) -> AbstractDataset[Any, Any] | None:
        """The dataset of the explicit entry ``name``, created if needed; ``None`` if none."""
        entry = self.config.entries.get(name)
        return None if entry is None else self._get(name, entry)

    def matched(self, name: str) -> AbstractDataset[Any, Any] | None:
        """The dataset a pattern (not the catch-all) gives ``name``; ``None`` if none matches."""
        created = self._created.get(name)
        if created is not None:
            return created
        entry = self.config.pattern_entry(name)
        return None if entry is None else self._get(name, entry)

    def matches(self, name: str) -> bool:
        """Tell whether a pattern other than the catch-all matches ``name`` (creates nothing)."""
        return self.config.resolver.match(name) is not None

    def created(self, name: str) -> AbstractDataset[Any, Any] | None:
        """The dataset already created for ``name``, without creating one."""
        return self._created.get(name)

    def default(self, name: str) -> AbstractDataset[Any, Any] | None:
        """A new dataset from the catch-all pattern for ``name``, or ``None`` without one."""
        entry = self.config.default_entry(name)
        return None if entry is None else self.config.build(name, entry)

    def _get(self, name: str, entry: Entry) -> AbstractDataset[Any, Any]:
        dataset = self._created.get(name)
        if dataset is not None:
            return dataset
        with self._lock:
            dataset = self._created.get(name)
            if dataset is None:
                dataset = self._created[name] = self.config.build(name, entry)
            return dataset


# -- checking a configuration ---------------------------------------------------------------


def parse_config(
    config: Mapping[str, Any],
    credentials: Mapping[str, Any] | None = None,
    *,
    load_versions: Mapping[str, str] | None = None,
    save_version: str | None = None,
    registry: TypeRegistry | None = None,
) -> CatalogConfig:
    """Check a catalog configuration and return it ready to create datasets from.

    Raises:
        DatasetError: Listing every malformed entry, invalid pattern, unknown credentials
            reference and misplaced load version, each with the entry's name.
    """
    if not isinstance(config, Mapping):
        raise DatasetError(
            "The catalog configuration must be a mapping of dataset names to entries, got "
            f"{type(config).__name__}."
        )
    creds = dict(credentials or {})
    problems: list[Problem] = []
    entries, patterns = _split_entries(config, creds, problems)
    checked = CatalogConfig(
        entries=entries,
        pattern_entries={pattern.name: entry for pattern, entry in patterns},
        resolver=PatternResolver(_one_catch_all([p for p, _ in patterns], problems)),
        credentials=creds,
        load_versions=dict(load_versions or {}),
        save_version=save_version,
        registry=registry or default_registry,
    )
    problems.extend(_version_problems(checked))
    _raise_problems(problems)
    return checked


def _split_entries(
    config: Mapping[Any, Any], creds: Mapping[str, Any], problems: list[Problem]
) -> tuple[dict[str, Entry], list[tuple[Pattern, Entry]]]:
    """Sort valid entries into explicit ones and patterns; add the others to ``problems``."""
    entries: dict[str, Entry] = {}
    patterns: list[tuple[Pattern, Entry]] = []
    for name, entry in config.items():
        if isinstance(name, str) and name.startswith("_"):
            continue  # a private template, used through YAML anchors
        found = list(_entry_problems(name, entry, creds))
        pattern = None
        if not found and is_pattern(name):
            pattern, found = _compile(name, entry)
        problems.extend((str(name), text) for text in found)
        if found:
            continue
        if pattern is None:
            entries[name] = dict(entry)
        else:
            patterns.append((pattern, dict(entry)))
    return entries, patterns


def _entry_problems(name: object, entry: object, creds: Mapping[str, Any]) -> Iterator[str]:
    if not isinstance(name, str):
        yield f"a dataset name must be a string, got {type(name).__name__}"
        return
    if not isinstance(entry, Mapping):
        yield (
            "an entry must be a mapping with a 'type' and the dataset's arguments, got "
            f"{type(entry).__name__}"
        )
        return
    yield from _type_problems(entry)
    keys = [key for key in entry if not isinstance(key, str)]
    if keys:
        yield f"argument names must be strings, got {', '.join(repr(k) for k in keys)}"
    for flag in (_VERSIONED, _ASSUME_UNCHANGED):
        if flag in entry and not isinstance(entry[flag], bool):
            yield f"{flag!r} must be true or false, got {type(entry[flag]).__name__}"
    yield from _credentials_problems(entry, creds, is_pattern(name))


def _type_problems(entry: Mapping[Any, Any]) -> Iterator[str]:
    if _TYPE not in entry:
        keys = [key for key in entry if isinstance(key, str)]
        typo = difflib.get_close_matches(_TYPE, keys, n=1)
        hint = f" (is {typo[0]!r} a misspelling of 'type'?)" if typo else ""
        yield f"it has no 'type'{hint}; say which dataset type to use, e.g. type: MemoryDataset"
    elif not isinstance(entry[_TYPE], str) or not entry[_TYPE]:
        yield f"'type' must name a dataset type (a string), got {type(entry[_TYPE]).__name__}"


def _credentials_problems(
    entry: Mapping[Any, Any], creds: Mapping[str, Any], pattern: bool
) -> Iterator[str]:
    for ref in _credential_refs(entry):
        if ref is None:
            continue
        if not isinstance(ref, str):
            yield (
                "'credentials' must name an entry of the credentials (a string), got "
                f"{type(ref).__name__}; keep secrets out of the catalog, in credentials"
            )
        elif ref not in creds and not (pattern and any(placeholders_in(ref))):
            yield _unknown_credentials(ref, creds)


def _unknown_credentials(ref: str, creds: Mapping[str, Any]) -> str:
    return (
        f"its credentials {ref!r} are not in the credentials.{did_you_mean(ref, creds)} "
        f"Add {ref!r} to the credentials (conf/local/credentials.yml) or fix the name"
    )


def _credential_refs(value: object) -> Iterator[object]:
    """Every ``credentials:`` value inside an entry, nested dataset entries included."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == _CREDENTIALS:
                yield item
            else:
                yield from _credential_refs(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _credential_refs(item)


def _compile(name: str, entry: Entry) -> tuple[Pattern | None, list[str]]:
    try:
        pattern = Pattern.compile(name)
    except ValueError as exc:
        return None, [f"it is not a valid pattern: {exc}"]
    unknown = sorted(set(placeholders_in(entry)) - set(pattern.placeholders))
    if unknown:
        words = ", ".join(f"{{{word}}}" for word in unknown)
        known = ", ".join(f"{{{word}}}" for word in pattern.placeholders)
        return None, [f"its values use {words}, which the pattern lacks (it has {known})"]
    return pattern, []


def _one_catch_all(patterns: list[Pattern], problems: list[Problem]) -> list[Pattern]:
    catch_alls = [p for p in patterns if p.is_catch_all]
    for extra in catch_alls[1:]:
        problems.append(
            (extra.name, f"a second catch-all pattern besides {catch_alls[0].name!r}; keep one")
        )
    return [p for p in patterns if p not in catch_alls[1:]]


def _version_problems(config: CatalogConfig) -> Iterator[Problem]:
    versioned = [n for n, e in config.entries.items() if e.get(_VERSIONED) is True]
    for name in config.load_versions:
        try:
            entry = config.entry(name)
        except DatasetError as exc:
            yield name, str(exc)
            continue
        if entry is None:
            hint = did_you_mean(name, versioned)
            yield name, f"a load version is given, but the catalog has no such dataset.{hint}"
        elif entry.get(_VERSIONED) is not True:
            yield name, "a load version is given, but the entry is not versioned: true"


def _raise_problems(problems: list[Problem]) -> None:
    if not problems:
        return
    names = {name for name, _ in problems}
    if len(problems) == 1:
        message = f"Catalog entry {problems[0][0]!r}: {problems[0][1]}."
    else:
        listed = "\n".join(f"  - entry {name!r}: {text}." for name, text in problems)
        message = f"The catalog configuration has {len(problems)} problems:\n{listed}"
    raise DatasetError(message, dataset_name=names.pop() if len(names) == 1 else None)


# -- creating a dataset ---------------------------------------------------------------------


def _with_credentials(value: Any, creds: Mapping[str, Any], name: str) -> Any:
    """Replace every ``credentials: <reference>`` inside ``value`` by what it names."""
    if isinstance(value, Mapping):
        return {
            key: _credentials(item, creds, name)
            if key == _CREDENTIALS
            else _with_credentials(item, creds, name)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_with_credentials(item, creds, name) for item in value]
    return value


def _credentials(ref: Any, creds: Mapping[str, Any], name: str) -> Any:
    if not isinstance(ref, str):
        return ref
    if ref not in creds:  # a reference made by a pattern's placeholder
        raise DatasetError(
            f"Dataset {name!r}: {_unknown_credentials(ref, creds)}.", dataset_name=name
        )
    return copy.deepcopy(creds[ref])


def _check_arguments(
    name: str, type_name: str, cls: type[AbstractDataset[Any, Any]], kwargs: Mapping[str, Any]
) -> None:
    signature = accepted_arguments(cls)
    if signature is None:  # no signature to check against
        return
    accepted, required, takes_any = signature
    unknown = [] if takes_any else [key for key in kwargs if key not in accepted]
    if unknown:
        raise _unknown_arguments(name, type_name, unknown, list(accepted))
    missing = [p for p in required if p not in kwargs]
    if missing:
        raise DatasetError(
            f"Dataset {name!r} (type {type_name!r}): missing required argument "
            f"{quoted(missing)}; add it to the entry.",
            dataset_name=name,
        )


@functools.cache
def accepted_arguments(
    cls: type[AbstractDataset[Any, Any]],
) -> tuple[tuple[str, ...], tuple[str, ...], bool] | None:
    """The keyword arguments a dataset class accepts: (names, required names, takes any).

    An ``__init__`` that passes ``**kwargs`` on to its base class accepts the base's named
    arguments too, so the classes of the MRO are read until one has no ``**kwargs``. Cached
    per class (the signature of a class does not change); ``accepted_arguments.cache_clear()``
    empties the cache.
    """
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    accepted: dict[str, None] = {}
    required: dict[str, None] = {}
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        try:
            params = list(inspect.signature(vars(klass)["__init__"]).parameters.values())[1:]
        except (TypeError, ValueError):
            return None
        for p in params:
            if p.kind in named:
                accepted.setdefault(p.name, None)
                if p.default is p.empty and p.name not in required:
                    required[p.name] = None
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
            return tuple(accepted), tuple(required), False
        if klass is object or not issubclass(klass, AbstractDataset):
            break
    return tuple(accepted), tuple(required), True


def _unknown_arguments(
    name: str, type_name: str, unknown: list[str], accepted: list[str]
) -> DatasetError:
    plural = "s" if len(unknown) > 1 else ""
    if _VERSIONED in unknown:
        advice = " It does not support versioning: remove 'versioned' from the entry."
    else:
        advice = did_you_mean(unknown[0], accepted)
    takes = ", ".join(accepted) if accepted else "no arguments"
    return DatasetError(
        f"Dataset {name!r} (type {type_name!r}): unknown argument{plural} {quoted(unknown)}."
        f"{advice} The type accepts: {takes}.",
        dataset_name=name,
    )


def _instantiate(
    name: str, type_name: str, cls: type[AbstractDataset[Any, Any]], kwargs: dict[str, Any]
) -> AbstractDataset[Any, Any]:
    try:
        return cls(**kwargs)
    except DatasetError as exc:
        name_error(exc, name)
        raise
    except Exception as exc:
        raise DatasetError(
            f"Dataset {name!r}: creating a {type_name!r} from its entry failed: "
            f"{type(exc).__name__}: {exc}",
            dataset_name=name,
        ) from exc


def name_error(exc: DatasetError, name: str) -> None:
    """Make ``exc`` name the dataset, keeping its type and attributes."""
    if exc.dataset_name is None:
        exc.dataset_name = name
        exc.args = (f"Dataset {name!r}: {exc}", *exc.args[1:])


# -- showing a configuration ----------------------------------------------------------------


def mask_secrets(value: Any) -> Any:
    """A copy of ``value`` safe to show: secret-looking keys and URL passwords become ``***``.

    A key is secret-looking if it contains ``password``, ``secret``, ``token``, ``key`` or
    ``credential`` (in any case) — which errs on the side of hiding. In strings, the password
    of a URL (``scheme://user:password@host``) and secret-looking query values are masked.
    """
    if isinstance(value, Mapping):
        return {
            key: _MASK if isinstance(key, str) and _SECRET_KEY.search(key) else mask_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask_secrets(item) for item in value]
    if isinstance(value, str):
        return _QUERY_SECRET.sub(rf"\1{_MASK}", _URL_PASSWORD.sub(rf"\1:{_MASK}@", value))
    return value
