"""How ``datamill run`` reports a run: plain lines, or a live display on a terminal.

`ProgressHooks` is a hooks object registered for the run. It keeps the run's state (which
nodes are running since when, how long each finished one took), writes every report as a
plain line to the run log, and hands the same events to a `Screen`: `PlainScreen` prints the
plain lines (pipes, CI, ``--no-progress``); ``datamill.cli._live.LiveScreen`` draws a live
display with rich (terminals, ``--progress``). Only the live screen imports rich, and only
once it is chosen, so plain runs and ``--help`` never load it.

Hooks fire in the process that runs the scheduler whatever the executor: in the main thread
for the sequential and process executors, in worker threads for the thread executor. The
state therefore sits behind a lock, and a second lock keeps reports in order, so that the
line for the third finished node never comes out before the line for the second.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol, TextIO

import click

from datamill._text import error_text, quoted
from datamill.hooks import RunParams, hook_impl

if TYPE_CHECKING:
    from datamill.pipeline import Node

__all__ = [
    "NodeDone",
    "NodeFailed",
    "PlainScreen",
    "ProgressHooks",
    "Screen",
    "Snapshot",
    "Summary",
    "open_screen",
    "wants_live_display",
]

SUMMARY_ROWS: Final = 10

Echo = Callable[[str], None]
Clock = Callable[[], float]


# -- what is reported ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NodeDone:
    """A node finished: its name, seconds in its function, and the run's count so far."""

    name: str
    seconds: float
    done: int
    total: int

    def plain(self) -> str:
        """The report as one line without styling."""
        return f"  [{self.done}/{self.total}] {self.name}  {self.seconds:.3f}s"


@dataclass(frozen=True, slots=True)
class NodeFailed:
    """A node failed: its name and the error, as ``"ValueError: boom"``."""

    name: str
    error: str

    def plain(self) -> str:
        """The report as one line without styling."""
        return f"  FAILED {self.name}: {self.error}"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The state of a run at one instant, for a live display to draw.

    Attributes:
        running: ``(node name, seconds running)`` pairs, the longest-running first.
    """

    done: int
    total: int
    failed: int
    elapsed: float
    running: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class Summary:
    """The end of a successful run.

    Attributes:
        slowest: ``(node name, seconds)`` pairs, slowest first, at most `SUMMARY_ROWS`.
        node_count: How many nodes ran.
        seconds: The run's wall-clock time.
        free_outputs: The names of the outputs no dataset stores.
    """

    slowest: tuple[tuple[str, float], ...]
    node_count: int
    seconds: float
    free_outputs: tuple[str, ...]

    @property
    def heading(self) -> str:
        """``"Slowest nodes"`` when some nodes are left out, else ``"Nodes"``."""
        return "Slowest nodes" if self.node_count > len(self.slowest) else "Nodes"

    @property
    def totals(self) -> str:
        """The line giving the number of nodes and the run's time."""
        return f"Ran {self.node_count} node(s) in {self.seconds:.2f}s."

    @property
    def outputs(self) -> str | None:
        """The line naming the free outputs, if there are any."""
        if not self.free_outputs:
            return None
        return f"Free outputs (not saved): {', '.join(self.free_outputs)}"

    def lines(self) -> list[str]:
        """The summary as plain lines."""
        lines = []
        if self.slowest:
            width = max(len(name) for name, _ in self.slowest)
            lines.append(f"{self.heading}:")
            lines += [f"  {name:<{width}}  {seconds:8.3f}s" for name, seconds in self.slowest]
        lines.append(self.totals)
        if self.outputs is not None:
            lines.append(self.outputs)
        return lines


# -- where it is shown -----------------------------------------------------------------------


class Screen(Protocol):
    """Where a run's progress is shown. Node events may come from worker threads."""

    def start(self, header: str, snapshot: Callable[[], Snapshot]) -> None:
        """Show the header; a live screen starts drawing ``snapshot()`` from here on."""

    def node_done(self, event: NodeDone) -> None:
        """Show a finished node."""

    def node_failed(self, event: NodeFailed) -> None:
        """Show a failed node."""

    def summary(self, summary: Summary) -> None:
        """Stop any live drawing and show the summary."""

    def stop(self) -> None:
        """Stop any live drawing and leave the terminal clean; safe to call twice."""


class PlainScreen:
    """Prints each report as a plain line on standard output."""

    def start(self, header: str, snapshot: Callable[[], Snapshot]) -> None:
        click.echo(header)

    def node_done(self, event: NodeDone) -> None:
        click.echo(event.plain())

    def node_failed(self, event: NodeFailed) -> None:
        click.echo(event.plain())

    def summary(self, summary: Summary) -> None:
        for line in summary.lines():
            click.echo(line)

    def stop(self) -> None:
        return None


def wants_live_display(
    stream: TextIO | None = None, environ: Mapping[str, str] | None = None
) -> bool:
    """Tell whether ``stream`` (standard output by default) is a terminal fit to draw on.

    A terminal whose ``TERM`` is ``dumb`` cannot move its cursor, so it gets plain lines.
    """
    stream = sys.stdout if stream is None else stream
    environ = os.environ if environ is None else environ
    try:
        interactive = stream.isatty()
    except (AttributeError, ValueError):  # no isatty(), or a closed stream
        return False
    return interactive and environ.get("TERM", "").lower() != "dumb"


def open_screen(progress: bool | None) -> Screen:
    """The live display if ``progress`` is true, or is None on a terminal; else plain lines."""
    if progress is None:
        progress = wants_live_display()
    if not progress:
        return PlainScreen()
    from datamill.cli._live import LiveScreen  # imports rich: only when it is needed

    return LiveScreen()


# -- the hooks -------------------------------------------------------------------------------


class ProgressHooks:
    """Hooks that report each finished or failed node, and the run's summary at the end.

    Every report goes to ``log`` as a plain line and to ``screen``. Node times are the time
    spent in the node's function (loading and saving excluded); with the process executor,
    the time from handing the call to a worker to taking its result back.

    Args:
        log: Receives every report as a plain line (the run log).
        screen: Shows the reports.
        pipeline_name: The name of the pipeline run, for the header.
        env: The configuration environment, for the header.
        clock: Seconds from an arbitrary origin (``time.perf_counter``).
    """

    def __init__(
        self,
        log: Echo,
        screen: Screen,
        pipeline_name: str,
        env: str | None,
        *,
        clock: Clock = time.perf_counter,
    ) -> None:
        self.log = log
        self.screen = screen
        self.pipeline_name = pipeline_name
        self.env = env
        self.node_count = 0
        self.durations: dict[str, float] = {}
        self.failed: list[str] = []
        self.run_id: str | None = None  # once the run has started
        self._clock = clock
        self._run_start = clock()
        self._started: dict[str, float] = {}  # running nodes, in the order they started
        self._lock = threading.Lock()  # guards the state; held only briefly, never to draw
        self._reporting = threading.Lock()  # keeps reports in the order the state changed

    @hook_impl
    def before_pipeline_run(self, run_params: RunParams) -> None:
        """Show what is about to run."""
        with self._lock:
            self.node_count = run_params["node_count"]
            self.run_id = run_params["run_id"]
            self._run_start = self._clock()
        executor = f"{run_params['executor']} executor, {run_params['workers']} worker(s)"
        header = (
            f"Running pipeline {self.pipeline_name!r}: {self.node_count} node(s) to run, env "
            f"{self.env or 'base'}, {executor}, run {run_params['run_id']}"
        )
        self.log(header)
        self.screen.start(header, self.snapshot)

    @hook_impl
    def before_node_run(self, node: Node) -> None:
        """Note when the node's function starts."""
        with self._lock:
            self._started[node.name] = self._clock()

    @hook_impl
    def after_node_run(self, node: Node) -> None:
        """Report the finished node and its time."""
        with self._reporting:
            with self._lock:
                now = self._clock()
                seconds = now - self._started.pop(node.name, now)
                self.durations[node.name] = seconds
                event = NodeDone(node.name, seconds, len(self.durations), self.node_count)
            self.log(event.plain())
            self.screen.node_done(event)

    @hook_impl
    def after_node_skipped(self) -> None:
        """Count one node less to run (early cutoff skipped it)."""
        with self._lock:
            self.node_count -= 1

    @hook_impl
    def on_node_error(self, error: BaseException, node: Node) -> None:
        """Report the failed node."""
        with self._reporting:
            with self._lock:
                self._started.pop(node.name, None)
                self.failed.append(node.name)
            event = NodeFailed(node.name, error_text(error))
            self.log(event.plain())
            self.screen.node_failed(event)

    @hook_impl
    def on_pipeline_error(self) -> None:
        """Stop any live drawing before the error travels on (KeyboardInterrupt included)."""
        self.screen.stop()

    def snapshot(self) -> Snapshot:
        """The run's state now: counts, elapsed time, and the running nodes."""
        with self._lock:
            now = self._clock()
            return Snapshot(
                done=len(self.durations),
                total=self.node_count,
                failed=len(self.failed),
                elapsed=now - self._run_start,
                running=tuple((name, now - start) for name, start in self._started.items()),
            )

    def interruption(self, terminated: bool = False) -> str:
        """What to say when the run is interrupted (by a signal if ``terminated``): how far it
        got, and how to finish it."""
        said = "Terminated" if terminated else "Interrupted"
        with self._lock:
            if self.run_id is None:
                return f"{said} before any node ran."
            done, total, run_id = len(self.durations), self.node_count, self.run_id
            running = list(self._started)
        where = f" in {quoted(running)}," if running else ""
        return (
            f"{said}: run {run_id} stopped{where} with {done} of {total} node(s) done. "
            "To finish it: datamill run --resume"
        )

    def summary(self, outputs: Mapping[str, Any]) -> Summary:
        """Report the slowest nodes, the totals and the free outputs' names."""
        with self._lock:
            seconds = self._clock() - self._run_start
            slowest = sorted(self.durations.items(), key=lambda item: -item[1])[:SUMMARY_ROWS]
            summary = Summary(tuple(slowest), len(self.durations), seconds, tuple(sorted(outputs)))
        for line in summary.lines():
            self.log(line)
        self.screen.summary(summary)
        return summary
