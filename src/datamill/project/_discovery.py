"""Finding a project: the nearest ``pyproject.toml`` with a ``[tool.datamill]`` table.

The table names the project's Python package and, optionally, where its sources and its
configuration live (both relative to the folder holding ``pyproject.toml``)::

    [tool.datamill]
    package_name = "myproj"
    source_dir = "src"      # default
    conf_source = "conf"    # default
"""

from __future__ import annotations

import keyword
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from datamill._text import did_you_mean, quoted
from datamill.errors import ProjectError

__all__ = ["PYPROJECT", "ProjectMetadata", "ensure_importable", "find_project"]

PYPROJECT: Final = "pyproject.toml"
_KEYS: Final = ("package_name", "source_dir", "conf_source", "project_name")


@dataclass(frozen=True, slots=True)
class ProjectMetadata:
    """Where a project lives and what it is called, as declared in its ``pyproject.toml``.

    Attributes:
        root: The folder holding ``pyproject.toml``.
        package_name: The importable name of the project's Python package.
        source_dir: The absolute folder that holds the package (put on ``sys.path``).
        conf_source: The absolute configuration folder (``conf/`` by default).
        project_name: A display name: ``project_name`` in ``[tool.datamill]``, else
            ``[project] name``, else the root folder's name.
    """

    root: Path
    package_name: str
    source_dir: Path
    conf_source: Path
    project_name: str

    @property
    def package_dir(self) -> Path:
        """The folder of the project's package (``<source_dir>/<package_name>``)."""
        return self.source_dir / self.package_name


def find_project(start: Path | str = ".") -> ProjectMetadata:
    """Return the metadata of the project that contains ``start``.

    Walks up from ``start`` to the nearest ``pyproject.toml`` that has a ``[tool.datamill]``
    table (a ``pyproject.toml`` without one, say of a sub-package, is passed over).

    Args:
        start: A folder (or file) inside the project.

    Raises:
        ProjectError: No such ``pyproject.toml``, or its table is invalid (the message names
            the file and key and says how to fix it).

    Example:
        >>> find_project("src/myproj/pipelines").package_name  # doctest: +SKIP
        'myproj'
    """
    begin = Path(start).resolve()
    folder = begin if begin.is_dir() else begin.parent
    for candidate in (folder, *folder.parents):
        pyproject = candidate / PYPROJECT
        if pyproject.is_file():
            content = _read_toml(pyproject)
            table = content.get("tool", {}).get("datamill")
            if table is not None:
                return _metadata(pyproject, table, content.get("project", {}).get("name"))
    raise ProjectError(
        f"No datamill project found in {folder} or its parents: no {PYPROJECT} with a "
        "[tool.datamill] table. Create one with 'datamill new NAME' or cd into a project.",
        path=str(folder),
    )


def ensure_importable(metadata: ProjectMetadata) -> None:
    """Put the project's source folder on ``sys.path`` (once) so its package imports.

    Raises:
        ProjectError: A package of the same name is already imported from elsewhere.
    """
    source = str(metadata.source_dir)
    if source not in sys.path:
        sys.path.insert(0, source)
    loaded = sys.modules.get(metadata.package_name)
    if loaded is None:
        return
    locations = [Path(p).resolve() for p in getattr(loaded, "__path__", ())]
    if metadata.package_dir.resolve() not in locations:
        raise ProjectError(
            f"Package {metadata.package_name!r} is already imported from "
            f"{', '.join(map(str, locations)) or 'elsewhere'}, not from {metadata.package_dir}. "
            "Rename the project's package or run from a fresh Python process.",
            path=str(metadata.package_dir),
        )


def _read_toml(pyproject: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProjectError(
            f"{pyproject}: cannot read it as TOML ({exc}). Fix the file's syntax.",
            path=str(pyproject),
        ) from exc


def _metadata(pyproject: Path, table: object, declared_name: object) -> ProjectMetadata:
    if not isinstance(table, dict):
        raise ProjectError(
            f"{pyproject}: tool.datamill must be a table ([tool.datamill]).", path=str(pyproject)
        )
    _check_keys(pyproject, table)
    root = pyproject.parent
    package = _package_name(pyproject, table)
    source_dir = root / _relative(pyproject, table, "source_dir", "src")
    conf_source = root / _relative(pyproject, table, "conf_source", "conf")
    _check_folders(pyproject, source_dir, package)
    name = table.get("project_name") or declared_name or root.name
    if not isinstance(name, str):
        raise _key_error(pyproject, "project_name", "must be a string")
    return ProjectMetadata(root, package, source_dir, conf_source, name)


def _check_keys(pyproject: Path, table: Mapping[str, Any]) -> None:
    for key in table:
        if key not in _KEYS:
            raise _key_error(
                pyproject,
                key,
                f"is not a datamill setting.{did_you_mean(key, _KEYS)} Known keys: {quoted(_KEYS)}",
            )


def _package_name(pyproject: Path, table: Mapping[str, Any]) -> str:
    package = table.get("package_name")
    if package is None:
        raise _key_error(
            pyproject, "package_name", 'is missing; add package_name = "<your_package>"'
        )
    if not isinstance(package, str) or not package.isidentifier() or keyword.iskeyword(package):
        raise _key_error(
            pyproject,
            "package_name",
            f"is {package!r}, which is not an importable Python name; use letters, digits "
            "and underscores, not starting with a digit (e.g. 'my_project')",
        )
    return package


def _relative(pyproject: Path, table: Mapping[str, Any], key: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value:
        raise _key_error(pyproject, key, f"must be a folder path as a string, got {value!r}")
    return value


def _check_folders(pyproject: Path, source_dir: Path, package: str) -> None:
    if not source_dir.is_dir():
        raise ProjectError(
            f"{pyproject}: [tool.datamill] source_dir: folder {source_dir} does not exist. "
            "Create it or set source_dir to the folder that holds your package.",
            path=str(source_dir),
        )
    if not (source_dir / package).is_dir():
        raise ProjectError(
            f"{pyproject}: [tool.datamill] package_name: no package folder "
            f"{source_dir / package}. Create it (with an __init__.py) or fix package_name "
            "or source_dir.",
            path=str(source_dir / package),
        )


def _key_error(pyproject: Path, key: str, problem: str) -> ProjectError:
    return ProjectError(f"{pyproject}: [tool.datamill] {key} {problem}.", path=str(pyproject))
