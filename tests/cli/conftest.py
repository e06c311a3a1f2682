"""Fixtures of the command tests: a throwaway project and ``datamill`` with our commands."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from datamill.cli import _main
from datamill.hooks import entry_point_hooks
from tests.cli.cli_projects import Invoke, cli_project
from tests.project.conftest import PACKAGE, Project


@pytest.fixture
def isolated_imports() -> Iterator[None]:
    """Forget the project's package and ``sys.path`` entries after each test."""
    path = list(sys.path)
    modules = set(sys.modules)
    entry_point_hooks.cache_clear()
    yield
    entry_point_hooks.cache_clear()
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        if name.partition(".")[0] == PACKAGE:
            del sys.modules[name]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_imports: None) -> Project:
    """A fresh project in ``tmp_path/demo``, made the current folder."""
    created = cli_project(tmp_path / "demo")
    monkeypatch.chdir(created.root)
    return created


@pytest.fixture
def datamill() -> Invoke:
    """Run ``datamill ARGS...`` in-process."""

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(_main.cli, list(args), prog_name="datamill")

    return invoke
