"""Keeping tests that import throwaway project packages from seeing each other's modules."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator

from datamill.hooks import entry_point_hooks


@contextlib.contextmanager
def forgetting_imports(packages: Iterable[str]) -> Iterator[None]:
    """Restore ``sys.path``, forget the given packages' modules and the plugin cache on exit."""
    names = set(packages)
    path = list(sys.path)
    modules = set(sys.modules)
    entry_point_hooks.cache_clear()
    try:
        yield
    finally:
        entry_point_hooks.cache_clear()
        sys.path[:] = path
        for name in set(sys.modules) - modules:
            if name.partition(".")[0] in names:
                del sys.modules[name]
