"""Where a module comes from: the project's own code, Python itself, or an installed library.

Code fingerprints walk into the project's own code only. Python's standard library and
built-ins count through the interpreter version, and an installed library counts through the
version of the distribution that provides it, so neither is ever walked.
"""

from __future__ import annotations

import enum
import os
import re
import sys
import sysconfig
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeAlias

__all__ = ["Origin", "Origins", "OwnCode", "installed_packages"]

OwnCode: TypeAlias = Callable[[str], bool] | Sequence[Path] | None
"""Which modules are the project's own code: a predicate on module names, source folders, or
``None`` for the default rule (see :class:`Origins`)."""

_PYTHON_NAMES = frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names)
_INSTALLED_DIRS = frozenset({"site-packages", "dist-packages"})


class Origin(enum.Enum):
    """The three kinds of module a fingerprint tells apart."""

    OWN = "own"
    PYTHON = "python"
    LIBRARY = "library"


class Origins:
    """Classifies modules and finds the installed version of libraries (cached per name).

    By default a module is the project's own code when its file is neither in the standard
    library folder nor inside a ``site-packages`` or ``dist-packages`` folder, and it is not
    part of datamill; ``__main__`` without a file (a notebook, a REPL) counts as own code too.

    Args:
        own_code: A predicate on module names, the project's source folders, or ``None`` for
            the default rule.

    Raises:
        TypeError: ``own_code`` is a single path; pass a list of folders.
    """

    def __init__(self, own_code: OwnCode = None) -> None:
        self._predicate: Callable[[str], bool] | None = None
        self._folders: tuple[str, ...] | None = None
        if callable(own_code):
            self._predicate = own_code
        elif own_code is not None:
            self._folders = _folders(own_code)
        self._python_dirs = tuple(
            _directory(sysconfig.get_paths()[key]) for key in ("stdlib", "platstdlib")
        )
        self._origins: dict[str, Origin] = {}
        self._module_keys: dict[str, str] = {}
        self._libraries: dict[str, tuple[tuple[str, str], ...]] = {}
        self._installed: dict[str, list[str]] | None = None
        self._everything: Mapping[str, list[str]] | None = None

    def origin(self, module: str, file: str | None = None) -> Origin:
        """Where ``module`` comes from; ``file`` is used when the module is not loaded."""
        found = self._origins.get(module)
        if found is None:
            found = self._origins[module] = self._classify(module, file)
        return found

    def module_key(self, module: str) -> str:
        """The module's name, with ``.__init__`` appended for a package's own file."""
        key = self._module_keys.get(module)
        if key is None:
            file = getattr(sys.modules.get(module), "__file__", None) or ""
            package = os.path.basename(file).startswith("__init__.")
            key = self._module_keys[module] = f"{module}.__init__" if package else module
        return key

    def libraries(self, module: str) -> tuple[tuple[str, str], ...]:
        """``("lib:<distribution>", version)`` for each distribution providing ``module``."""
        found = self._libraries.get(module)
        if found is None:
            found = self._libraries[module] = self._find_libraries(module)
        return found

    def _classify(self, module: str, file: str | None) -> Origin:
        top = module.partition(".")[0]
        if self._predicate is not None:
            if self._predicate(module):
                return Origin.OWN
            return Origin.PYTHON if top in _PYTHON_NAMES else Origin.LIBRARY
        path = _module_file(module) or (file if file and os.path.isabs(file) else None)
        if path is None:  # built into the interpreter, or typed into a REPL or notebook
            if top in _PYTHON_NAMES:
                return Origin.PYTHON
            return Origin.OWN if module == "__main__" and self._folders is None else Origin.LIBRARY
        return self._classify_file(os.path.realpath(path), top)

    def _classify_file(self, path: str, top: str) -> Origin:
        if self._folders is not None and path.startswith(self._folders):
            return Origin.OWN
        if _INSTALLED_DIRS.intersection(Path(path).parts):
            return Origin.LIBRARY
        if path.startswith(self._python_dirs):
            return Origin.PYTHON
        if self._folders is not None or top == "datamill":
            return Origin.LIBRARY
        return Origin.OWN

    def _find_libraries(self, module: str) -> tuple[tuple[str, str], ...]:
        import importlib.metadata

        top = module.partition(".")[0]
        try:  # the common case: the distribution is named after the package
            dist = importlib.metadata.distribution(top)
        except (importlib.metadata.PackageNotFoundError, ValueError):
            pass
        else:
            return ((_library_key(dist.metadata["Name"] or top), dist.version),)
        names = self._distribution_names(module)
        if not names:
            version = getattr(sys.modules.get(top), "__version__", None)
            return ((_library_key(top), version if isinstance(version, str) else "unknown"),)
        found = []
        for name in names:
            try:
                found.append((_library_key(name), importlib.metadata.version(name)))
            except importlib.metadata.PackageNotFoundError:
                found.append((_library_key(name), "unknown"))
        return tuple(sorted(found))

    def _distribution_names(self, module: str) -> list[str]:
        top = module.partition(".")[0]
        if self._installed is None:
            self._installed = installed_packages()
        names = self._installed.get(top)
        if names is None:  # read every distribution's metadata, once
            if self._everything is None:
                import importlib.metadata

                self._everything = importlib.metadata.packages_distributions()
            names = self._installed[top] = list(self._everything.get(top, []))
        if len(names) > 1:  # a namespace shared by several (google.cloud.storage, ...)
            wanted = _normalise(module)
            best = [n for n in names if wanted.startswith(_normalise(n))]
            return best[-1:] if best else sorted(set(names))
        return names


def installed_packages() -> dict[str, list[str]]:
    """The installed distributions providing each top-level module or package.

    ``importlib.metadata.packages_distributions()`` gives the same map, but parses every
    distribution's metadata on the way (about 0.25 s in an environment of 160
    distributions, paid by each run whose code uses, say, ``sklearn`` or ``yaml``). This
    reads only what tells which packages a distribution installs, in the folders of
    ``sys.path``: its ``top_level.txt``, else the paths in its ``RECORD``; a distribution is
    named after its metadata folder. Distributions it cannot read this way (zipped, or found
    by a custom finder) are missing: callers fall back to ``packages_distributions()``.
    """
    found: dict[str, list[str]] = {}
    for folder in dict.fromkeys(sys.path):
        try:
            entries = sorted(entry.name for entry in os.scandir(folder or "."))
        except OSError:  # a missing folder, a zip file
            continue
        for entry in entries:
            stem, dot, kind = entry.rpartition(".")
            if dot and kind in _METADATA_FOLDERS:
                name = stem.partition("-")[0]
                for top in _top_levels(os.path.join(folder or ".", entry)):
                    found.setdefault(top, []).append(name)
    return found


_METADATA_FOLDERS = frozenset({"dist-info", "egg-info"})


def _top_levels(metadata: str) -> set[str]:
    """The top-level names a distribution installs, from its metadata folder."""
    try:
        with open(os.path.join(metadata, "top_level.txt"), encoding="utf-8") as declared:
            return set(declared.read().split())
    except OSError:  # not declared: the installed files tell
        pass
    try:
        with open(os.path.join(metadata, "RECORD"), encoding="utf-8") as record:
            paths = [line.partition(",")[0] for line in record]
    except OSError:
        return set()
    # "pkg/module.py" installs pkg; "module.py" or "module.cpython-311-x86_64.so" module.
    tops = {path.partition("/")[0] if "/" in path else path.partition(".")[0] for path in paths}
    return {top for top in tops if top.isidentifier()}  # not "..", "pkg-1.0.dist-info"


def _normalise(name: str) -> str:
    """A distribution or module name in its comparable form (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _library_key(distribution: str) -> str:
    return f"lib:{_normalise(distribution)}"


def _module_file(name: str) -> str | None:
    module = sys.modules.get(name)
    if module is None:
        return None
    file = getattr(module, "__file__", None)
    if isinstance(file, str):
        return file
    paths = list(getattr(module, "__path__", None) or ())  # a namespace package
    return os.path.join(paths[0], "") if paths and isinstance(paths[0], str) else None


def _directory(path: str) -> str:
    return os.path.join(os.path.realpath(path), "")


def _folders(own_code: Sequence[Path]) -> tuple[str, ...]:
    if isinstance(own_code, str | bytes | os.PathLike):
        raise TypeError(
            f"own_code must be a list of source folders or a predicate on module names, got "
            f"the single path {own_code!r}; pass [{own_code!r}] instead."
        )
    return tuple(_directory(os.fspath(folder)) for folder in own_code)
