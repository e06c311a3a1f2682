"""Fixtures for the hook tests: a clean plugin cache and real installed plugin distributions."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from datamill.hooks import ENTRY_POINT_GROUP, entry_point_hooks
from tests.resources.plugins import write_distribution


class InstallPlugin(Protocol):
    """Installs a module and a distribution declaring it under ``datamill.hooks``."""

    def __call__(self, module_name: str, source: str, entry_points: dict[str, str]) -> Path:
        """Write ``source`` as ``module_name`` with ``entry_points`` (name to "module:attr")."""


@pytest.fixture(autouse=True)
def _fresh_plugin_cache() -> Iterator[None]:
    # Plugins are discovered once per process; start and leave every test with nothing cached
    # so that plugins installed by one test never leak into another.
    entry_point_hooks.cache_clear()
    yield
    entry_point_hooks.cache_clear()


@pytest.fixture
def install_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InstallPlugin]:
    """Install a distribution with ``datamill.hooks`` entry points on a temporary sys.path."""
    modules: list[str] = []

    def install(module_name: str, source: str, entry_points: dict[str, str]) -> Path:
        site = tmp_path / f"site-{len(modules)}"
        write_distribution(site, module_name, source, ENTRY_POINT_GROUP, entry_points)
        modules.append(module_name)
        monkeypatch.syspath_prepend(site)
        return site

    yield install
    for name in modules:
        sys.modules.pop(name, None)
