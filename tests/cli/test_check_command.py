"""``datamill check`` and the same checks made by ``datamill run`` before its first node."""

from __future__ import annotations

import pytest

from datamill.project import Session
from tests.cli.cli_projects import Invoke, error_line
from tests.project.conftest import Project

TYPED = """\
from datamill import Pipeline, node


def count(cleaned: list[int]) -> int:
    return len(cleaned)


def shout(text: str, times: int) -> str:
    return text * times


def create_pipeline(**kwargs):
    return Pipeline(
        [
            node(count, "cleaned", "count", name="count"),
            node(shout, ["count", "params:times"], "shouted", name="shout"),
        ]
    )
"""


@pytest.fixture
def typed(project: Project) -> Project:
    """The project with a ``typed`` pipeline whose annotations disagree on ``count``."""
    project.write_package("pipelines/typed/__init__.py", TYPED)
    project.write("conf/base/parameters_typed.yml", "times: three\n")
    return project


def problem_lines(result_stderr: str) -> list[str]:
    return [line[4:] for line in result_stderr.splitlines() if line.startswith("  - ")]


def test_a_sound_project_passes(project: Project, datamill: Invoke) -> None:
    result = datamill("check")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "No problems found. Pipeline '__default__' (8 node(s), env local), checked in "
    )


def test_every_problem_is_reported_together(typed: Project, datamill: Invoke) -> None:
    result = datamill(
        "check", "--pipeline", "typed", "--nodes", "count,shout,shuot", "--from-nodes", "cont",
        "--executor", "thred",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.startswith(
        "Error: Pipeline 'typed' (2 node(s), env local) cannot run; 5 problems:\n"
    )
    assert problem_lines(result.stderr) == [
        "--nodes: node 'shuot' is not in pipeline 'typed'. Did you mean 'shout'?",
        "--from-nodes: node 'cont' is not in pipeline 'typed'. Did you mean 'count'?",
        "Unknown executor 'thred'. Did you mean 'thread'? Choose one of: sequential, thread, "
        "process.",
        "parameter 'params:times' is 'three' (str), but node 'shout' takes it as argument "
        "'times': int. Fix the value in the parameters, or the annotation.",
        "dataset 'count': node 'count' returns int, but node 'shout' takes it as argument "
        "'text': str. Fix one of the two annotations (or the function).",
    ]


def test_annotation_and_parameter_problems(typed: Project, datamill: Invoke) -> None:
    result = datamill("check", "--pipeline", "typed")
    assert result.exit_code == 1
    assert problem_lines(result.stderr) == [
        "parameter 'params:times' is 'three' (str), but node 'shout' takes it as argument "
        "'times': int. Fix the value in the parameters, or the annotation.",
        "dataset 'count': node 'count' returns int, but node 'shout' takes it as argument "
        "'text': str. Fix one of the two annotations (or the function).",
    ]


def test_run_makes_the_same_checks_before_any_node_runs(typed: Project, datamill: Invoke) -> None:
    result = datamill("run", "--pipeline", "typed", "--tags", "nope")
    assert result.exit_code == 1
    message = result.stderr
    assert "Traceback" not in message
    assert "The pipeline cannot run; 3 problems" in message
    assert "--tags: tag 'nope' is not in pipeline 'typed'." in message
    assert "parameter 'params:times' is 'three'" in message
    assert "dataset 'count': node 'count' returns int" in message
    assert not (typed.root / "data/02_intermediate/cleaned.json").exists()


def test_params_that_override_nothing_are_warnings(project: Project, datamill: Invoke) -> None:
    project.write("conf/base/catalog_runtime.yml", "extra:\n  type: json.JSONDataset\n"
                  "  filepath: data/${runtime_params:extra_dir,tmp}/extra.json\n")  # fmt: skip
    result = datamill("check", "--params", "factr=3,factor=4,extra_dir=out,offset.deep=1")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning: ")]
    assert warnings == [
        "Warning: --params 'factr' overrides no parameter and no configuration reads it with "
        "${runtime_params:factr}. Did you mean 'factor'? It adds a new parameter; check its "
        "spelling.",
        "Warning: --params 'offset.deep' overrides no parameter and no configuration reads it "
        "with ${runtime_params:offset.deep}. Did you mean 'offset'? It adds a new parameter; "
        "check its spelling.",
    ]


def test_unknown_pipeline_and_bad_load_versions(project: Project, datamill: Invoke) -> None:
    assert error_line(datamill("check", "--pipeline", "reportng")).startswith(
        "Error: Pipeline 'reportng' is not in project 'mill-demo'. Did you mean 'reporting'?"
    )
    result = datamill("check", "--load-versions", "reprt=2026", "--tags", "prp")
    assert result.exit_code == 1
    [tags, versions] = problem_lines(result.stderr)
    assert tags == "--tags: tag 'prp' is not in pipeline '__default__'. Did you mean 'prep'?"
    assert "reprt" in versions
    assert "Did you mean 'report'?" in versions


def test_options_that_select_no_node(project: Project, datamill: Invoke) -> None:
    result = datamill("check", "--tags", "prep", "--namespaces", "stats")
    assert result.exit_code == 1
    assert "No node satisfies every filter given" in result.stderr


def test_session_check_returns_a_report(typed: Project) -> None:
    with Session.create(typed.root, runtime_params={"tims": 2}) as session:
        report = session.check("typed", to_outputs=["count", "cleaned"])
    assert not report.ok
    assert report.node_count == 1
    assert report.env == "local"
    assert report.problems[0] == (
        "--to-outputs: dataset 'cleaned' is an input of the pipeline: no node produces it, so "
        "there is nothing to run to obtain it."
    )
    assert len(report.warnings) == 1
    assert "'tims'" in report.warnings[0]
    with Session.create(typed.root) as session:
        assert session.check("data_processing").ok


def test_run_prints_the_same_warnings_and_runs(project: Project, datamill: Invoke) -> None:
    result = datamill("run", "--pipeline", "data_processing", "--params", "factr=3")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Warning: --params 'factr' overrides no parameter")
    log = (project.root / "logs/datamill.log").read_text(encoding="utf-8")
    assert "Warning: --params 'factr' overrides no parameter" in log
