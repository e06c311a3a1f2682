"""``datamill run``: slicing, typed parameters, run files, load versions, errors and logs."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Mapping
from pathlib import Path

import pytest

from datamill.cli import _run as run_module
from datamill.cli._options import (
    RunOptions,
    merge_options,
    parse_load_versions,
    parse_params,
    read_run_config,
    split_names,
)
from datamill.errors import ConfigError
from datamill.journal import Journal
from tests.cli.cli_projects import Invoke, error_line
from tests.project.conftest import Project


def ran_nodes(output: str) -> list[str]:
    return [line.split()[1] for line in output.splitlines() if line.startswith("  [")]


# -- running -----------------------------------------------------------------------------------


def test_run_runs_the_default_pipeline_and_reports_progress(
    project: Project, datamill: Invoke
) -> None:
    result = datamill("run")
    assert result.exit_code == 0, result.output
    assert sorted(ran_nodes(result.output)) == [
        "check", "copy", "metrics", "report", "scale", "show", "stats.summarise", "total",
    ]  # fmt: skip
    assert "Running pipeline '__default__': 8 node(s) to run, env local" in result.output
    assert "Ran 8 node(s) in" in result.output
    assert "Free outputs (not saved): checked, total" in result.output
    assert project.read_json("data/02_intermediate/cleaned.json") == [
        102,
        104,
        106,
    ]  # local: offset 100
    assert project.read_json("data/08_reporting/cleaned.json") == {"count": 3}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--nodes", "scale,total"], ["scale", "total"]),
        (["--nodes", "scale", "--nodes", "total"], ["scale", "total"]),
        (["--pipeline", "reporting"], ["metrics", "report"]),
        (["--pipeline", "data_processing", "--tags", "prep"], ["scale"]),
        (["--to-outputs", "cleaned"], ["scale"]),
        (["--to-nodes", "total"], ["scale", "total"]),
        (["--from-nodes", "report"], ["copy", "report"]),
        (["--from-inputs", "report", "--executor", "thread", "--workers", "2"], ["copy"]),
        (["--namespaces", "stats"], ["stats.summarise"]),
        (["--tags", "prep,sum", "--from-nodes", "total"], ["total"]),
    ],
)
def test_slicing_options_select_the_nodes(
    project: Project, datamill: Invoke, args: list[str], expected: list[str]
) -> None:
    project.write("data/02_intermediate/cleaned.json", "[1, 2]\n")
    project.write("data/08_reporting/report.json/2020-01-01T00.00.00.000000Z/report.json", "{}")
    result = datamill("run", *args)
    assert result.exit_code == 0, result.output
    assert sorted(ran_nodes(result.output)) == expected


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_stop_the_run_as_ctrl_c_does_and_only_while_it_runs(
    project: Project, datamill: Invoke, monkeypatch: pytest.MonkeyPatch, sent: signal.Signals
) -> None:
    before = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGHUP)}
    during: list[Mapping[signal.Signals, object]] = []
    quieted: list[int] = []

    def run_project(*args: object, **kwargs: object) -> None:
        handlers = {number: signal.getsignal(number) for number in before}
        during.append(handlers)
        handler = handlers[sent]
        assert callable(handler)
        try:
            handler(sent, None)  # as if the signal arrived now
        finally:
            during.append({number: signal.getsignal(number) for number in before})

    monkeypatch.setattr(run_module, "run_project", run_project)
    monkeypatch.setattr(os, "isatty", lambda fd: True)  # on a terminal
    monkeypatch.setattr(run_module, "silence", quieted.append)  # not pytest's own streams

    result = datamill("run")

    assert result.exit_code == 128 + sent  # 143, 129: as shells report a process it ended
    assert result.stderr == "\nTerminated.\n"
    assert all(handler not in (before[n], signal.SIG_IGN) for n, handler in during[0].items())
    assert during[1] == {signal.SIGTERM: signal.SIG_DFL, signal.SIGHUP: signal.SIG_IGN}
    assert quieted == ([1, 2] if sent == signal.SIGHUP else [])  # a closed terminal's
    assert {number: signal.getsignal(number) for number in before} == before  # put back


def test_a_run_started_with_nohup_ignores_sighup(
    project: Project, datamill: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    during: list[object] = []
    monkeypatch.setattr(
        run_module, "run_project", lambda *a, **k: during.append(signal.getsignal(signal.SIGHUP))
    )
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as nohup starts a command
    try:
        result = datamill("run")

        assert result.exit_code == 0, result.output
        assert during == [signal.SIG_IGN]
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_params_are_typed_like_yaml(project: Project, datamill: Invoke) -> None:
    params = 'factor=0.5,flag=true,nothing=null,items=[1, 2],name="a,b",model.alpha=1'
    result = datamill("run", "--nodes", "show", "--params", params, "--params", "offset=3")
    assert result.exit_code == 0, result.output
    assert project.read_json("data/08_reporting/shown.json") == {
        "factor": 0.5,
        "offset": 3,
        "explode": False,
        "flag": True,
        "nothing": None,
        "items": [1, 2],
        "name": "a,b",
        "model": {"alpha": 1},
    }


def test_a_run_file_gives_options_and_the_command_line_wins(
    project: Project, datamill: Invoke
) -> None:
    project.write(
        "run.yml",
        """\
        pipeline: inspect
        nodes: [show]
        params: {model.alpha: 1, factor: 3}
        """,
    )
    result = datamill("run", "--config", "run.yml", "--params", "factor=4")
    assert result.exit_code == 0, result.output
    assert ran_nodes(result.output) == ["show"]
    shown = project.read_json("data/08_reporting/shown.json")
    assert isinstance(shown, dict)
    assert (shown["factor"], shown["model"]) == (4, {"alpha": 1})


def test_load_versions_choose_the_version_read(project: Project, datamill: Invoke) -> None:
    assert datamill("run", "--pipeline", "__default__", "--to-nodes", "report").exit_code == 0
    versions = sorted(p.name for p in (project.root / "data/08_reporting/report.json").iterdir())
    assert datamill("run", "--to-nodes", "report", "--params", "offset=10").exit_code == 0
    result = datamill("run", "--nodes", "copy", "--load-versions", f"report={versions[0]}")
    assert result.exit_code == 0, result.output
    assert project.read_json("data/08_reporting/report_copy.json") == {"max": 106}
    assert datamill("run", "--nodes", "copy").exit_code == 0
    assert project.read_json("data/08_reporting/report_copy.json") == {"max": 16}


def test_the_env_and_conf_source_options_choose_the_configuration(
    project: Project, datamill: Invoke, tmp_path: Path
) -> None:
    result = datamill("run", "--nodes", "show", "--env", "test")
    assert result.exit_code == 0, result.output
    assert "env test" in result.output
    assert project.read_json("data/08_reporting/shown.json") == {
        "factor": 2,
        "offset": 7,
        "explode": False,
    }
    other = Project(tmp_path / "other")
    other.write("base/catalog.yml", (project.root / "conf/base/catalog.yml").read_text())
    other.write("base/parameters.yml", "factor: 9\n")
    other.write("base/credentials.yml", "warehouse_creds: {key: k}\n")
    result = datamill("run", "--nodes", "show", "--conf-source", str(other.root))
    assert result.exit_code == 0, result.output
    assert project.read_json("data/08_reporting/shown.json") == {"factor": 9}


def test_the_run_is_appended_to_the_log_file(project: Project, datamill: Invoke) -> None:
    datamill("run", "--nodes", "scale")
    datamill("run", "--nodes", "scal")
    log = (project.root / "logs/datamill.log").read_text(encoding="utf-8")
    assert "Running pipeline '__default__': 1 node(s)" in log
    assert "[1/1] scale" in log
    assert (
        "Run failed: RunnerError: The pipeline cannot run: --nodes: node 'scal' is not in "
        "pipeline '__default__'. Did you mean 'scale'?"
    ) in log


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--params", "alpha"], "Invalid --params item 'alpha': expected key=value pairs"),
        (["--params", "a=[1,2"], "Invalid --params 'a=[1,2': missing a closing ']'"),
        (["--load-versions", "report"], "Invalid --load-versions item 'report'"),
        (["--pipeline", "reportng"], "Did you mean 'reporting'?"),
        (["--nodes", "scal"], "--nodes: node 'scal' is not in pipeline '__default__'. Did you"),
        (["--tags", "prp"], "--tags: tag 'prp' is not in pipeline '__default__'. Did you mean"),
        (["--namespaces", "stat"], "--namespaces: namespace 'stat' is not in pipeline"),
        (["--to-outputs", "cleand"], "--to-outputs: dataset 'cleand' is not in pipeline"),
        (["--env", "tset"], "Unknown environment 'tset'"),
        (["--executor", "thred"], "Unknown executor 'thred'. Did you mean 'thread'?"),
        (["--load-versions", "reprt=x"], "Did you mean 'report'?"),
    ],
)
def test_mistakes_are_reported_in_one_line(
    project: Project, datamill: Invoke, args: list[str], expected: str
) -> None:
    assert expected in error_line(datamill("run", *args))


def test_unknown_keys_of_a_run_file_are_reported(project: Project, datamill: Invoke) -> None:
    project.write("run.yml", "pipline: inspect\n")
    line = error_line(datamill("run", "--config", "run.yml"))
    assert "unknown run option 'pipline'. Did you mean 'pipeline'?" in line


def test_running_outside_a_project_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, datamill: Invoke
) -> None:
    monkeypatch.chdir(tmp_path)
    assert "No datamill project found" in error_line(datamill("run"))


def test_verbose_shows_the_traceback(project: Project, datamill: Invoke) -> None:
    result = datamill("--verbose", "run", "--nodes", "scal")
    assert result.exit_code == 1
    assert "Traceback" in result.output
    assert "RunnerError" in result.output


def test_a_failed_node_ends_with_how_to_resume_the_run(project: Project, datamill: Invoke) -> None:
    result = datamill("run", "--to-nodes", "check", "--params", "explode=true")
    assert result.exit_code == 1
    assert "FAILED check: ValueError: boom" in result.output
    assert "Node 'check' failed: ValueError: boom" in result.stderr
    with Journal(project.root / ".datamill" / "journal.db") as journal:
        (failed,) = journal.runs(status="failed")
    assert (
        f"To finish run {failed.run_id} (1 node(s) left): datamill run --resume, "
        "or Session.resume()."
    ) in result.stderr


# -- option parsing ------------------------------------------------------------------------------


def test_split_names_accepts_commas_and_repeats() -> None:
    assert split_names(["a, b", "c", ""]) == ("a", "b", "c")
    assert split_names([]) is None


def test_parse_params_keeps_quoted_commas_and_nested_brackets() -> None:
    assert parse_params(["a={x: [1, 2]},b='c,d',c=2024"]) == {
        "a": {"x": [1, 2]},
        "b": "c,d",
        "c": 2024,
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("=1", "Invalid --params item '=1'"),
        ("a..b=1", "Invalid --params key 'a..b'"),
        ("a=", "the value is empty. Write a=null for None"),
        ("a=x: y: z", "Invalid --params value in 'a=x: y: z'"),
    ],
)
def test_parse_params_names_the_malformed_pair(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_params([value])


def test_parse_load_versions() -> None:
    assert parse_load_versions(["a=1, b = 2"]) == {"a": "1", "b": "2"}


def test_run_files_check_their_values(tmp_path: Path) -> None:
    path = tmp_path / "run.yml"
    path.write_text("workers: two\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="option 'workers' must be a positive integer"):
        read_run_config(path)
    path.write_text("- pipeline\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a mapping of options"):
        read_run_config(path)


def test_run_files_accept_strings_dashes_and_relative_conf_source(tmp_path: Path) -> None:
    path = tmp_path / "run.yml"
    path.write_text(
        "from-nodes: a,b\nparams: x=1\nload_versions: {d: v1}\nconf_source: conf2\n",
        encoding="utf-8",
    )
    options = read_run_config(path)
    assert options.from_nodes == ("a", "b")
    assert options.params == {"x": 1}
    assert options.load_versions == {"d": "v1"}
    assert options.conf_source == tmp_path / "conf2"


def test_merge_options_prefers_the_command_line() -> None:
    from_file = RunOptions(pipeline="a", tags=("x",), params={"p": 1, "q": 2})
    given = RunOptions(tags=("y",), params={"q": 3})
    merged = merge_options(from_file, given)
    assert (merged.pipeline, merged.tags, merged.params) == ("a", ("y",), {"p": 1, "q": 3})


def test_after_a_run_the_nodes_that_changed_are_named_and_those_they_made_run_counted(
    project: Project, datamill: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_module, "_REASONS_SHOWN", 2)  # as if the pipeline were large
    first = datamill("run", "--no-progress")
    assert first.exit_code == 0, first.output
    assert _why(first.output) == [
        "Why they ran:",
        "  scale: no successful run recorded",
        "  show: no successful run recorded",
        "  ... and 6 more",
    ]
    project.write("conf/local/parameters.yml", "offset: 200\n")

    second = datamill("run", "--no-progress")

    assert second.exit_code == 0, second.output
    assert _why(second.output) == [
        "Why they ran:",
        "  scale: parameter offset changed",
        "  show: parameter offset changed",
        "  and 6 node(s) that ran because of these: an input recomputed, or an in-memory "
        "output needed ('datamill runs show' says which)",
    ]


def test_after_a_small_run_every_node_that_ran_says_why(project: Project, datamill: Invoke) -> None:
    datamill("run", "--no-progress")
    project.write("conf/local/parameters.yml", "offset: 200\n")

    result = datamill("run", "--no-progress")

    assert _why(result.output)[:4] == [
        "Why they ran:",
        "  scale: parameter offset changed",
        "  show: parameter offset changed",
        "  total: input 'cleaned' is recomputed by node 'scale'",
    ]


def _why(output: str) -> list[str]:
    lines = output.splitlines()
    start = lines.index("Why they ran:")
    end = next((i for i, line in enumerate(lines) if line.startswith("Skipped")), len(lines))
    return lines[start:end]
