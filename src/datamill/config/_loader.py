"""`ConfigLoader`: layered configuration read from a project's ``conf/`` folder.

For one configuration key (``catalog``, ``parameters``, ...) the loader walks the
environment chain (``base`` first), selects each environment's files with the key's
patterns, resolves each file on its own (interpolation is file-local), checks that no
top-level key is defined by two files of the same environment, then deep-merges the files
in order. Every resolved file is kept as a layer, so `ConfigLoader.explain` can list, for
any dotted key, each file and line that set it. Files are read once per loader.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from datamill._text import did_you_mean, quoted
from datamill.config._explain import (
    RUNTIME_PARAMS,
    Explanation,
    Provenance,
    mask,
    masked_sources,
)
from datamill.config._merge import MISSING, deep_merge, dotted_keys, get_dotted, nest_dotted
from datamill.config._resolvers import resolve_file
from datamill.config._sources import (
    DEFAULT_PATTERNS,
    environment_chain,
    list_files,
    select_files,
)
from datamill.config._yaml import YamlFile, read_yaml
from datamill.errors import ConfigError

SECRET_CONFIGS: Final = frozenset({"credentials"})
"""Configuration keys whose values are secret: env vars allowed, values masked."""


@dataclass(frozen=True, slots=True)
class _Layer:
    env: str
    file: YamlFile | None  # None for the runtime parameters
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Loaded:
    layers: tuple[_Layer, ...]
    merged: dict[str, Any]


class ConfigLoader(Mapping[str, dict[str, Any]]):
    """Layered configuration of a project, read from its ``conf/`` folder.

    ``loader["catalog"]``, ``loader["parameters"]``, ``loader["credentials"]`` (and any key
    added to `patterns`) return plain, resolved dictionaries: ``base`` merged with each
    environment of the chain that ends at ``env``, later files winning key by key.

    Args:
        conf_source: The configuration folder (usually ``<project>/conf``).
        env: The run environment; ``None`` loads ``base`` only. ``"local"`` may be absent.
        base_env: The environment always loaded first.
        runtime_params: Values for ``${runtime_params:key}``; they also override (or add)
            parameters with the same dotted key. Keys may be dotted (``"model.alpha"``).
        patterns: Extra or replacement file patterns per key, relative to an environment.

    Raises:
        ConfigError: If ``conf_source/base`` is missing, ``env`` is unknown, or the
            environments' inheritance forms a cycle.

    Example:
        >>> loader = ConfigLoader("conf", env="prod")  # doctest: +SKIP
        >>> loader.patterns["spark"] = ["spark*.yml", "spark/**/*.yml"]  # doctest: +SKIP
        >>> loader["parameters"]["model"]["test_size"]  # doctest: +SKIP
        0.3
    """

    def __init__(
        self,
        conf_source: Path | str,
        env: str | None = "local",
        *,
        base_env: str = "base",
        runtime_params: Mapping[str, Any] | None = None,
        patterns: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.conf_source = Path(conf_source)
        self.env = env
        self.base_env = base_env
        self.runtime_params: dict[str, Any] = nest_dotted(runtime_params or {})
        self.patterns: dict[str, list[str]] = {k: list(v) for k, v in DEFAULT_PATTERNS.items()}
        self.patterns.update({k: list(v) for k, v in (patterns or {}).items()})
        self.environments: tuple[str, ...] = environment_chain(self.conf_source, env, base_env)
        self._listings: dict[str, tuple[str, ...]] = {}
        self._files: dict[Path, YamlFile] = {}
        self._loaded: dict[tuple[str, tuple[str, ...]], _Loaded] = {}

    def __getitem__(self, key: str) -> dict[str, Any]:
        """Return the merged, resolved configuration for ``key`` (a fresh copy)."""
        return copy.deepcopy(self._load(key).merged)

    def __iter__(self) -> Iterator[str]:
        return iter(self.patterns)

    def __len__(self) -> int:
        return len(self.patterns)

    def __repr__(self) -> str:
        chain = " -> ".join(self.environments)
        return f"ConfigLoader({str(self.conf_source)!r}, environments: {chain})"

    def explain(self, key: str, *, config: str = "parameters") -> Explanation:
        """Return the final value of dotted ``key`` and every file and line that set it.

        Args:
            key: A dotted key path, e.g. ``"model.test_size"`` or ``"companies.filepath"``.
            config: The configuration key to look in (``"parameters"``, ``"catalog"``, ...).

        Raises:
            ConfigError: If ``key`` is not set, with the closest key that is.

        Example:
            >>> print(loader.explain("companies.filepath", config="catalog"))  # doctest: +SKIP
            catalog: companies.filepath = 'data/01_raw/companies.csv'
              base  conf/base/catalog.yml:3  'data/01_raw/companies.csv'
        """
        loaded = self._load(config)
        parts = tuple(key.split("."))
        value = get_dotted(loaded.merged, parts)
        if value is MISSING:
            hint = did_you_mean(key, dotted_keys(loaded.merged))
            raise ConfigError(
                f"Key {key!r} is not set in {config} (environments: "
                f"{', '.join(self.environments)}).{hint}",
                key=key,
            )
        sources = tuple(_provenance(layer, parts) for layer in loaded.layers if _sets(layer, parts))
        if config in SECRET_CONFIGS:
            return Explanation(key, config, mask(value), masked_sources(sources))
        return Explanation(key, config, copy.deepcopy(value), sources)

    def unused_runtime_params(self) -> list[str]:
        """Runtime parameters that look like typos, each with a "did you mean" hint.

        A runtime parameter is unused when its dotted key overrides no parameter of the
        environments and no configuration file interpolates it with ``${runtime_params:...}``:
        it then adds a parameter that nothing was written to read. Secret configuration is
        not read for this; the files' text is scanned for interpolations.

        Returns:
            One message per unused key, naming it and the closest parameter.
        """
        if not self.runtime_params:
            return []
        declared: dict[str, Any] = {}
        for layer in self._load("parameters").layers:
            if layer.file is not None:
                declared = deep_merge(declared, layer.data)
        referenced = self._interpolated_runtime_params()
        messages = []
        for key in _leaf_keys(self.runtime_params):
            if get_dotted(declared, tuple(key.split("."))) is not MISSING:
                continue
            if any(_related(key, ref) for ref in referenced):
                continue
            hint = did_you_mean(key, dotted_keys(declared))
            messages.append(
                f"--params {key!r} overrides no parameter and no configuration reads it with "
                f"${{runtime_params:{key}}}.{hint} It adds a new parameter; check its spelling."
            )
        return messages

    def _interpolated_runtime_params(self) -> set[str]:
        found: set[str] = set()
        for env in self.environments:
            for name in self._listing(env):
                if not name.endswith((".yml", ".yaml")):
                    continue
                text = (self.conf_source / env / name).read_text(encoding="utf-8", errors="replace")
                found.update(m.group(1) for m in _RUNTIME_PARAM_USE.finditer(text))
        return found

    # -- loading ---------------------------------------------------------------------------

    def _load(self, key: str) -> _Loaded:
        patterns = self._patterns_of(key)
        cache_key = (key, tuple(patterns))
        if cache_key not in self._loaded:
            self._loaded[cache_key] = self._merge(key, patterns)
        return self._loaded[cache_key]

    def _patterns_of(self, key: str) -> list[str]:
        if key not in self.patterns:
            hint = did_you_mean(key, self.patterns)
            raise KeyError(
                f"No file patterns for configuration key {key!r}: known keys are "
                f"{quoted(self.patterns)}.{hint} Add patterns with "
                f"loader.patterns[{key!r}] = [...]."
            )
        return self.patterns[key]

    def _merge(self, key: str, patterns: Sequence[str]) -> _Loaded:
        globals_ = None if key == "globals" else self._load("globals").merged
        layers: list[_Layer] = []
        for env in self.environments:
            files = [self._read(env, name) for name in select_files(self._listing(env), patterns)]
            _check_duplicates(env, files)
            layers.extend(_Layer(env, file, self._resolve(file, key, globals_)) for file in files)
        if key == "parameters" and self.runtime_params:
            layers.append(_Layer(RUNTIME_PARAMS, None, self.runtime_params))
        merged: dict[str, Any] = {}
        for layer in layers:
            merged = deep_merge(merged, layer.data)
        return _Loaded(tuple(layers), merged)

    def _resolve(self, file: YamlFile, key: str, globals_: dict[str, Any] | None) -> dict[str, Any]:
        return resolve_file(
            file,
            globals_=globals_,
            runtime_params=self.runtime_params,
            allow_env=key in SECRET_CONFIGS,
        )

    def _listing(self, env: str) -> tuple[str, ...]:
        if env not in self._listings:
            folder = self.conf_source / env
            self._listings[env] = list_files(folder) if folder.is_dir() else ()
        return self._listings[env]

    def _read(self, env: str, name: str) -> YamlFile:
        path = self.conf_source / env / name
        if path not in self._files:
            self._files[path] = read_yaml(path)
        return self._files[path]


_RUNTIME_PARAM_USE: Final = re.compile(r"\$\{\s*runtime_params\s*:\s*([^,}\s]+)")


def _leaf_keys(data: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    for key, value in data.items():
        if isinstance(value, Mapping) and value:
            yield from _leaf_keys(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def _related(key: str, reference: str) -> bool:
    """Whether ``key`` is ``reference``, inside it, or holds it."""
    return key == reference or key.startswith(f"{reference}.") or reference.startswith(f"{key}.")


def _check_duplicates(env: str, files: Sequence[YamlFile]) -> None:
    first: dict[str, YamlFile] = {}
    for file in files:
        for key in file.data:
            name = str(key)
            if name.startswith("_"):
                continue
            if name in first:
                raise _duplicate(env, name, first[name], file)
            first[name] = file


def _duplicate(env: str, key: str, first: YamlFile, second: YamlFile) -> ConfigError:
    line_1, line_2 = first.lines.get((key,)), second.lines.get((key,))
    return ConfigError(
        f"Key {key!r} is defined twice in environment '{env}': at {first.path}:{line_1} and "
        f"at {second.path}:{line_2}. Keep one definition; to override a value, define it "
        f"in a later environment instead.",
        path=str(second.path),
        key=key,
        line=line_2,
    )


def _sets(layer: _Layer, parts: tuple[str, ...]) -> bool:
    return get_dotted(layer.data, parts) is not MISSING


def _provenance(layer: _Layer, parts: tuple[str, ...]) -> Provenance:
    value = copy.deepcopy(get_dotted(layer.data, parts))
    if layer.file is None:
        return Provenance(layer.env, None, None, value)
    return Provenance(layer.env, str(layer.file.path), layer.file.lines.get(parts), value)
