"""``datamill config explain``: the final value and every file and line that set it."""

from __future__ import annotations

from tests.cli.cli_projects import Invoke, error_line
from tests.project.conftest import Project


def test_explain_lists_every_file_and_line(project: Project, datamill: Invoke) -> None:
    result = datamill("config", "explain", "offset")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "parameters: offset = 100"
    base, local = lines[1].split(), lines[2].split()
    assert (base[0], base[2], local[0], local[2]) == ("base", "0", "local", "100")
    assert base[1].endswith("conf/base/parameters.yml:2")
    assert local[1].endswith("conf/local/parameters.yml:1")


def test_explain_follows_env_and_params(project: Project, datamill: Invoke) -> None:
    result = datamill("config", "explain", "offset", "--env", "test", "--params", "offset=3")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "parameters: offset = 3"
    assert [line.split()[0] for line in lines[1:]] == ["base", "test", "runtime_params"]
    assert lines[-1].split()[1:] == ["--params", "3"]


def test_explain_masks_credentials_and_catalog_secrets(project: Project, datamill: Invoke) -> None:
    result = datamill("config", "explain", "warehouse_creds", "--config", "credentials")
    assert result.exit_code == 0, result.output
    assert "s3cr3t" not in result.output
    assert result.output.splitlines()[0] == "credentials: warehouse_creds = {'key': '***'}"
    result = datamill("config", "explain", "warehouse.filepath", "-c", "catalog")
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output
    assert "s3://user:***@bucket/warehouse.json" in result.output


def test_unknown_keys_and_configurations_suggest_the_closest(
    project: Project, datamill: Invoke
) -> None:
    line = error_line(datamill("config", "explain", "ofset"))
    assert "Key 'ofset' is not set in parameters" in line
    assert "Did you mean 'offset'?" in line
    line = error_line(datamill("config", "explain", "raw", "--config", "catalg"))
    assert "Unknown configuration 'catalg'. Did you mean 'catalog'?" in line
    assert "Did you mean 'test'?" in error_line(datamill("config", "explain", "x", "--env", "tst"))
