"""The live progress display of ``datamill run`` on a terminal; the one module that imports rich.

While the run lasts, the bottom of the terminal shows a progress bar with the nodes done out
of the total and the elapsed time, then each running node with how long it has been running.
Finished and failed nodes are printed above it as they come; at the end the display is
erased and a table of the slowest nodes follows. While the display is up, whatever the
run prints to standard output or standard error (``print`` in a node, a warning) is also
printed above it, through rich's redirection.

Drawing happens in three places: the thread that reports a node (a worker thread with the
thread executor), the main thread (start, stop, summary), and a refresh thread that redraws
a few times a second so that times keep moving while nothing finishes. All three hold one
lock, ``_DRAWING``, while they draw. The refresh thread is ours rather than rich's because
of the process executor, which forks its workers on Linux while the display is up: a fork
handler takes ``_DRAWING`` around every fork, so a child never starts with the terminal half
written or a rich lock held by a thread it does not have; and in the child, standard output
and error go back to the real files, so that a worker's ``print`` does not draw a copy of
the parent's display.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Final

from rich import box
from rich.console import Console, Group, RenderableType
from rich.file_proxy import FileProxy
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from datamill.cli._progress import NodeDone, NodeFailed, Snapshot, Summary

__all__ = ["LiveScreen"]

REFRESH_PER_SECOND: Final = 4.0
RUNNING_ROWS: Final = 12  # running nodes listed; the rest are counted
BAR_WIDTH: Final = 40

_DRAWING = threading.Lock()


def _before_fork() -> None:
    _DRAWING.acquire()


def _after_fork_in_parent() -> None:
    _DRAWING.release()


def _after_fork_in_child() -> None:
    _DRAWING.release()
    # The child has a copy of the parent's display but no thread to draw it: its output
    # must go to the real files, not through rich's redirection into that copy.
    if isinstance(sys.stdout, FileProxy):
        sys.stdout = sys.stdout.rich_proxied_file
    if isinstance(sys.stderr, FileProxy):
        sys.stderr = sys.stderr.rich_proxied_file


if hasattr(os, "register_at_fork"):  # not on Windows, which never forks
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )


class LiveScreen:
    """Shows a run's progress as a live display drawn with rich.

    Args:
        console: Where to draw; by default standard output, treated as a terminal (the
            caller decided it is one, or was told to draw anyway). ``NO_COLOR`` is honoured.
        auto_refresh: Redraw `REFRESH_PER_SECOND` times a second from a thread. Without it
            the display is redrawn only by :meth:`refresh` (tests draw deterministically).
    """

    def __init__(self, console: Console | None = None, *, auto_refresh: bool = True) -> None:
        self.console = console or Console(force_terminal=True, highlight=False)
        self._auto_refresh = auto_refresh
        self._snapshot: Callable[[], Snapshot] | None = None
        self._live: Live | None = None
        self._ticker: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def is_live(self) -> bool:
        """Whether the live display is up."""
        return self._live is not None

    def start(self, header: str, snapshot: Callable[[], Snapshot]) -> None:
        """Print the header and put up the live display."""
        with _DRAWING:
            self.console.print(Text(header, style="bold"))
            self._snapshot = snapshot
            live = Live(
                console=self.console,
                auto_refresh=False,
                transient=True,
                get_renderable=self._render,
            )
            live.start(refresh=True)
            self._live = live
        if self._auto_refresh:
            self._stopping.clear()
            self._ticker = threading.Thread(
                target=self._tick, name="datamill-progress", daemon=True
            )
            self._ticker.start()

    def refresh(self) -> None:
        """Redraw the live display now."""
        with _DRAWING:
            if self._live is not None:
                self._live.refresh()

    def node_done(self, event: NodeDone) -> None:
        """Print the finished node above the display."""
        line = Text.assemble(
            (f"  [{event.done}/{event.total}] ", "dim"),
            (event.name, "green"),
            (f"  {event.seconds:.3f}s", "cyan"),
        )
        self._print(line)

    def node_failed(self, event: NodeFailed) -> None:
        """Print the failed node above the display, in red."""
        self._print(Text(event.plain(), style="bold red"))

    def summary(self, summary: Summary) -> None:
        """Take the display down and print the summary table and totals."""
        self.stop()
        with _DRAWING:
            if summary.slowest:
                self.console.print(_summary_table(summary))
            self.console.print(Text(summary.totals, style="bold"))
            if summary.outputs is not None:
                self.console.print(Text(summary.outputs))

    def stop(self) -> None:
        """Take the display down (it is erased) and show the cursor again; safe to repeat."""
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            self._stopping.set()
            ticker.join()
        with _DRAWING:
            live, self._live = self._live, None
            if live is not None:
                live.stop()

    def _tick(self) -> None:
        while not self._stopping.wait(1 / REFRESH_PER_SECOND):
            self.refresh()

    def _print(self, line: Text) -> None:
        with _DRAWING:
            self.console.print(line)

    def _render(self) -> RenderableType:
        if self._snapshot is None:
            return Text("")
        return render_snapshot(self._snapshot())


def render_snapshot(snapshot: Snapshot) -> RenderableType:
    """The live display of ``snapshot``: the progress bar line, then the running nodes."""
    bar = Table.grid(padding=(0, 1))
    cells: list[RenderableType] = [
        ProgressBar(total=snapshot.total or 1, completed=snapshot.done, width=BAR_WIDTH),
        Text(f"{snapshot.done}/{snapshot.total} nodes"),
        Text(_clock(snapshot.elapsed), style="yellow"),
    ]
    if snapshot.failed:
        cells.append(Text(f"{snapshot.failed} failed", style="bold red"))
    bar.add_row(*cells)
    running = Table.grid(padding=(0, 2))
    for name, seconds in snapshot.running[:RUNNING_ROWS]:
        running.add_row(Text("  running", style="dim"), Text(name), Text(f"{seconds:.1f}s"))
    parts: list[RenderableType] = [bar, running]
    hidden = len(snapshot.running) - RUNNING_ROWS
    if hidden > 0:
        parts.append(Text(f"  ... and {hidden} more running", style="dim"))
    return Group(*parts)


def _summary_table(summary: Summary) -> Table:
    table = Table(title=summary.heading, title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("Node")
    table.add_column("Time", justify="right")
    for name, seconds in summary.slowest:
        table.add_row(Text(name), f"{seconds:.3f}s")
    return table


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
