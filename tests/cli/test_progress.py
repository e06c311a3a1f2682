"""The progress report of ``datamill run``: plain lines, the live display, the run log."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console
from rich.file_proxy import FileProxy

from datamill import node
from datamill.cli._live import _DRAWING, RUNNING_ROWS, LiveScreen, render_snapshot
from datamill.cli._progress import (
    PlainScreen,
    ProgressHooks,
    Snapshot,
    Summary,
    open_screen,
    wants_live_display,
)
from datamill.hooks import RunParams
from datamill.journal import Journal
from datamill.pipeline import Node
from tests.cli.cli_projects import Invoke
from tests.project.conftest import Project

ESCAPE = "\x1b"
SHOW_CURSOR = "\x1b[?25h"
RED = re.compile(r"\x1b\[(?:\d+;)*31m")


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def identity(value: object) -> object:
    return value


def make_node(name: str) -> Node:
    return node(identity, f"{name}_in", f"{name}_out", name=name)


def run_params(node_count: int, executor: str = "thread") -> RunParams:
    return RunParams(run_id="r1", executor=executor, workers=2, node_count=node_count)


def stdout_redirected_by_rich() -> bool:
    return isinstance(sys.stdout, FileProxy)


def terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=100, highlight=False), out


@dataclass
class Drawn:
    """Progress hooks drawing on a fake terminal, with what they logged, and their clock."""

    hooks: ProgressHooks
    screen: LiveScreen
    out: io.StringIO
    log: list[str]
    clock: FakeClock

    def printed(self) -> str:
        return self.out.getvalue()

    def frame(self) -> str:
        """Redraw the display; return what was drawn, without escape codes."""
        mark = len(self.out.getvalue())
        self.screen.refresh()
        return without_codes(self.out.getvalue()[mark:])


def without_codes(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


@pytest.fixture
def drawn() -> Iterator[Drawn]:
    """A run's progress drawn live, redrawn only when a test says so."""
    console, out = terminal()
    screen = LiveScreen(console, auto_refresh=False)
    log: list[str] = []
    clock = FakeClock()
    hooks = ProgressHooks(log.append, screen, "train", "prod", clock=clock)
    yield Drawn(hooks, screen, out, log, clock)
    screen.stop()  # whatever happened, give the real standard output back


def run_nodes(drawn: Drawn, *timed: tuple[Node, float]) -> None:
    for n, seconds in timed:
        drawn.hooks.before_node_run(n)
        drawn.clock.advance(seconds)
        drawn.hooks.after_node_run(n)


# -- the live display --------------------------------------------------------------------------


def test_the_live_display_shows_done_total_running_nodes_and_their_times(drawn: Drawn) -> None:
    hooks, clock = drawn.hooks, drawn.clock
    fit, score, plot = make_node("fit"), make_node("score"), make_node("plot")
    hooks.before_pipeline_run(run_params(3))
    assert drawn.screen.is_live
    hooks.before_node_run(fit)
    clock.advance(1.0)
    hooks.before_node_run(score)
    clock.advance(0.5)
    frame = drawn.frame()
    assert "0/3 nodes" in frame
    assert re.search(r"running\s+fit\s+1\.5s", frame), frame
    assert re.search(r"running\s+score\s+0\.5s", frame), frame
    assert frame.index("fit") < frame.index("score")  # the longest-running first

    hooks.after_node_run(fit)
    hooks.before_node_run(plot)
    frame = drawn.frame()
    assert "1/3 nodes" in frame
    assert "fit" not in frame
    assert re.search(r"running\s+score\s+0\.5s", frame), frame
    assert re.search(r"running\s+plot\s+0\.0s", frame), frame


def test_finished_nodes_are_printed_above_the_display_and_failed_ones_in_red(
    drawn: Drawn,
) -> None:
    hooks = drawn.hooks
    score = make_node("score")
    hooks.before_pipeline_run(run_params(2))
    run_nodes(drawn, (make_node("fit"), 2.25))
    hooks.before_node_run(score)
    hooks.on_node_error(ValueError("boom"), score)
    assert re.search(r"\[1/2\] .*fit.*  2\.250s", drawn.printed())
    failed_line = next(line for line in drawn.printed().splitlines() if "FAILED" in line)
    assert RED.search(failed_line), repr(failed_line)
    assert "FAILED score: ValueError: boom" in failed_line
    frame = drawn.frame()
    assert "1/2 nodes" in frame
    assert "1 failed" in frame
    assert "score" not in frame  # no longer running


def test_the_summary_takes_the_display_down_and_prints_a_table(drawn: Drawn) -> None:
    drawn.hooks.before_pipeline_run(run_params(3))
    run_nodes(drawn, (make_node("load"), 0.5), (make_node("fit"), 3.0), (make_node("score"), 1.25))
    drawn.clock.advance(0.25)
    mark = len(drawn.printed())
    summary = drawn.hooks.summary({"scores": 1, "model": 2})

    assert not drawn.screen.is_live
    printed = drawn.printed()[mark:]
    table = printed[printed.index(SHOW_CURSOR) :]
    assert "nodes" not in table  # the live display was erased, not drawn again after
    rows = [line.split() for line in table.splitlines() if re.search(r"\d\.\d{3}s", line)]
    assert rows == [["fit", "3.000s"], ["score", "1.250s"], ["load", "0.500s"]]
    assert "Nodes" in table
    assert "Ran 3 node(s) in 5.00s." in table
    assert "Free outputs (not saved): model, scores" in table
    assert summary.slowest[0] == ("fit", 3.0)
    assert drawn.log[-6:] == [
        "Nodes:",
        "  fit       3.000s",
        "  score     1.250s",
        "  load      0.500s",
        "Ran 3 node(s) in 5.00s.",
        "Free outputs (not saved): model, scores",
    ]


def test_the_log_gets_the_plain_lines_without_escape_codes(drawn: Drawn) -> None:
    score = make_node("score")
    drawn.hooks.before_pipeline_run(run_params(2))
    run_nodes(drawn, (make_node("fit"), 1.5))
    drawn.hooks.before_node_run(score)
    drawn.hooks.on_node_error(KeyError("x"), score)
    assert ESCAPE in drawn.printed()
    assert drawn.log == [
        "Running pipeline 'train': 2 node(s) to run, env prod, thread executor, 2 worker(s), "
        "run r1",
        "  [1/2] fit  1.500s",
        "  FAILED score: KeyError: 'x'",
    ]


def test_a_failed_run_stops_the_display_and_shows_the_cursor_again(drawn: Drawn) -> None:
    drawn.hooks.before_pipeline_run(run_params(1))
    drawn.hooks.before_node_run(make_node("fit"))
    assert SHOW_CURSOR not in drawn.printed()
    drawn.hooks.on_pipeline_error()  # the runner calls it on any error, Ctrl+C included
    assert not drawn.screen.is_live
    assert not stdout_redirected_by_rich()
    printed = drawn.printed()
    assert "nodes" not in printed[printed.rindex(SHOW_CURSOR) :]
    drawn.screen.stop()  # a second stop (the command's own clean-up) draws nothing
    assert drawn.printed() == printed


def test_many_running_nodes_are_listed_up_to_a_limit() -> None:
    running = tuple((f"node_{i}", float(i)) for i in range(RUNNING_ROWS + 3))
    console, out = terminal()
    console.print(render_snapshot(Snapshot(0, 40, 0, 75.0, running)))
    text = out.getvalue()
    assert "0/40 nodes" in text
    assert "0:01:15" in text
    assert f"node_{RUNNING_ROWS - 1}" in text
    assert f"node_{RUNNING_ROWS} " not in text
    assert "... and 3 more running" in text


def test_reports_from_many_threads_come_out_once_each_and_in_order() -> None:
    console, _ = terminal()
    screen = LiveScreen(console)  # with its refresh thread, drawing meanwhile
    log: list[str] = []
    hooks = ProgressHooks(log.append, screen, "p", None)
    threads, per_thread = 8, 40
    total = threads * per_thread
    hooks.before_pipeline_run(run_params(total))

    def work(first: int) -> None:
        for i in range(first, first + per_thread):
            n = make_node(f"n{i}")
            hooks.before_node_run(n)
            hooks.after_node_run(n)

    workers = [threading.Thread(target=work, args=(t * per_thread,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    hooks.summary({})

    counts = [int(m.group(1)) for line in log if (m := re.match(r"  \[(\d+)/", line))]
    assert counts == list(range(1, total + 1))
    names = sorted(line.split()[1] for line in log if line.startswith("  ["))
    assert names == sorted(f"n{i}" for i in range(total))
    snapshot = hooks.snapshot()
    assert (snapshot.done, snapshot.running) == (total, ())
    assert not screen.is_live


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_writes_to_the_real_stdout_and_finds_the_terminal_free(
    drawn: Drawn,
) -> None:
    drawn.hooks.before_pipeline_run(run_params(1, executor="process"))
    assert stdout_redirected_by_rich()  # prints in the parent go above the display
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status only
        clean = not stdout_redirected_by_rich() and not _DRAWING.locked()
        os._exit(0 if clean else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert stdout_redirected_by_rich()  # the parent's display is untouched
    assert not _DRAWING.locked()
    drawn.screen.stop()
    assert not stdout_redirected_by_rich()


# -- plain lines and the choice of screen ------------------------------------------------------


def test_plain_lines_are_what_the_log_gets(capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock()
    log: list[str] = []
    hooks = ProgressHooks(log.append, PlainScreen(), "train", None, clock=clock)
    fit = make_node("fit")
    hooks.before_pipeline_run(run_params(1, executor="sequential"))
    hooks.before_node_run(fit)
    clock.advance(0.125)
    hooks.after_node_run(fit)
    hooks.summary({"total": 3})
    assert capsys.readouterr().out.splitlines() == log
    assert log == [
        "Running pipeline 'train': 1 node(s) to run, env base, sequential executor, 2 worker(s), "
        "run r1",
        "  [1/1] fit  0.125s",
        "Nodes:",
        "  fit     0.125s",
        "Ran 1 node(s) in 0.12s.",
        "Free outputs (not saved): total",
    ]


def test_the_summary_names_the_slowest_nodes_when_it_leaves_some_out() -> None:
    many = Summary(tuple((f"n{i}", 1.0) for i in range(10)), 12, 3.0, ())
    assert many.lines()[0] == "Slowest nodes:"
    assert many.outputs is None
    assert Summary((), 0, 0.0, ()).lines() == ["Ran 0 node(s) in 0.00s."]


class FakeStream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("tty", "environ", "expected"),
    [
        (True, {"TERM": "xterm-256color"}, True),
        (True, {}, True),
        (True, {"TERM": "dumb"}, False),
        (False, {"TERM": "xterm-256color"}, False),
    ],
)
def test_the_live_display_is_for_terminals_that_can_move_the_cursor(
    tty: bool, environ: dict[str, str], expected: bool
) -> None:
    assert wants_live_display(FakeStream(tty), environ) is expected


def test_a_closed_stream_or_one_without_isatty_is_not_a_terminal() -> None:
    closed = io.StringIO()
    closed.close()
    assert wants_live_display(closed, {}) is False
    assert wants_live_display(object(), {}) is False  # type: ignore[arg-type]


def test_open_screen_follows_the_flag_then_the_terminal() -> None:
    assert isinstance(open_screen(False), PlainScreen)
    assert isinstance(open_screen(True), LiveScreen)
    assert isinstance(open_screen(None), PlainScreen)  # pytest's stdout is no terminal


# -- the command -------------------------------------------------------------------------------


def log_text(project: Project) -> str:
    return (project.root / "logs/datamill.log").read_text(encoding="utf-8")


# Python 3.12+ warns on any fork while the process has threads (here, the display's refresh
# thread); the display's fork handler is what keeps such forks safe.
FORK_WITH_THREADS = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded:DeprecationWarning"
)


@pytest.mark.parametrize(
    ("executor", "workers"),
    [("sequential", "1"), ("thread", "4"), pytest.param("process", "2", marks=FORK_WITH_THREADS)],
)
def test_run_with_progress_draws_the_display_and_logs_plain_lines(
    project: Project, datamill: Invoke, executor: str, workers: str
) -> None:
    result = datamill("run", "--progress", "--executor", executor, "--workers", workers)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert ESCAPE in out
    assert "0/8 nodes" in out  # the first frame
    assert re.search(r"\[8/8\] .*\w", out)
    assert SHOW_CURSOR in out
    summary = out[out.rindex(SHOW_CURSOR) :]
    assert "Nodes" in summary
    assert "Ran 8 node(s) in" in summary
    assert "Free outputs (not saved): checked, total" in summary
    assert sorted(re.findall(r"^\s+(\S+)\s+\d+\.\d{3}s\s*$", summary, re.MULTILINE)) == [
        "check", "copy", "metrics", "report", "scale", "show", "stats.summarise", "total",
    ]  # fmt: skip
    log = log_text(project)
    assert ESCAPE not in log
    assert f"8 node(s) to run, env local, {executor} executor" in log
    assert "[8/8]" in log
    assert "Ran 8 node(s) in" in log
    assert project.read_json("data/08_reporting/cleaned.json") == {"count": 3}


def test_a_failed_run_takes_the_display_down_before_the_error(
    project: Project, datamill: Invoke
) -> None:
    result = datamill("run", "--progress", "--to-nodes", "check", "--params", "explode=true")
    assert result.exit_code == 1
    out = result.stdout
    failed_line = next(line for line in out.splitlines() if "FAILED check" in line)
    assert RED.search(failed_line), repr(failed_line)
    assert "1/2 nodes" in out
    assert "nodes" not in out[out.rindex(SHOW_CURSOR) :]  # taken down, not drawn again
    assert "Node 'check' failed: ValueError: boom" in result.stderr
    assert "(1 node(s) left): datamill run --resume" in result.stderr
    log = log_text(project)
    assert "FAILED check: ValueError: boom" in log
    assert ESCAPE not in log


def test_no_color_keeps_the_display_but_drops_the_colours(
    project: Project, datamill: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    result = datamill("run", "--progress", "--to-nodes", "check", "--params", "explode=true")
    assert result.exit_code == 1
    assert "FAILED check: ValueError: boom" in result.stdout
    assert "1/2 nodes" in result.stdout
    assert not RED.search(result.stdout)


INTERRUPTED = """\
from datamill import Pipeline, node


def interrupt(raw):
    raise KeyboardInterrupt


def create_pipeline(**kwargs):
    return Pipeline([node(interrupt, "raw", "never", name="interrupt")])
"""


def test_an_interrupted_run_leaves_the_terminal_clean(project: Project, datamill: Invoke) -> None:
    project.write_package("pipelines/interrupted/__init__.py", INTERRUPTED)
    result = datamill("run", "--progress", "--pipeline", "interrupted")
    assert result.exit_code == 130  # as shells report a command stopped by Ctrl-C
    with Journal(project.root / ".datamill" / "journal.db") as journal:
        (run,) = journal.runs()
    assert run.status == "interrupted"
    assert (
        f"Interrupted: run {run.run_id} stopped in 'interrupt', with 0 of 1 node(s) done. "
        "To finish it: datamill run --resume"
    ) in result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout
    assert "0/1 nodes" in out
    after = out[out.rindex(SHOW_CURSOR) :]
    assert "nodes" not in after
    assert "running" not in after


def test_no_progress_prints_plain_lines(project: Project, datamill: Invoke) -> None:
    result = datamill("run", "--no-progress", "--nodes", "scale")
    assert result.exit_code == 0, result.output
    assert ESCAPE not in result.output
    assert "  [1/1] scale  " in result.output


def run_python(code: str, cwd: Path) -> tuple[str, set[str]]:
    """Run ``code`` in a fresh interpreter; return its output and the modules it loaded."""
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)), file=sys.stderr)"
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, cwd=cwd
    )
    modules = json.loads(completed.stderr.splitlines()[-1])
    return completed.stdout, {name.split(".")[0] for name in modules}


def call_main(*args: str) -> str:
    return (
        "from datamill.cli import main\n"
        f"try:\n    main({list(args)!r})\nexcept SystemExit:\n    pass"
    )


def test_plain_runs_and_the_help_do_not_import_rich(project: Project) -> None:
    out, loaded = run_python(call_main("run", "--nodes", "scale"), project.root)
    assert "  [1/1] scale  " in out
    assert "rich" not in loaded
    out, loaded = run_python(call_main("run", "--help"), project.root)
    assert "--progress / --no-progress" in out
    assert "rich" not in loaded
    out, loaded = run_python(
        call_main("run", "--progress", "--force", "--nodes", "scale"), project.root
    )
    assert "1/1 nodes" in out
    assert "rich" in loaded


def test_a_node_skipped_during_the_run_is_one_less_to_run() -> None:
    log: list[str] = []
    hooks = ProgressHooks(log.append, PlainScreen(), "p", None)
    hooks.before_pipeline_run(run_params(3))
    first = make_node("first")
    hooks.before_node_run(first)
    hooks.after_node_run(first)

    hooks.after_node_skipped()  # early cutoff: the other two are skipped
    hooks.after_node_skipped()

    assert log[-1].startswith("  [1/3] first")
    assert (hooks.snapshot().done, hooks.snapshot().total) == (1, 1)


def test_an_interruption_says_how_far_the_run_got_and_how_to_finish_it() -> None:
    log: list[str] = []
    hooks = ProgressHooks(log.append, PlainScreen(), "p", None)
    assert hooks.interruption() == "Interrupted before any node ran."
    hooks.before_pipeline_run(run_params(3))
    first, second = make_node("first"), make_node("second")
    hooks.before_node_run(first)
    hooks.after_node_run(first)
    assert hooks.interruption() == (
        "Interrupted: run r1 stopped with 1 of 3 node(s) done. To finish it: datamill run --resume"
    )
    hooks.before_node_run(second)
    assert hooks.interruption() == (
        "Interrupted: run r1 stopped in 'second', with 1 of 3 node(s) done. "
        "To finish it: datamill run --resume"
    )
    assert hooks.interruption(terminated=True) == (
        "Terminated: run r1 stopped in 'second', with 1 of 3 node(s) done. "
        "To finish it: datamill run --resume"
    )


def test_a_termination_before_any_node_says_so() -> None:
    hooks = ProgressHooks(lambda line: None, PlainScreen(), "p", None)

    assert hooks.interruption(terminated=True) == "Terminated before any node ran."
