"""Fixtures for the hook tests: a clean plugin cache and real installed plugin distributions."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from datamill.hooks import ENTRY_POINT_GROUP, entry_point_hooks


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
        dist_name = module_name.replace("_", "-")
        dist_info = site / f"{module_name}-1.0.dist-info"
        dist_info.mkdir(parents=True)
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: 1.0\n", encoding="utf-8"
        )
        declared = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
        (dist_info / "entry_points.txt").write_text(
            f"[{ENTRY_POINT_GROUP}]\n{declared}", encoding="utf-8"
        )
        (site / f"{module_name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        modules.append(module_name)
        monkeypatch.syspath_prepend(site)
        return site

    yield install
    for name in modules:
        sys.modules.pop(name, None)
