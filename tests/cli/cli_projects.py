"""A throwaway project for the command tests (the fixtures are in ``conftest.py``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.project.conftest import Project, build_project

EXTRA_CATALOG = """\
shown:
  type: json.JSONDataset
  filepath: data/08_reporting/shown.json
report_copy:
  type: json.JSONDataset
  filepath: data/08_reporting/report_copy.json
"{name}_summary":
  type: json.JSONDataset
  filepath: data/08_reporting/{name}.json
warehouse:
  type: json.JSONDataset
  filepath: s3://user:hunter2@bucket/warehouse.json
  credentials: warehouse_creds
"""

INSPECT = """\
from datamill import Pipeline, node


def show(parameters):
    return parameters


def copy(report):
    return report


def summarise(cleaned):
    return {"count": len(cleaned)}


def check(cleaned, explode):
    if explode:
        raise ValueError("boom")
    return len(cleaned)


def create_pipeline(**kwargs):
    return Pipeline(
        [
            node(show, "parameters", "shown", name="show", tags="inspect"),
            node(copy, "report", "report_copy", name="copy"),
            node(summarise, "cleaned", "cleaned_summary", name="summarise", namespace="stats"),
            node(check, ["cleaned", "params:explode"], "checked", name="check"),
        ]
    )
"""


def cli_project(root: Path) -> Project:
    """The two-pipeline project of the project tests, plus an ``inspect`` pipeline."""
    project = build_project(root)
    catalog = (project.root / "conf/base/catalog.yml").read_text(encoding="utf-8")
    project.write("conf/base/catalog.yml", catalog + EXTRA_CATALOG)
    project.write("conf/base/parameters.yml", "factor: 2\noffset: 0\nexplode: false\n")
    project.write("conf/base/credentials.yml", "warehouse_creds:\n  key: s3cr3t\n")
    project.write_package("pipelines/inspect/__init__.py", INSPECT)
    return project


Invoke = Callable[..., Result]


def error_line(result: Result) -> str:
    """The error a failed command printed, checked to be a one-line report without traceback."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("Error: "), result.stderr
    return lines[-1]
