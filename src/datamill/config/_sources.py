"""Finding configuration: environment folders, their inheritance and the files patterns select.

The configuration source (``conf/``) holds one folder per environment. ``base`` is always
loaded first. Any other environment may name a parent in ``conf/<env>/environment.yml``
(``inherits: staging``); the chain is followed up to an environment without a parent, so
``prod`` inheriting ``staging`` loads ``base``, ``staging`` then ``prod``.

Each environment folder is listed once (hidden files and folders skipped); patterns such as
``catalog/**/*.yml`` are compiled to regular expressions and matched against that listing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final

from datamill._text import did_you_mean, quoted
from datamill.config._yaml import read_yaml
from datamill.errors import ConfigError

ENVIRONMENT_FILE: Final = "environment.yml"
"""The file in an environment folder that declares its parent (``inherits: <env>``)."""

DEFAULT_ENV_WITHOUT_FOLDER: Final = "local"
"""The one environment that may be absent: ``conf/local`` is often left out of git."""


def _patterns_for(name: str) -> tuple[str, ...]:
    return (f"{name}*.yml", f"{name}*.yaml", f"{name}/**/*.yml", f"{name}/**/*.yaml")


DEFAULT_PATTERNS: Final[Mapping[str, tuple[str, ...]]] = {
    name: _patterns_for(name) for name in ("catalog", "parameters", "credentials", "globals")
}
"""The file patterns of each configuration key, relative to an environment folder."""


def check_conf_source(conf_root: Path, base_env: str) -> None:
    """Raise `ConfigError` unless ``conf_root/base_env`` is a folder."""
    base = conf_root / base_env
    if not base.is_dir():
        raise ConfigError(
            f"No configuration folder {base}: datamill expects the '{base_env}' environment "
            f"there. Create a project with `datamill new`, or point to the project's "
            f"configuration with `--conf-source`.",
            path=str(base),
        )


def list_environments(conf_root: Path) -> list[str]:
    """Return the names of the environment folders in ``conf_root``, sorted."""
    return sorted(
        entry.name for entry in conf_root.iterdir() if entry.is_dir() and _visible(entry.name)
    )


def environment_chain(conf_root: Path, env: str | None, base_env: str = "base") -> tuple[str, ...]:
    """Return the environments to load, in merge order: ``base`` first, ``env`` last.

    Raises:
        ConfigError: If an environment is unknown, or the inheritance forms a cycle.
    """
    check_conf_source(conf_root, base_env)
    if env is None or env == base_env:
        return (base_env,)
    _refuse_base_parent(conf_root, base_env)
    if env == DEFAULT_ENV_WITHOUT_FOLDER and not (conf_root / env).is_dir():
        return (base_env,)
    chain: list[str] = []
    current: str | None = env
    while current is not None and current != base_env:
        _check_known(conf_root, current, base_env, referrer=chain[-1] if chain else None)
        if current in chain:
            cycle = " -> ".join([*chain[chain.index(current) :], current])
            raise ConfigError(
                f"Environment inheritance forms a cycle: {cycle}. Remove one 'inherits' from "
                f"the {ENVIRONMENT_FILE} files involved.",
                path=str(conf_root / current / ENVIRONMENT_FILE),
            )
        chain.append(current)
        current = read_parent(conf_root / current)
    return (base_env, *reversed(chain))


def read_parent(env_dir: Path) -> str | None:
    """Return the parent declared in ``env_dir/environment.yml``, or None."""
    path = env_dir / ENVIRONMENT_FILE
    if not path.is_file():
        return None
    data = read_yaml(path).data
    unknown = set(data) - {"inherits"}
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) {quoted(sorted(map(str, unknown)))}; this file may only "
            f"hold 'inherits: <environment>'.",
            path=str(path),
        )
    parent = data.get("inherits")
    if parent is not None and not isinstance(parent, str):
        raise ConfigError(
            f"{path}: 'inherits' must be the name of one environment, got {parent!r}.",
            path=str(path),
            key="inherits",
            line=read_yaml(path).lines.get(("inherits",)),
        )
    return parent


def _refuse_base_parent(conf_root: Path, base_env: str) -> None:
    if (conf_root / base_env / ENVIRONMENT_FILE).is_file():
        raise ConfigError(
            f"{conf_root / base_env / ENVIRONMENT_FILE}: the '{base_env}' environment is "
            f"always loaded first and cannot inherit from another. Remove this file.",
            path=str(conf_root / base_env / ENVIRONMENT_FILE),
        )


def _check_known(conf_root: Path, env: str, base_env: str, referrer: str | None) -> None:
    if (conf_root / env).is_dir():
        return
    available = [name for name in list_environments(conf_root) if name != base_env]
    origin = (
        f" (inherited by '{referrer}' in {conf_root / referrer / ENVIRONMENT_FILE})"
        if referrer
        else ""
    )
    listing = quoted(available) if available else "none besides 'base'"
    raise ConfigError(
        f"Unknown environment '{env}'{origin}: there is no folder {conf_root / env}. "
        f"Available environments: {listing}.{did_you_mean(env, available)}",
        path=str(conf_root / env),
    )


def list_files(env_dir: Path) -> tuple[str, ...]:
    """Return every visible file under ``env_dir`` as a sorted relative POSIX path."""
    found: list[str] = []
    for folder, dirs, files in os.walk(env_dir):
        dirs[:] = [name for name in dirs if _visible(name)]
        relative = Path(folder).relative_to(env_dir)
        found.extend((relative / name).as_posix() for name in files if _visible(name))
    return tuple(sorted(found))


def select_files(files: Iterable[str], patterns: Sequence[str]) -> list[str]:
    """Return the files (relative paths) matching any of ``patterns``, in sorted order."""
    regexes = [compile_pattern(pattern) for pattern in patterns]
    return [
        name
        for name in files
        if name != ENVIRONMENT_FILE and any(regex.fullmatch(name) for regex in regexes)
    ]


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a glob (``*``, ``?``, ``**/``) over relative POSIX paths to a regex.

    Example:
        >>> bool(compile_pattern("catalog/**/*.yml").fullmatch("catalog/a/b.yml"))
        True
    """
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def _visible(name: str) -> bool:
    return not name.startswith(".")
