"""Scaffolding: new projects from a starter, and new pipeline folders inside a project.

Templates are plain files shipped with datamill under ``datamill/project/templates``:

- ``project/`` is the skeleton every project gets;
- ``starter_<name>/`` adds (or replaces, path for path) the files of one starter;
- ``pipeline/`` is the folder ``datamill pipeline create`` writes.

Every template file ends with ``.tpl`` (so linters and importers leave it alone), and its
text has ``{{ key }}`` placeholders replaced from a fixed set of keys by :func:`render` —
``str.replace``, no template engine. In paths, a folder named ``__package__`` becomes the
package name, and ``gitignore.tpl`` becomes ``.gitignore``. Empty folders that git must keep
(``data/<layer>``, ``conf/local``, ``notebooks``) are made here, each with a ``.gitkeep``.

Nothing is written until every file has been rendered, nothing existing is overwritten, and
a project folder that fails half-way is removed again.
"""

from __future__ import annotations

import keyword
import re
import shutil
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath
from typing import Final

from datamill.errors import ProjectError
from datamill.project._discovery import ProjectMetadata

__all__ = [
    "DATA_LAYERS",
    "STARTERS",
    "check_package_name",
    "check_pipeline_name",
    "create_pipeline_folder",
    "create_project",
    "folder_name_for",
    "package_name_for",
    "render",
]

STARTERS: Final = ("empty", "demo")
"""The starters ``datamill new --starter`` knows, the default first."""

DATA_LAYERS: Final = (
    "01_raw",
    "02_intermediate",
    "03_primary",
    "04_feature",
    "05_model_input",
    "06_models",
    "07_model_output",
    "08_reporting",
)
"""The data layers of a new project, one folder each under ``data/``."""

_KEEP_FOLDERS: Final = (*(f"data/{layer}" for layer in DATA_LAYERS), "conf/local", "notebooks")
_PACKAGE_FOLDER: Final = "__package__"
_RENAMED: Final = {"gitignore": ".gitignore"}
_SUFFIX: Final = ".tpl"
_PLACEHOLDER: Final = re.compile(r"\{\{ *(\w+) *\}\}")
_PROJECT_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]*")
_DEPENDENCIES: Final = {
    "empty": ("datamill>={version}",),
    "demo": ("datamill[pandas,plots]>={version}", "scikit-learn>=1.4"),
}


@dataclass(frozen=True, slots=True)
class _File:
    """One rendered file: where it goes, relative to the target folder, and its text."""

    path: PurePosixPath
    text: str


def render(text: str, values: Mapping[str, str]) -> str:
    """Replace every ``{{ key }}`` in ``text`` with ``values[key]``.

    Raises:
        KeyError: ``text`` has a placeholder that ``values`` does not give (a template bug).

    Example:
        >>> render("name = '{{ package_name }}'", {"package_name": "shop"})
        "name = 'shop'"
    """

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"template placeholder {{{{ {key} }}}} has no value")
        return values[key]

    return _PLACEHOLDER.sub(substitute, text)


def package_name_for(project_name: str) -> str:
    """The package name derived from a project name: lower case, ``_`` for anything else.

    Example:
        >>> package_name_for("Space Shuttles-2")
        'space_shuttles_2'
    """
    return re.sub(r"\W+", "_", project_name.strip().lower(), flags=re.ASCII).strip("_")


def folder_name_for(project_name: str) -> str:
    """The folder (and distribution) name derived from a project name.

    Example:
        >>> folder_name_for("Space Shuttles")
        'space-shuttles'
    """
    return re.sub(r"\s+", "-", project_name.strip().lower())


def check_package_name(name: str) -> str:
    """Return ``name`` if it can name a new project's package.

    Raises:
        ProjectError: It is not a Python identifier, is a keyword, or shadows a module of the
            standard library or datamill itself.
    """
    if not name.isidentifier() or not name.isascii() or keyword.iskeyword(name):
        raise ProjectError(
            f"{name!r} is not a valid package name: use lower-case letters, digits and "
            "underscores, not starting with a digit (e.g. 'my_project')."
        )
    if name in sys.stdlib_module_names or name == "datamill":
        raise ProjectError(
            f"Package name {name!r} would hide the module of the same name "
            f"({'datamill' if name == 'datamill' else 'standard library'}); choose another, "
            f"such as '{name}_project'."
        )
    return name


def check_pipeline_name(name: str) -> str:
    """Return ``name`` if it can name a new pipeline (and its folder and module).

    Raises:
        ProjectError: It is not a Python identifier, is a keyword, or starts with ``_``.
    """
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        suggestion = package_name_for(name)
        hint = f" Try {suggestion!r}." if suggestion.isidentifier() else ""
        raise ProjectError(
            f"{name!r} is not a valid pipeline name: it names a Python module, so use "
            f"letters, digits and underscores, not starting with a digit or '_'.{hint}"
        )
    return name


def create_project(
    name: str,
    *,
    starter: str = "empty",
    package_name: str | None = None,
    directory: Path | str = ".",
) -> Path:
    """Create a new project from a starter and return its folder.

    The project goes into ``directory / folder_name_for(name)``, which must not exist or be
    empty.

    Args:
        name: The project's display name (letters, digits, spaces, ``.``, ``_``, ``-``).
        starter: One of :data:`STARTERS`.
        package_name: The Python package; derived from ``name`` by default.
        directory: The folder that will hold the project folder.

    Raises:
        ProjectError: The name, package name or starter is invalid, or the target folder
            exists and is not empty.

    Example:
        >>> create_project("Space Shuttles", starter="demo", directory="/tmp")  # doctest: +SKIP
        PosixPath('/tmp/space-shuttles')
    """
    values = _project_values(name, starter, package_name)
    target = Path(directory).resolve() / values["folder_name"]
    _check_target(target)
    rendered = [*_render_tree("project", values), *_render_tree(f"starter_{starter}", values)]
    by_path = {item.path: item for item in rendered}  # a starter's file replaces the skeleton's
    created = not target.exists()
    try:
        _write(target, by_path.values())
        for folder in _KEEP_FOLDERS:
            _write_new(target / folder / ".gitkeep", "")
    except BaseException:
        if created:
            shutil.rmtree(target, ignore_errors=True)
        raise
    return target


def create_pipeline_folder(metadata: ProjectMetadata, name: str) -> list[Path]:
    """Add a pipeline called ``name`` to a project and return the files written.

    Writes ``<package>/pipelines/<name>/`` (``__init__.py`` exporting ``create_pipeline``,
    ``nodes.py``, ``pipeline.py``), ``<conf>/base/parameters_<name>.yml`` and
    ``tests/pipelines/<name>/test_pipeline.py``; also ``pipelines/__init__.py`` if missing.

    Raises:
        ProjectError: The name is invalid, or one of those files or folders already exists
            (nothing is written then).
    """
    check_pipeline_name(name)
    values = {"pipeline_name": name, "package_name": metadata.package_name}
    pipelines = metadata.package_dir / "pipelines"
    targets = {
        "__init__.py.tpl": pipelines / name / "__init__.py",
        "nodes.py.tpl": pipelines / name / "nodes.py",
        "pipeline.py.tpl": pipelines / name / "pipeline.py",
        "parameters.yml.tpl": metadata.conf_source / "base" / f"parameters_{name}.yml",
        "test_pipeline.py.tpl": metadata.root / "tests" / "pipelines" / name / "test_pipeline.py",
    }
    for existing in (pipelines / name, *targets.values()):
        if existing.exists():
            raise ProjectError(
                f"Pipeline {name!r} already exists: {existing} is there. Choose another name "
                "or remove it first.",
                path=str(existing),
            )
    source = _templates() / "pipeline"
    texts = {
        path: render(source.joinpath(t).read_text("utf-8"), values) for t, path in targets.items()
    }
    written = []
    if not (pipelines / "__init__.py").exists():
        written.append(_write_new(pipelines / "__init__.py", ""))
    written.extend(_write_new(path, text) for path, text in texts.items())
    return written


def _project_values(name: str, starter: str, package_name: str | None) -> dict[str, str]:
    if not _PROJECT_NAME.fullmatch(name.strip()):
        raise ProjectError(
            f"Project name {name!r} is not valid: use letters, digits, spaces, '.', '_' and "
            "'-', starting with a letter or digit."
        )
    if starter not in STARTERS:
        from datamill._text import did_you_mean, quoted

        raise ProjectError(
            f"Unknown starter {starter!r}.{did_you_mean(starter, STARTERS)} "
            f"Available starters: {quoted(STARTERS)}."
        )
    package = check_package_name(package_name or package_name_for(name))
    from datamill import __version__

    dependencies = (d.format(version=__version__) for d in _DEPENDENCIES[starter])
    return {
        "project_name": name.strip(),
        "folder_name": folder_name_for(name),
        "package_name": package,
        "starter": starter,
        "dependencies": "".join(f'    "{d}",\n' for d in dependencies).rstrip("\n"),
    }


def _check_target(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ProjectError(
            f"Cannot create the project in {target}: it already exists and is not an empty "
            "folder. Choose another name or --directory, or remove it.",
            path=str(target),
        )


def _templates() -> Traversable:
    return files("datamill.project").joinpath("templates")


def _render_tree(folder: str, values: Mapping[str, str]) -> Iterator[_File]:
    for relative, template in _walk(_templates().joinpath(folder), PurePosixPath()):
        parts = [values["package_name"] if p == _PACKAGE_FOLDER else p for p in relative.parts]
        parts[-1] = _RENAMED.get(parts[-1], parts[-1])
        yield _File(PurePosixPath(*parts), render(template.read_text("utf-8"), values))


def _walk(
    folder: Traversable, prefix: PurePosixPath
) -> Iterator[tuple[PurePosixPath, Traversable]]:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            yield from _walk(entry, prefix / entry.name)
        elif entry.name.endswith(_SUFFIX):
            yield prefix / entry.name.removesuffix(_SUFFIX), entry


def _write(target: Path, items: Iterable[_File]) -> None:
    for item in items:
        _write_new(target.joinpath(*item.path.parts), item.text)


def _write_new(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8", newline="\n") as stream:  # never overwrite
        stream.write(text)
    return path
