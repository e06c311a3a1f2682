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

__all__ = ["Origin", "Origins", "OwnCode"]

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
        self._distributions: Mapping[str, list[str]] | None = None

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
        if self._distributions is None:
            self._distributions = _packages_distributions()
        names = self._distributions.get(module.partition(".")[0], [])
        if len(names) > 1:  # a namespace shared by several (google.cloud.storage, ...)
            wanted = _normalise(module)
            best = [n for n in names if wanted.startswith(_normalise(n))]
            return best[-1:] if best else sorted(set(names))
        return names


def _packages_distributions() -> Mapping[str, list[str]]:
    import importlib.metadata

    return importlib.metadata.packages_distributions()


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
