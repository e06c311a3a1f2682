"""``datamill pipeline``: list (without importing pipelines) and describe."""

from __future__ import annotations

import json
import sys

from tests.cli.cli_projects import Invoke, error_line
from tests.project.conftest import PACKAGE, Project


def test_list_names_the_pipelines_without_importing_them(
    project: Project, datamill: Invoke
) -> None:
    result = datamill("pipeline", "list")
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["__default__", "data_processing", "inspect", "reporting"]
    assert f"{PACKAGE}.pipelines.inspect" not in sys.modules


def test_describe_lists_nodes_in_run_order(project: Project, datamill: Invoke) -> None:
    result = datamill("pipeline", "describe", "data_processing")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Pipeline 'data_processing': 2 node(s)",
        "  1. scale: raw, params:factor, params:offset -> cleaned",
        "     tags: prep",
        "  2. total: cleaned -> total",
        "     tags: sum",
        "Inputs: params:factor, params:offset, raw",
        "Outputs: total",
    ]
    assert f"{PACKAGE}.pipelines.reporting" not in sys.modules


def test_describe_as_json(project: Project, datamill: Invoke) -> None:
    result = datamill("pipeline", "describe", "inspect", "--json")
    assert result.exit_code == 0, result.output
    described = json.loads(result.output)
    assert [n["name"] for n in described["nodes"]] == ["show", "copy", "stats.summarise", "check"]
    assert described["nodes"][2] == {
        "name": "stats.summarise",
        "func": "summarise",
        "inputs": ["cleaned"],
        "outputs": ["cleaned_summary"],
        "tags": [],
        "namespace": "stats",
    }


def test_describe_defaults_to_the_default_pipeline(project: Project, datamill: Invoke) -> None:
    result = datamill("pipeline", "describe")
    assert result.output.startswith("Pipeline '__default__': 8 node(s)")


def test_an_unknown_pipeline_suggests_the_closest(project: Project, datamill: Invoke) -> None:
    line = error_line(datamill("pipeline", "describe", "reportin"))
    assert "Pipeline 'reportin' is not in project 'mill-demo'. Did you mean 'reporting'?" in line


def test_create_scaffolds_a_pipeline_that_the_project_then_lists(
    project: Project, datamill: Invoke
) -> None:
    result = datamill("pipeline", "create", "exports")
    assert result.exit_code == 0, result.output
    assert "Created conf/base/parameters_exports.yml" in result.output
    assert (project.package_dir / "pipelines" / "exports").is_dir()
    assert "exports" in datamill("pipeline", "list").output


def test_create_refuses_an_existing_pipeline(project: Project, datamill: Invoke) -> None:
    datamill("pipeline", "create", "exports")
    result = datamill("pipeline", "create", "exports")
    assert result.exit_code == 1
    assert "exports" in result.output
    assert "Traceback" not in result.output
