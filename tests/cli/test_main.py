"""The datamill command line: help, version, info, plugin commands and error reporting."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from datamill.cli import ENTRY_POINT_GROUP, cli
from datamill.cli._plugins import find_entry_points
from tests.resources.plugins import write_distribution

PLUGIN = """
    import click
    from datamill.errors import DatasetError

    @click.command()
    def greet():
        '''Say hello.'''
        click.echo("hello from a plugin")

    @click.command()
    def broken():
        '''Fail the way datamill reports problems.'''
        raise DatasetError("Dataset 'companies' is not in the catalog. Did you mean 'company'?")

    @click.command()
    def crash():
        '''Fail with a bug.'''
        raise KeyError("oops")

    not_a_command = 42
"""


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    entry_points = {
        "greet": "dm_cli_plugin:greet",
        "broken": "dm_cli_plugin:broken",
        "crash": "dm_cli_plugin:crash",
        "odd": "dm_cli_plugin:not_a_command",
        "missing": "dm_cli_plugin_absent:command",
    }
    site = write_distribution(tmp_path, "dm_cli_plugin", PLUGIN, ENTRY_POINT_GROUP, entry_points)
    monkeypatch.syspath_prepend(site)
    yield
    sys.modules.pop("dm_cli_plugin", None)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="datamill")


def test_help_lists_the_commands() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    assert "info" in result.output
    assert "--verbose" in result.output


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output.startswith("datamill, version ")


def test_info_shows_extras_and_plugin_groups() -> None:
    result = invoke("info")
    assert result.exit_code == 0
    assert "pandas   installed" in result.output
    assert "datamill.commands:" in result.output


def test_an_unknown_command_suggests_the_closest() -> None:
    result = invoke("inf")
    assert result.exit_code == 2
    assert "No command 'inf'. Did you mean 'info'?" in result.output


def test_plugin_commands_are_listed_and_run(plugin: None) -> None:
    listing = invoke("--help")
    assert listing.exit_code == 0
    assert re.search(r"greet +Say hello\.", listing.output)
    assert re.search(r"missing +\(plugin failed to load: run it to see why\)", listing.output)
    result = invoke("greet")
    assert result.exit_code == 0
    assert result.output == "hello from a plugin\n"


def test_a_datamill_error_is_one_line_without_traceback(plugin: None) -> None:
    result = invoke("broken")
    assert result.exit_code == 1
    assert result.output == (
        "Error: Dataset 'companies' is not in the catalog. Did you mean 'company'?\n"
    )
    assert "Traceback" not in result.output


def test_verbose_shows_the_traceback(plugin: None) -> None:
    result = invoke("--verbose", "broken")
    assert result.exit_code == 1
    assert "Traceback" in result.output
    assert "raise DatasetError(" in result.output  # the line that raised, from the traceback


def test_an_unexpected_error_is_reported_as_a_bug(plugin: None) -> None:
    result = invoke("crash")
    assert result.exit_code == 1
    assert "Unexpected error: KeyError: 'oops'" in result.output
    assert "rerun with --verbose" in result.output
    assert "Traceback" not in result.output


def test_a_plugin_that_is_not_a_command_is_named(plugin: None) -> None:
    result = invoke("odd")
    assert result.exit_code == 1
    assert "The plugin command 'odd' (dm_cli_plugin:not_a_command) is not a click command" in (
        result.output
    )


def test_a_plugin_that_fails_to_load_is_named(plugin: None) -> None:
    result = invoke("missing")
    assert result.exit_code == 1
    assert "The plugin command 'missing' (dm_cli_plugin_absent:command) failed to load" in (
        result.output
    )


def test_python_dash_m_runs_the_command_line() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "datamill", "--help"], capture_output=True, text=True, check=True
    )
    assert "Usage: datamill" in completed.stdout


def test_the_help_imports_nothing_heavy() -> None:
    code = (
        "import sys, json\n"
        "from datamill.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    import json

    modules = json.loads(completed.stderr)
    loaded = {name.split(".")[0] for name in modules}
    heavy = {"pandas", "numpy", "fsspec", "yaml", "pluggy", "multiprocessing", "sqlalchemy"}
    assert sorted(loaded & {*heavy, "rich", "omegaconf"}) == []
    # Nor the metadata machinery (plugin commands are found by reading entry_points.txt),
    # nor any command module.
    slow = ("importlib.metadata", "datamill.cli._run", "datamill.project", "datamill.io")
    assert [m for m in modules if m.startswith(slow)] == []


def test_the_listed_help_of_each_builtin_command_is_its_own() -> None:
    from datamill.cli._main import BUILTIN_COMMANDS, _load_command

    for name, (target, listed) in BUILTIN_COMMANDS.items():
        command = _load_command(target)
        assert command.name == name
        assert command.get_short_help_str(200) == listed


# -- finding plugin commands without importlib.metadata ----------------------------------------


@pytest.mark.parametrize("group", ["console_scripts", "datamill.datasets", ENTRY_POINT_GROUP])
def test_entry_points_are_found_as_importlib_metadata_finds_them(plugin: None, group: str) -> None:
    from importlib.metadata import entry_points

    expected: dict[str, str] = {}
    for ep in entry_points(group=group):
        expected.setdefault(ep.name, ep.value)
    found = {name: ep.value for name, ep in find_entry_points(group).items()}
    assert found == expected
    if group == ENTRY_POINT_GROUP:
        assert found["greet"] == "dm_cli_plugin:greet"


def test_a_plugin_entry_point_loads_its_attribute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = "class Holder:\n    class Inner:\n        value = 7\n"
    site = write_distribution(
        tmp_path, "dm_nested", source, "demo.group", {"v": "dm_nested:Holder.Inner [extra]"}
    )
    (site / "dm_nested-1.0.dist-info/entry_points.txt").write_text(
        "# comment\n[other]\nv = nothing:here\n\n"
        "[demo.group]\nv = dm_nested:Holder.Inner [extra]\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(site)
    try:
        [(name, ep)] = find_entry_points("demo.group").items()
        assert (name, ep.group) == ("v", "demo.group")
        assert ep.load() is sys.modules["dm_nested"].Holder.Inner
    finally:
        sys.modules.pop("dm_nested", None)


def test_output_into_a_closed_pipe_ends_quietly() -> None:
    read, write = os.pipe()
    os.close(read)  # like `datamill info | head -0`: nobody reads
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "datamill", "info"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(write)
    assert completed.returncode == 0, completed.stderr
    assert "Error" not in completed.stderr
