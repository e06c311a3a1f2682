"""Project settings: the optional ``<package>/settings.py``, read into a typed `Settings`.

Each module-level UPPER_CASE name of ``settings.py`` sets the field of the same name in
lower case (``EXECUTOR = "thread"`` sets ``Settings.executor``). Names starting with ``_``
are the module's own. Every unknown name and wrong type is reported at once.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType, ModuleType
from typing import Any, Final

from datamill._text import did_you_mean
from datamill.errors import ProjectError
from datamill.pipeline import Retry
from datamill.project._discovery import ProjectMetadata, ensure_importable

__all__ = ["Settings", "load_settings"]

_UPPER = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Settings:
    """A project's settings, with their defaults.

    Attributes:
        hooks: Hook objects (instances) registered for every session of the project.
        disable_hooks_for_plugins: Installed hook plugins not to register, by entry-point
            name or distribution name.
        executor: The default executor (``"sequential"``, ``"thread"``, ``"process"``).
        workers: The default parallelism of the thread and process executors.
        conf_source: The configuration folder, relative to the project root; overrides
            ``conf_source`` in ``pyproject.toml``.
        base_env: The environment always loaded first.
        default_env: The environment used when none is given.
        journal_path: The run journal, relative to the project root.
        journal_stale_after: Seconds after which a run recorded as running on another
            machine (or container), which wrote nothing to the journal meanwhile, counts as
            ``crashed``; ``None`` never decides so. A run writes at least every 30 seconds
            while it goes on. Runs of this machine are judged by their process instead.
        incremental: Skip the nodes whose code, parameters and inputs are unchanged since
            their last success (``datamill run --force`` runs everything anyway).
        early_cutoff: Also skip a node that would run only because inputs are recomputed
            in the run, when they come out with the fingerprints they had at its last
            success (``datamill run --early-cutoff``).
        config_patterns: Extra configuration keys (or replaced patterns) for the loader.
        retry: How to retry the nodes that have no ``retry`` of their own, or ``None`` for
            no retry. ``RETRY`` may be a number of retries (``3``), a dict of
            :class:`~datamill.pipeline.Retry` arguments (``{"times": 2, "delay": 1.0,
            "backoff": 2.0}``) or a ``Retry``.
    """

    hooks: tuple[object, ...] = ()
    disable_hooks_for_plugins: tuple[str, ...] = ()
    executor: str = "sequential"
    workers: int | None = None
    conf_source: str | None = None
    base_env: str = "base"
    default_env: str = "local"
    journal_path: str = ".datamill/journal.db"
    journal_stale_after: float | None = 600.0
    incremental: bool = True
    early_cutoff: bool = False
    config_patterns: Mapping[str, Sequence[str]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    retry: Retry | None = None

    @property
    def journal_staleness(self) -> timedelta | None:
        """``journal_stale_after`` as the journal takes it."""
        seconds = self.journal_stale_after
        return None if seconds is None else timedelta(seconds=seconds)


def load_settings(metadata: ProjectMetadata) -> Settings:
    """Read ``<package>/settings.py`` if the project has one, else return the defaults.

    Raises:
        ProjectError: ``settings.py`` sets an unknown name (with the closest setting) or
            gives a setting a value of the wrong type; every problem is listed.
    """
    path = metadata.package_dir / "settings.py"
    if not path.is_file():
        return Settings()
    ensure_importable(metadata)
    module = importlib.import_module(f"{metadata.package_name}.settings")
    values, problems = _read(module)
    if problems:
        raise _settings_error(str(path), problems)
    return Settings(**values)


_Check = Callable[[Any], tuple[Any, str | None]]


def _read(module: ModuleType) -> tuple[dict[str, Any], list[str]]:
    values: dict[str, Any] = {}
    problems: list[str] = []
    known = [f.name.upper() for f in dataclasses.fields(Settings)]
    for name, value in vars(module).items():
        if not _UPPER.match(name):
            continue
        if name not in _CHECKS:
            problems.append(
                f"{name} is not a datamill setting.{did_you_mean(name, known)} Known settings: "
                f"{', '.join(known)}. Prefix the module's own names with '_'."
            )
            continue
        converted, problem = _CHECKS[name](value)
        if problem is None:
            values[name.lower()] = converted
        else:
            problems.append(f"{name} {problem}, got {value!r}.")
    return values, problems


def _settings_error(path: str, problems: list[str]) -> ProjectError:
    if len(problems) == 1:
        return ProjectError(f"{path}: {problems[0]}", path=path)
    listed = "\n".join(f"  - {p}" for p in problems)
    return ProjectError(f"{len(problems)} problems in {path}:\n{listed}", path=path)


def _string(value: Any) -> tuple[Any, str | None]:
    ok = isinstance(value, str) and bool(value)
    return value, None if ok else "must be a non-empty string"


def _optional_path(value: Any) -> tuple[Any, str | None]:
    if value is None:
        return None, None
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    return _string(value)


def _workers(value: Any) -> tuple[Any, str | None]:
    ok = value is None or (isinstance(value, int) and not isinstance(value, bool) and value > 0)
    return value, None if ok else "must be a positive integer or None"


def _staleness(value: Any) -> tuple[Any, str | None]:
    if value is None:
        return None, None
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and value >= _SHORTEST_STALENESS:
        return float(value), None
    return value, (
        f"must be None or a number of seconds of at least {_SHORTEST_STALENESS:.0f} (a run "
        "writes to the journal every 30 seconds while it goes on; a shorter staleness would "
        "take live runs of other machines for crashed)"
    )


_SHORTEST_STALENESS: Final = 120.0


def _strings(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value), None
    return value, "must be a list of strings"


def _hooks(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, list | tuple):
        return value, "must be a list of hook objects"
    classes = [v.__name__ for v in value if isinstance(v, type)]
    if classes:
        return value, f"must hold hook instances, not classes: write {classes[0]}()"
    return tuple(value), None


def _bool(value: Any) -> tuple[Any, str | None]:
    return value, None if isinstance(value, bool) else "must be True or False"


def _patterns(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, Mapping) and all(
        isinstance(k, str) and _strings(v)[1] is None for k, v in value.items()
    ):
        return MappingProxyType({k: tuple(v) for k, v in value.items()}), None
    return value, "must map configuration keys to lists of file patterns"


_RETRY_KEYS = ("times", "delay", "backoff", "on")


def _retry(value: Any) -> tuple[Any, str | None]:
    if value is None or isinstance(value, Retry):
        return value, None
    if isinstance(value, int) and not isinstance(value, bool):
        return (Retry(value), None) if value >= 0 else (value, "must be 0 or more retries")
    if isinstance(value, Mapping):
        return _retry_arguments(value)
    return value, "must be a number of retries, a dict of Retry arguments or a Retry(...)"


def _retry_arguments(value: Mapping[Any, Any]) -> tuple[Any, str | None]:
    unknown = [k for k in value if k not in _RETRY_KEYS]
    if unknown:
        hint = did_you_mean(str(unknown[0]), _RETRY_KEYS).replace(" Did", "; did")
        return value, f"has an unknown key {unknown[0]!r} (keys: {', '.join(_RETRY_KEYS)}{hint})"
    if "times" not in value:
        return value, "needs a 'times' key (how many times to retry a failed node)"
    try:
        return Retry(**value), None
    except (TypeError, ValueError) as exc:
        reason = str(exc).removeprefix("Invalid retry policy: ").rstrip(".")
        return value, f"must hold valid Retry arguments ({reason})"


_CHECKS: Final[Mapping[str, _Check]] = {
    "HOOKS": _hooks,
    "DISABLE_HOOKS_FOR_PLUGINS": _strings,
    "EXECUTOR": _string,
    "WORKERS": _workers,
    "CONF_SOURCE": _optional_path,
    "BASE_ENV": _string,
    "DEFAULT_ENV": _string,
    "JOURNAL_PATH": _string,
    "JOURNAL_STALE_AFTER": _staleness,
    "INCREMENTAL": _bool,
    "EARLY_CUTOFF": _bool,
    "CONFIG_PATTERNS": _patterns,
    "RETRY": _retry,
}
