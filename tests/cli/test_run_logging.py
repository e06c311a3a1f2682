"""Logging during ``datamill run``: the project's records on the console and in the run log,
a ``logging.yml`` in their place, and logging left as it was found."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from datamill.cli._live import LiveScreen
from datamill.cli._logging import CONFIG_ENV, run_logging
from datamill.cli._progress import ProgressHooks
from datamill.runner import _process as process_module
from tests.cli.cli_projects import Invoke, error_line
from tests.cli.test_progress import run_params, terminal, without_codes
from tests.project.conftest import PACKAGE, Project

CHATTY = """\
import logging

from datamill import Pipeline, node

log = logging.getLogger(__name__)


def chat(factor):
    log.debug("debug detail %s", factor)
    log.info("factor is %s", factor)
    logging.getLogger("somelib").info("library chatter")
    logging.getLogger("somelib").warning("library warning")
    return factor


def create_pipeline(**kwargs):
    return Pipeline([node(chat, "params:factor", "chatted", name="chat")])
"""

NODE_LOGGER = f"{PACKAGE}.pipelines.chatty"

PRINTING = """\
import sys

from datamill import Pipeline, node


def shout(factor):
    print(f"factor is {factor}")
    print("careful", file=sys.stderr)
    return factor


def create_pipeline(**kwargs):
    return Pipeline([node(shout, "params:factor", "shouted", name="shout")])
"""

LOGGING_YML = """\
version: 1
formatters:
  bare: {format: "%(name)s|%(levelname)s|%(message)s"}
handlers:
  chat_file: {class: logging.FileHandler, filename: CHAT_LOG, formatter: bare}
loggers:
  PACKAGE: {level: DEBUG, handlers: [chat_file], propagate: false}
"""


@pytest.fixture
def chatty(project: Project) -> Project:
    project.write_package("pipelines/chatty/__init__.py", CHATTY)
    return project


@pytest.fixture
def logging_state() -> Iterator[None]:
    """Check that the test leaves the root, datamill's and the project's loggers as found."""
    watched = [logging.root, logging.getLogger("datamill"), logging.getLogger(PACKAGE)]
    before = [(lg.level, list(lg.handlers), lg.propagate) for lg in watched]
    yield
    assert [(lg.level, list(lg.handlers), lg.propagate) for lg in watched] == before


def run_log(project: Project) -> str:
    return (project.root / "logs/datamill.log").read_text(encoding="utf-8")


def chat_config(project: Project, chat_log: Path) -> str:
    return LOGGING_YML.replace("CHAT_LOG", chat_log.as_posix()).replace("PACKAGE", PACKAGE)


def test_the_project_logs_info_on_the_console_and_in_the_run_log(
    chatty: Project, datamill: Invoke, logging_state: None
) -> None:
    for _ in range(2):  # a second run in the same process prints each record once
        result = datamill("run", "--pipeline", "chatty")

        assert result.exit_code == 0, result.output
        records = [line for line in result.stderr.splitlines() if line]
        assert records == [
            f"INFO {NODE_LOGGER}: factor is 2",
            "WARNING somelib: library warning",
        ]  # no DEBUG, no other library's INFO, no datamill.run line (already on stdout)
    log = run_log(chatty)
    assert log.count(f"INFO {NODE_LOGGER}: factor is 2") == 2
    assert log.count("WARNING somelib: library warning") == 2


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_node_on_a_worker_process_logs_as_in_the_main_process(
    chatty: Project,
    datamill: Invoke,
    logging_state: None,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
) -> None:
    monkeypatch.setattr(process_module, "_default_start_method", lambda: method)

    result = datamill("run", "--pipeline", "chatty", "--executor", "process")

    assert result.exit_code == 0, result.output
    assert [line for line in result.stderr.splitlines() if line] == [
        f"INFO {NODE_LOGGER}: factor is 2",
        "WARNING somelib: library warning",
    ]
    log = run_log(chatty)
    assert f"INFO {NODE_LOGGER}: factor is 2" in log
    assert "WARNING somelib: library warning" in log
    assert "library chatter" not in log
    assert "debug detail" not in log
    assert "INFO datamill.run: [1/1] chat" in log


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_what_a_node_prints_on_a_worker_process_shows_as_in_the_main_process(
    project: Project, datamill: Invoke, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    project.write_package("pipelines/printing/__init__.py", PRINTING)
    monkeypatch.setattr(process_module, "_default_start_method", lambda: method)

    result = datamill("run", "--pipeline", "printing", "--executor", "process")

    assert result.exit_code == 0, result.output
    out = [line.strip() for line in result.stdout.splitlines()]
    finished = next(n for n, line in enumerate(out) if line.startswith("[1/1] shout"))
    assert out.index("factor is 2") < finished  # printed before the node is reported done
    assert "careful" in result.stderr.splitlines()


def test_verbose_shows_the_project_debug_records(
    chatty: Project, datamill: Invoke, logging_state: None
) -> None:
    result = datamill("--verbose", "run", "--pipeline", "chatty")

    assert result.exit_code == 0, result.output
    assert f"DEBUG {NODE_LOGGER}: debug detail 2" in result.stderr
    assert "library chatter" not in result.stderr
    assert f"DEBUG {NODE_LOGGER}: debug detail 2" in run_log(chatty)


def test_a_logging_yml_in_the_configuration_replaces_the_console(
    chatty: Project, datamill: Invoke, logging_state: None, tmp_path: Path
) -> None:
    chat_log = tmp_path / "chat.log"
    chatty.write("conf/logging.yml", chat_config(chatty, chat_log))

    result = datamill("run", "--pipeline", "chatty")

    assert result.exit_code == 0, result.output
    assert "factor is" not in result.stderr
    assert chat_log.read_text(encoding="utf-8").splitlines() == [
        f"{NODE_LOGGER}|DEBUG|debug detail 2",
        f"{NODE_LOGGER}|INFO|factor is 2",
    ]
    log = run_log(chatty)
    assert "INFO datamill.run: [1/1] chat" in log  # the run log still gets datamill's lines
    assert "factor is" not in log  # the config says where the project's records go


def test_the_environment_variable_names_the_logging_config(
    chatty: Project,
    datamill: Invoke,
    logging_state: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chatty.write("conf/logging.yml", "this file is not used\n")
    named, chat_log = tmp_path / "elsewhere.yml", tmp_path / "chat.log"
    named.write_text(chat_config(chatty, chat_log), encoding="utf-8")
    monkeypatch.setenv(CONFIG_ENV, str(named))

    result = datamill("run", "--pipeline", "chatty")

    assert result.exit_code == 0, result.output
    assert f"{NODE_LOGGER}|INFO|factor is 2" in chat_log.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("- a list\n", r"logging\.yml: a configuration file must hold a mapping of keys"),
        ("version: [\n", r"logging\.yml:2: invalid YAML \(.*\)\. Fix the syntax"),
        (
            "version: 1\nhandlers: {x: {class: nowhere.Handler}}\n",
            r"logging\.yml is not valid: Unable to configure handler 'x' \(Cannot resolve "
            r"'nowhere\.Handler': No module named 'nowhere'\)\. It must be a "
            r"logging\.config\.dictConfig mapping",
        ),
        ("handlers: {}\n", r"logging\.yml is not valid: dictionary doesn't specify a version"),
    ],
)
def test_a_broken_logging_config_is_reported_in_one_line(
    chatty: Project, datamill: Invoke, logging_state: None, content: str, expected: str
) -> None:
    chatty.write("conf/logging.yml", content)

    line = error_line(datamill("run", "--pipeline", "chatty"))

    assert re.search(expected, line), line
    assert str(chatty.root / "conf/logging.yml") in line


def test_a_missing_config_named_by_the_environment_variable_is_an_error(
    chatty: Project, datamill: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONFIG_ENV, "/no/such/logging.yml")

    line = error_line(datamill("run", "--pipeline", "chatty"))

    assert line == (
        f"Error: {CONFIG_ENV} names the logging config '/no/such/logging.yml', which is not a "
        "file. Point it to a YAML logging config, or unset it to use datamill's defaults."
    )


def test_records_logged_during_the_live_display_are_printed_above_it(
    tmp_path: Path, logging_state: None
) -> None:
    console, out = terminal()
    screen = LiveScreen(console, auto_refresh=False)
    lines: list[str] = []
    hooks = ProgressHooks(lines.append, screen, "chatty", None)
    try:
        with run_logging(tmp_path / "run.log", PACKAGE, tmp_path):  # before the display
            hooks.before_pipeline_run(run_params(1))
            assert screen.is_live
            logging.getLogger(NODE_LOGGER).info("hello from a node")
    finally:
        screen.stop()

    assert f"INFO {NODE_LOGGER}: hello from a node" in without_codes(out.getvalue())


def test_what_a_worker_prints_during_the_live_display_is_printed_above_it() -> None:
    console, out = terminal()
    screen = LiveScreen(console, auto_refresh=False)
    hooks = ProgressHooks(lambda line: None, screen, "printing", None)
    try:
        hooks.before_pipeline_run(run_params(1))
        assert screen.is_live
        process_module._write_printed("stdout", "hello from a worker\n")
    finally:
        screen.stop()

    assert "hello from a worker" in without_codes(out.getvalue())
