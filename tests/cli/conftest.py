"""Fixtures of the command tests: a throwaway project and ``datamill`` with our commands."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from datamill.cli import _main
from tests.cli.cli_projects import Invoke, cli_project
from tests.project.conftest import PACKAGE, Project
from tests.resources.imports import forgetting_imports


@pytest.fixture
def isolated_imports() -> Iterator[None]:
    """Forget the project's package and ``sys.path`` entries after each test."""
    with forgetting_imports({PACKAGE}):
        yield


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
