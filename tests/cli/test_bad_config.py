"""Bad configuration stops ``datamill run`` and ``datamill check`` with one clean line each."""

from __future__ import annotations

import shutil

import pytest

from tests.cli.cli_projects import Invoke, error_line
from tests.project.conftest import Project


def no_base(project: Project) -> None:
    shutil.rmtree(project.root / "conf/base")


def malformed_yaml(project: Project) -> None:
    project.write("conf/base/parameters.yml", "factor: 2\noffset: [0, 1\nexplode: false\n")


def duplicate_key(project: Project) -> None:
    project.write("conf/base/parameters_more.yml", "other: 1\nfactor: 3\n")


def inheritance_cycle(project: Project) -> None:
    project.write("conf/local/environment.yml", "inherits: staging\n")
    project.write("conf/staging/environment.yml", "inherits: local\n")


def missing_credentials(project: Project) -> None:
    project.write("conf/base/credentials.yml", "other_creds:\n  key: s3cr3t\n")


def unknown_interpolation(project: Project) -> None:
    project.write("conf/base/parameters.yml", "factor: ${globals:scale}\noffset: 0\n")


@pytest.mark.parametrize("command", ["run", "check"])
@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (no_base, "conf/base"),
        (malformed_yaml, "parameters.yml:3"),
        (duplicate_key, "Key 'factor' is defined twice in environment 'base'"),
        (inheritance_cycle, "cycle"),
        (missing_credentials, "warehouse_creds"),
        (unknown_interpolation, "globals:scale"),
    ],
)
def test_bad_configuration_is_one_clean_line(
    project: Project, datamill: Invoke, command: str, breakage: object, expected: str
) -> None:
    assert callable(breakage)
    breakage(project)
    line = error_line(datamill(command))
    assert expected in line
    assert "s3cr3t" not in line
