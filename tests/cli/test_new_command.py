"""``datamill new``: flags, prompts, and clear errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from datamill.cli import _main
from datamill.cli import _new as new_module
from datamill.cli._new import new
from datamill.errors import ProjectError


def invoke(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(new, list(args), input=input)


def tool_table(root: Path) -> dict[str, str]:
    content = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    table: dict[str, str] = content["tool"]["datamill"]
    return table


@pytest.fixture
def interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(new_module, "_interactive", lambda: True)


def test_creates_a_project_from_flags(tmp_path: Path) -> None:
    result = invoke("Shop Floor", "--starter", "empty", "--directory", str(tmp_path), "--no-input")
    assert result.exit_code == 0, result.output
    root = tmp_path / "shop-floor"
    assert tool_table(root)["package_name"] == "shop_floor"
    assert (root / "src" / "shop_floor" / "pipelines" / "hello" / "pipeline.py").is_file()
    assert f"from the 'empty' starter in {root}" in result.output
    assert "datamill run" in result.output


def test_package_name_and_demo_starter_from_flags(tmp_path: Path) -> None:
    args = ["shop", "--starter", "demo", "--package-name", "shop_ml", "--directory", str(tmp_path)]
    result = invoke(*args, "--no-input")
    assert result.exit_code == 0, result.output
    root = tmp_path / "shop"
    assert tool_table(root)["package_name"] == "shop_ml"
    assert (root / "src" / "shop_ml" / "pipelines" / "data_science" / "nodes.py").is_file()


def test_next_steps_show_a_relative_path_inside_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("shop")
    assert result.exit_code == 0, result.output
    assert "  cd shop\n" in result.output


def test_without_a_terminal_defaults_are_used_without_asking(tmp_path: Path) -> None:
    result = invoke("Shop", "--directory", str(tmp_path))  # CliRunner's stdin is no TTY
    assert result.exit_code == 0, result.output
    assert "Starter" not in result.output
    assert "Package name" not in result.output
    assert tool_table(tmp_path / "shop")["package_name"] == "shop"


def test_prompts_for_what_is_missing(tmp_path: Path, interactive: None) -> None:
    result = invoke("--directory", str(tmp_path), input="Shop Floor\n\n\n")
    assert result.exit_code == 0, result.output
    assert "Project name:" in result.output
    assert "Starter" in result.output
    assert "Package name [shop_floor]:" in result.output
    assert tool_table(tmp_path / "shop-floor")["package_name"] == "shop_floor"
    assert (tmp_path / "shop-floor" / "src" / "shop_floor" / "pipelines" / "hello").is_dir()


def test_prompts_again_after_an_invalid_package_name(tmp_path: Path, interactive: None) -> None:
    result = invoke("shop", "--directory", str(tmp_path), input="demo\n1bad\nshop_ml\n")
    assert result.exit_code == 0, result.output
    assert "'1bad' is not a valid package name" in result.output
    assert tool_table(tmp_path / "shop")["package_name"] == "shop_ml"
    assert (tmp_path / "shop" / "src" / "shop_ml" / "pipelines" / "data_generation").is_dir()


def test_given_options_are_not_asked_for(tmp_path: Path, interactive: None) -> None:
    args = ["shop", "--starter", "demo", "--package-name", "shop_ml", "--directory", str(tmp_path)]
    result = invoke(*args, input="")
    assert result.exit_code == 0, result.output
    assert "Starter" not in result.output
    assert "Package name" not in result.output


def test_no_input_asks_nothing_even_in_a_terminal(tmp_path: Path, interactive: None) -> None:
    result = invoke("shop", "--directory", str(tmp_path), "--no-input", input="")
    assert result.exit_code == 0, result.output
    assert "Starter" not in result.output


def test_name_is_required_without_a_terminal(tmp_path: Path) -> None:
    result = invoke("--directory", str(tmp_path))
    assert result.exit_code == 2
    assert "Missing the project's NAME" in result.output


def test_bad_package_name_flag_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("shop", "--package-name", "class", "--directory", str(tmp_path))
    assert result.exit_code == 2
    assert "--package-name" in result.output
    assert "'class' is not a valid package name" in result.output
    assert list(tmp_path.iterdir()) == []


def test_unknown_starter_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("shop", "--starter", "full", "--directory", str(tmp_path))
    assert result.exit_code == 2
    assert "'full' is not one of 'empty', 'demo'" in result.output


def test_existing_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "keep.txt").write_text("mine")
    result = invoke("shop", "--directory", str(tmp_path))
    assert result.exit_code == 1
    assert isinstance(result.exception, ProjectError)
    assert str(tmp_path / "shop") in str(result.exception)


def test_through_the_datamill_group_errors_are_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = ("datamill.cli._new:new", new.get_short_help_str(200))
    monkeypatch.setitem(_main.BUILTIN_COMMANDS, "new", entry)
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "keep.txt").write_text("mine")
    args = ["new", "shop", "--directory", str(tmp_path)]
    result = CliRunner().invoke(_main.cli, args, prog_name="datamill")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: Cannot create the project in {tmp_path / 'shop'}")
    assert "Traceback" not in result.output


def test_the_command_offers_every_starter() -> None:
    from datamill.project._template import STARTERS

    assert new_module._STARTERS == STARTERS
