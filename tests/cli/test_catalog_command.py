"""``datamill catalog``: list, describe and resolve, secrets masked, nothing loaded."""

from __future__ import annotations

import yaml

from tests.cli.cli_projects import Invoke, error_line
from tests.project.conftest import Project


def test_list_shows_the_entries_and_the_patterns(project: Project, datamill: Invoke) -> None:
    result = datamill("catalog", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Datasets (7):"
    assert "  cleaned      json.JSONDataset" in lines
    assert lines[-2:] == [
        "Patterns (1, most specific first):",
        "  {name}_summary  json.JSONDataset",
    ]


def test_list_for_a_pipeline_says_how_each_dataset_is_served(
    project: Project, datamill: Invoke
) -> None:
    result = datamill("catalog", "list", "--pipeline", "inspect")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Datasets of pipeline 'inspect':",
        "  Declared in the catalog (4):",
        "    cleaned",
        "    report",
        "    report_copy",
        "    shown",
        "  From patterns (1):",
        "    cleaned_summary  <- '{name}_summary'",
        "  Parameters (2):",
        "    parameters",
        "    params:explode",
        "  Undeclared, kept in memory (1):",
        "    checked",
    ]


def test_a_catch_all_pattern_serves_the_undeclared_datasets(
    project: Project, datamill: Invoke
) -> None:
    project.write("conf/base/catalog_default.yml", '"{any}":\n  type: MemoryDataset\n')
    result = datamill("catalog", "list", "--pipeline", "inspect")
    assert "    checked          <- '{any}'" in result.output
    assert "  Undeclared, kept in memory (0):" in result.output


def test_describe_masks_secrets_and_fills_patterns(project: Project, datamill: Invoke) -> None:
    result = datamill("catalog", "describe", "warehouse", "cleaned_summary")
    assert result.exit_code == 0, result.output
    described = yaml.safe_load(result.output)
    assert described["warehouse"] == {
        "type": "json.JSONDataset",
        "filepath": "s3://user:***@bucket/warehouse.json",
        "credentials": "***",
    }
    assert described["cleaned_summary"]["filepath"].endswith("data/08_reporting/cleaned.json")
    assert "hunter2" not in result.output
    assert "s3cr3t" not in result.output


def test_describe_of_an_unknown_name_suggests_the_closest(
    project: Project, datamill: Invoke
) -> None:
    line = error_line(datamill("catalog", "describe", "clened"))
    assert "Dataset 'clened' is not in the catalog" in line
    assert "Did you mean 'cleaned'?" in line


def test_resolve_prints_what_patterns_give_the_pipeline(project: Project, datamill: Invoke) -> None:
    result = datamill("catalog", "resolve")
    assert result.exit_code == 0, result.output
    resolved = yaml.safe_load(result.output)
    assert list(resolved) == ["cleaned_summary"]
    assert resolved["cleaned_summary"]["type"] == "json.JSONDataset"
    result = datamill("catalog", "resolve", "--pipeline", "reporting")
    assert result.output.startswith("# No dataset of the pipeline comes from a pattern.")


def test_unknown_pipelines_and_environments_are_one_line_errors(
    project: Project, datamill: Invoke
) -> None:
    assert "Did you mean 'inspect'?" in error_line(datamill("catalog", "list", "-p", "inspct"))
    assert "Unknown environment 'prd'" in error_line(datamill("catalog", "resolve", "-e", "prd"))
