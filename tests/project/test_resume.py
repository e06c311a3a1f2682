"""``datamill run --resume`` after the run's process was killed (SIGKILL) in the middle of a node.

The project's ``chain`` pipeline has 50 nodes, each saving its output to a JSON file and
appending its name to a log when its function completes (so that executions can be counted).
It is a chain with five diamonds (a fan-out to two nodes, then a fan-in), where the thread and
process executors run two nodes at once. The node the run is killed in is never a diamond's
branch: every other node is either upstream of it or downstream, so while it runs no other
node does, and "the nodes that finished" is exactly its ancestors, whatever the executor.

Synchronisation is by named pipes, never by time: the chosen node (or the save of its output)
writes a line to the ``ready`` pipe, which the test reads, then opens the ``wait`` pipe for
reading, which blocks until the test kills the process group (nobody ever writes to it).
Every ``datamill`` command runs in a subprocess, as a user would run it.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import select
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Final, TextIO

import pytest

from datamill.errors import ProjectError
from datamill.journal import Journal, RunDetail, RunStart, RunSummary
from datamill.project import Session
from tests.project.conftest import PACKAGE, Project, build_project

NODES: Final = 50
DIAMONDS: Final = (8, 16, 24, 32, 40)  # nodes d and d+1 both read n{d-1}; node d+2 joins them
BRANCHES: Final = frozenset(d + k for d in DIAMONDS for k in (0, 1))
SEED_TOTAL: Final = 1
SEED: Final = {"node": "seed", "total": SEED_TOTAL}
GUARD: Final = 120  # seconds: only ends a hung command; no assertion depends on time
INTERRUPTED_EXIT: Final = 130  # datamill's exit code after Ctrl-C, as shells report SIGINT
TERMINATED_EXIT: Final = 143  # and after SIGTERM
HUNG_UP_EXIT: Final = 129  # and after SIGHUP
EXIT_AFTER = {
    signal.SIGKILL: -signal.SIGKILL,
    signal.SIGINT: INTERRUPTED_EXIT,
    signal.SIGTERM: TERMINATED_EXIT,
    signal.SIGHUP: HUNG_UP_EXIT,
}

EXECUTORS: Final = [
    pytest.param(["sequential"], id="sequential"),
    pytest.param(["thread", "--workers", "2"], id="thread"),
    pytest.param(["process", "--workers", "2"], id="process"),
]  # the options of `datamill run` for each executor

needs_fifos = pytest.mark.skipif(
    not hasattr(os, "mkfifo") or not hasattr(os, "killpg"),
    reason="needs os.mkfifo (named pipes) and os.killpg, which Windows lacks",
)

HALT = """\
import os


def halt(what):
    # Tell the test what is running, then wait for a line nobody ever writes: the test
    # kills the process group here.
    with open(os.environ["MILL_READY_FIFO"], "w", encoding="utf-8") as ready:
        ready.write(what + "\\n")
    with open(os.environ["MILL_WAIT_FIFO"], encoding="utf-8") as wait:
        wait.readline()
"""

HALTING_DATASET = """\
import json
import os
from pathlib import PurePath

from datamill.datasets.json import JSONDataset
from PACKAGE.halt import halt


class HaltingJSONDataset(JSONDataset):
    \"\"\"A JSON file whose save stops half-way when MILL_HALT_SAVING names it.\"\"\"

    def _write(self, data, stream):
        text = json.dumps(data, indent=2).encode("utf-8")
        name = PurePath(self.filepath).stem
        if os.environ.get("MILL_HALT_SAVING") != name:
            stream.write(text)
            return
        stream.write(text[: len(text) // 2])
        stream.flush()
        halt("saving " + name)
""".replace("PACKAGE", PACKAGE)

PIPELINE = """\
import functools
import os

from datamill import Pipeline, node
from PACKAGE.halt import halt

LOG = LOG_PATH
PARENTS = PARENT_LISTS


def _starting(name):
    if os.environ.get("MILL_HALT_IN") == name:
        halt(name)
    if os.environ.get("MILL_FAIL_IN") == name:
        raise RuntimeError("asked to fail in " + name)


def _completed(name):
    with open(LOG, "a", encoding="utf-8") as log:
        log.write(name + "\\n")  # one write: appends from several processes never interleave


def first(name, index, seed, bump):
    _starting(name)
    value = {"node": name, "total": seed["total"] + index + bump}
    _completed(name)
    return value


def step(name, index, previous):
    _starting(name)
    value = {"node": name, "total": previous["total"] + index}
    _completed(name)
    return value


def join(name, index, left, right):
    _starting(name)
    value = {"node": name, "total": left["total"] + right["total"] + index}
    _completed(name)
    return value


def create_pipeline(**kwargs):
    nodes = [node(functools.partial(first, "n0", 0), ["seed", "params:bump"], "n0", name="n0")]
    for index, parents in enumerate(PARENTS[1:], start=1):
        name = f"n{index}"
        func = join if len(parents) == 2 else step
        inputs = [f"n{p}" for p in parents]
        nodes.append(node(functools.partial(func, name, index), inputs, name, name=name))
    return Pipeline(nodes)
""".replace("PACKAGE", PACKAGE)


def parents(index: int) -> list[int]:
    """The nodes whose outputs node ``index`` reads."""
    if index == 0:
        return []
    for d in DIAMONDS:
        if index in {d, d + 1}:
            return [d - 1]
        if index == d + 2:
            return [d, d + 1]
    return [index - 1]


def ancestors(index: int) -> set[int]:
    found: set[int] = set()
    stack = parents(index)
    while stack:
        if (p := stack.pop()) not in found:
            found.add(p)
            stack += parents(p)
    return found


def halted_node(seed: str) -> int:
    """The node to kill the run in, chosen by a seeded random (never a diamond's branch)."""
    candidates = [i for i in range(5, 45) if i not in BRANCHES]
    return random.Random(seed).choice(candidates)


def expected_outputs(indices: Iterable[int], bump: int = 0) -> dict[str, object]:
    """What each node's JSON file holds after a correct run, by path under ``data/``."""
    totals: list[int] = []
    for i in range(NODES):
        upstream = [totals[p] for p in parents(i)] if i else [SEED_TOTAL + bump]
        totals.append(sum(upstream) + i)
    return {f"02_intermediate/n{i}.json": {"node": f"n{i}", "total": totals[i]} for i in indices}


def names(indices: Iterable[int]) -> list[str]:
    return [f"n{i}" for i in indices]


def catalog(halting: Iterable[int] = ()) -> str:
    special = set(halting)
    entries = ["seed:\n  type: json.JSONDataset\n  filepath: data/01_raw/seed.json\n"]
    for i in range(NODES):
        kind = f"{PACKAGE}.halting.HaltingJSONDataset" if i in special else "json.JSONDataset"
        entries.append(f"n{i}:\n  type: {kind}\n  filepath: data/02_intermediate/n{i}.json\n")
    return "".join(entries)


class Chain:
    """The project on disk, and ``datamill`` commands run in it as subprocesses."""

    def __init__(self, project: Project, scratch: Path) -> None:
        self.project = project
        self.root = project.root
        self.scratch = scratch
        self.log = scratch / "ran.log"
        self.journal_path = self.root / ".datamill" / "journal.db"

    def datamill(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """Run ``datamill ARGS...`` in the project to its end."""
        return subprocess.run(
            [sys.executable, "-m", "datamill", *args],
            cwd=self.root,
            env=_environment(env),
            capture_output=True,
            text=True,
            timeout=GUARD,
            check=False,
        )

    def kill_when_halted(self, args: Iterable[str], expected: str, **env: str) -> None:
        """Start ``datamill ARGS...``; once it says ``expected`` is running, SIGKILL it all.

        The command runs in a session of its own, so that killing its process group kills
        the executor's worker processes too.
        """
        self.signal_when_halted(args, expected, signal.SIGKILL, alone=False, terminal=False, **env)

    def signal_when_halted(
        self,
        args: Iterable[str],
        expected: str,
        sent: signal.Signals,
        *,
        alone: bool = False,
        terminal: bool = False,
        **env: str,
    ) -> str:
        """Start ``datamill ARGS...``; once it says ``expected`` is running, send ``sent``
        to its process group (as Ctrl-C on a terminal sends SIGINT to every process of the
        command), or to its main process ``alone`` (as ``kill`` does), let it end, and
        return what it wrote to standard error. A command that has not ended by itself
        `GUARD` seconds later is killed, and the test fails.

        With ``terminal``, the command runs on a terminal of its own, which is closed
        before ``sent`` is sent, as closing a terminal window does (see `_Terminal`); what
        the terminal showed until then is returned.
        """
        ready, wait = self.scratch / "ready.fifo", self.scratch / "wait.fifo"
        for fifo in (ready, wait):
            fifo.unlink(missing_ok=True)
            os.mkfifo(fifo)
        env = {**env, "MILL_READY_FIFO": str(ready), "MILL_WAIT_FIFO": str(wait)}
        command_line = [sys.executable, "-m", "datamill", *args]
        out, err = self.scratch / "killed.out", self.scratch / "killed.err"
        with contextlib.ExitStack() as stack:
            lines, keep_open = stack.enter_context(_fifo_lines(ready))
            screen = stack.enter_context(_Terminal()) if terminal else None
            o, e = stack.enter_context(out.open("w")), stack.enter_context(err.open("w"))
            command = subprocess.Popen(
                command_line if screen is None else screen.command_line(command_line),
                cwd=self.root,
                env=_environment(env),
                stdin=subprocess.DEVNULL,
                stdout=o,
                stderr=e,
                start_new_session=screen is None,  # on the terminal, a session of its own too
            )
            watcher = threading.Thread(target=_say_when_exited, args=(command, keep_open))
            watcher.start()
            try:
                said = lines.readline()
            finally:
                if screen is not None:
                    e.write(screen.close())
                if alone:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(command.pid, sent)
                    command.wait()  # the watcher kills the group if it does not end by itself
                else:
                    _signal_group(command, sent)
                watcher.join()
        assert said == f"{expected}\n", err.read_text(encoding="utf-8")
        assert command.returncode == EXIT_AFTER[sent], err.read_text(encoding="utf-8")
        return err.read_text(encoding="utf-8")

    def stopped_in(self, k: int, error: str) -> RunDetail:
        """The latest run, checked as stopped in node ``n{k}``: ``interrupted``, with
        ``error``; the ``k`` nodes upstream ran, ``n{k}`` was interrupted, the rest were not
        reached."""
        with Journal(self.journal_path) as journal:
            run = journal.run("latest")
        assert (run.status, run.error) == ("interrupted", error)
        statuses = Counter(n.status for n in run.nodes)
        assert statuses == Counter({"ran": k, "interrupted": 1, "not_reached": NODES - k - 1})
        return run

    def resume(self, resumed: RunSummary | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``datamill run --resume`` and check it: it succeeded, said it resumed run
        ``resumed`` (when given), every node has now completed exactly once over all runs,
        and every output file is whole and right."""
        result = self.datamill("run", "--resume")
        assert result.returncode == 0, result.stderr
        if resumed is not None:
            said = f"Resuming run {resumed.run_id} ({resumed.status}, started "
            assert result.stdout.startswith(said), result.stdout
        assert self.ran() == Counter(names(range(NODES)))  # every node completed exactly once
        assert self.files() == {"01_raw/seed.json": SEED, **expected_outputs(range(NODES))}
        return result

    def ran(self) -> Counter[str]:
        """How many times each node's function completed, over every run so far."""
        if not self.log.exists():
            return Counter()
        return Counter(self.log.read_text(encoding="utf-8").split())

    def files(self) -> dict[str, object]:
        """Every visible file under ``data/``, parsed as JSON (a partial file fails here)."""
        data = self.root / "data"
        return {
            path.relative_to(data).as_posix(): json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(data.rglob("*"))
            if path.is_file() and not path.name.startswith(".")
        }

    def hidden_files(self) -> list[str]:
        data = self.root / "data"
        return sorted(
            path.relative_to(data).as_posix() for path in data.rglob(".*") if path.is_file()
        )

    def nodes(self, run_id: str) -> dict[str, tuple[str, str | None]]:
        """Each node's status and reason in run ``run_id``."""
        with Journal(self.journal_path) as journal:
            return {n.node_name: (n.status, n.reason) for n in journal.nodes(run_id)}


def _environment(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MILL_")}
    return {**env, **extra}


@contextlib.contextmanager
def _fifo_lines(path: Path) -> Iterator[tuple[TextIO, int]]:
    """The lines written to the named pipe at ``path``, and a write end of our own.

    The read end opens without waiting for a writer; keeping a write end open makes a read
    wait for a line (never an early end of file) and lets the test write one itself.
    """
    read_end = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    write_end = os.open(path, os.O_WRONLY)
    os.set_blocking(read_end, True)
    with os.fdopen(read_end, encoding="utf-8") as lines:
        try:
            yield lines, write_end
        finally:
            os.close(write_end)


class _Terminal:
    """A pseudo-terminal for a command to run on, with a thread that reads what the command
    writes to it (so that the command never waits for a full terminal)."""

    def __init__(self) -> None:
        import pty  # not on Windows

        self._screen, self._tty = pty.openpty()
        self._stop_reading, self._stop = os.pipe()
        self._shown = bytearray()
        self._closed = False
        self._reader = threading.Thread(target=self._read)
        self._reader.start()

    def __enter__(self) -> _Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def command_line(self, command_line: list[str]) -> list[str]:
        """``command_line`` run in a session of its own, whose controlling terminal, standard
        input, output and error this terminal is, as a shell runs a command."""
        return [sys.executable, "-c", _ON_TERMINAL, os.ttyname(self._tty), *command_line]

    def close(self) -> str:
        """Close the terminal, as closing its window does: the kernel sends SIGHUP to the
        command (its session's leader), and what the command writes to it from then on
        fails. Return what the terminal showed."""
        if not self._closed:
            self._closed = True
            os.write(self._stop, b"\n")
            self._reader.join()
            for fd in (self._screen, self._tty, self._stop_reading, self._stop):
                os.close(fd)
        return self._shown.decode("utf-8", errors="replace")

    def _read(self) -> None:
        while True:
            readable, _, _ = select.select([self._screen, self._stop_reading], [], [])
            if self._stop_reading in readable:
                return
            self._shown += os.read(self._screen, 65536)


_ON_TERMINAL: Final = (
    "import os, sys; os.login_tty(os.open(sys.argv[1], os.O_RDWR)); "
    "os.execv(sys.argv[2], sys.argv[2:])"
)


def _say_when_exited(command: subprocess.Popen[bytes], write_end: int) -> None:
    # If the command ends before it halts (say, it failed to start) or hangs elsewhere, the
    # test must not wait forever for its line: this line ends the wait instead.
    try:
        command.wait(timeout=GUARD)
    except subprocess.TimeoutExpired:
        _kill_group(command)
    os.write(write_end, b"(the command exited)\n")


def _kill_group(command: subprocess.Popen[bytes]) -> None:
    _signal_group(command, signal.SIGKILL)


def _signal_group(command: subprocess.Popen[bytes], sent: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(command.pid, sent)
    command.wait()  # the watcher kills the group if it does not end by itself


@pytest.fixture
def chain(tmp_path: Path) -> Chain:
    """A project whose ``chain`` pipeline has 50 nodes, each saving a JSON file."""
    project = build_project(tmp_path / "crash")
    project.write("conf/base/catalog.yml", catalog())
    project.write("conf/base/parameters.yml", "bump: 0\n")
    (project.root / "data/01_raw/raw.json").unlink()  # the template's: not this pipeline's
    project.write("data/01_raw/seed.json", json.dumps(SEED))
    project.write_package("halt.py", HALT)
    project.write_package("halting.py", HALTING_DATASET)
    log = (tmp_path / "ran.log").as_posix()
    parent_lists = [parents(i) for i in range(NODES)]
    text = PIPELINE.replace("LOG_PATH", repr(log)).replace("PARENT_LISTS", repr(parent_lists))
    project.write_package("pipelines/chain/__init__.py", text)
    return Chain(project, tmp_path)


# -- killed runs ---------------------------------------------------------------------------------


@needs_fifos
@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_run_killed_in_a_node_resumes_without_rerunning_a_finished_node(
    chain: Chain, executor: list[str]
) -> None:
    k = halted_node(executor[0])
    assert ancestors(k) == set(range(k))  # so nothing else runs while node k does
    args = ["run", "--pipeline", "chain", "--executor", *executor]

    chain.kill_when_halted(args, f"n{k}", MILL_HALT_IN=f"n{k}")

    with Journal(chain.journal_path) as journal:
        crashed = journal.run("latest")
    assert (crashed.status, crashed.executor) == ("crashed", executor[0])  # its process is gone
    assert chain.nodes(crashed.run_id) == dict.fromkeys(
        names(range(k)), ("ran", "no successful run recorded")
    )
    assert chain.ran() == Counter(names(range(k)))
    assert chain.files() == {"01_raw/seed.json": SEED, **expected_outputs(range(k))}
    assert chain.hidden_files() == []

    resumed = chain.datamill("run", "--resume")

    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.startswith(f"Resuming run {crashed.run_id} (crashed, started ")
    assert chain.ran() == Counter(names(range(NODES)))  # every node completed exactly once
    with Journal(chain.journal_path) as journal:
        latest = journal.run("latest")
    assert latest.run_id != crashed.run_id
    assert (latest.status, latest.executor) == ("succeeded", executor[0])
    assert latest.options == crashed.options
    assert chain.nodes(latest.run_id) == {
        **dict.fromkeys(names(range(k)), ("skipped", "unchanged")),
        **dict.fromkeys(names(range(k, NODES)), ("ran", "no successful run recorded")),
    }
    assert chain.files() == {"01_raw/seed.json": SEED, **expected_outputs(range(NODES))}
    assert chain.hidden_files() == []


@needs_fifos
@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_run_interrupted_by_ctrl_c_says_how_to_resume_and_resumes(
    chain: Chain, executor: list[str]
) -> None:
    k = halted_node(f"interrupt {executor[0]}")
    args = ["run", "--pipeline", "chain", "--no-progress", "--executor", *executor]

    stderr = chain.signal_when_halted(args, f"n{k}", signal.SIGINT, MILL_HALT_IN=f"n{k}")

    interrupted = chain.stopped_in(k, "KeyboardInterrupt")
    [stopped] = [n for n in interrupted.nodes if n.status == "interrupted"]
    assert stopped.node_name == f"n{k}"
    assert stopped.error == interrupted.error == "KeyboardInterrupt"
    assert stopped.duration is not None
    assert stopped.started is not None
    assert stopped.ended is not None
    assert (interrupted.nodes_interrupted, interrupted.nodes_not_reached) == (1, NODES - k - 1)
    assert stderr == (
        f"\nInterrupted: run {interrupted.run_id} stopped in 'n{k}', with {k} of {NODES} node(s) "
        "done. "
        "To finish it: datamill run --resume\n"
    )  # no traceback, from the main process or from a worker
    assert chain.ran() == Counter(names(range(k)))

    chain.resume(interrupted)


@needs_fifos
@pytest.mark.parametrize("executor", EXECUTORS)
def test_sigterm_to_the_datamill_process_alone_stops_the_run_as_ctrl_c_does(
    chain: Chain, executor: list[str]
) -> None:
    k = halted_node(f"terminate {executor[0]}")
    args = ["run", "--pipeline", "chain", "--no-progress", "--executor", *executor]

    stderr = chain.signal_when_halted(
        args, f"n{k}", signal.SIGTERM, alone=True, MILL_HALT_IN=f"n{k}"
    )

    terminated = chain.stopped_in(k, "Terminated: the process received SIGTERM")
    [interrupted] = [n for n in terminated.nodes if n.status == "interrupted"]
    assert interrupted.peak_memory is not None  # the process executor's: its worker's
    assert interrupted.peak_memory > 1_000_000  # a Python process's, in bytes
    assert stderr == (
        f"\nTerminated: run {terminated.run_id} stopped in 'n{k}', with {k} of {NODES} "
        "node(s) done. To finish it: datamill run --resume\n"
    )
    assert chain.hidden_files() == []

    chain.resume()


@needs_fifos
@pytest.mark.parametrize("executor", EXECUTORS)
def test_closing_the_terminal_stops_the_run_as_ctrl_c_does(
    chain: Chain, executor: list[str]
) -> None:
    k = halted_node(f"hang up {executor[0]}")
    args = ["run", "--pipeline", "chain", "--executor", *executor]  # the live display

    shown = chain.signal_when_halted(
        args, f"n{k}", signal.SIGHUP, terminal=True, MILL_HALT_IN=f"n{k}"
    )

    hung_up = chain.stopped_in(k, "Terminated: the process received SIGHUP")
    assert "Running pipeline 'chain'" in shown  # it ran on the terminal
    log = (chain.root / "logs" / "datamill.log").read_text(encoding="utf-8")
    assert log.endswith(
        f"Terminated: run {hung_up.run_id} stopped in 'n{k}', with {k} of {NODES} node(s) "
        "done. To finish it: datamill run --resume\n"
    )  # where a user whose terminal was closed finds it
    assert chain.hidden_files() == []

    chain.resume()


@needs_fifos
def test_a_run_killed_while_saving_leaves_no_partial_file(chain: Chain) -> None:
    k = halted_node("save")
    chain.project.write("conf/base/catalog.yml", catalog(halting=[k]))

    chain.kill_when_halted(["run", "--pipeline", "chain"], f"saving n{k}", MILL_HALT_SAVING=f"n{k}")

    # Node k's function completed, but its output was half written when the run died: the
    # target file does not exist, and the half is in a hidden temporary file beside it.
    assert chain.ran() == Counter(names(range(k + 1)))
    assert chain.files() == {"01_raw/seed.json": SEED, **expected_outputs(range(k))}
    [leftover] = chain.hidden_files()
    assert leftover.startswith(f"02_intermediate/.n{k}.json.")
    assert leftover.endswith(".tmp")
    half = (chain.root / "data" / leftover).read_text(encoding="utf-8")
    with pytest.raises(json.JSONDecodeError):
        json.loads(half)
    with Journal(chain.journal_path) as journal:
        crashed = journal.run("latest")
    assert crashed.status == "crashed"
    assert set(chain.nodes(crashed.run_id)) == set(names(range(k)))

    resumed = chain.datamill("run", "--resume")

    assert resumed.returncode == 0, resumed.stderr
    # Node k runs again: its first execution never saved its output.
    assert chain.ran() == Counter(names(range(NODES))) + Counter([f"n{k}"])
    assert chain.files() == {"01_raw/seed.json": SEED, **expected_outputs(range(NODES))}
    # The run that wrote it is dead: the resumed run removed its temporary file, and said so
    # in the project's log.
    assert chain.hidden_files() == []
    log = (chain.root / "logs" / "datamill.log").read_text(encoding="utf-8")
    assert (
        "INFO datamill.runner: Removed 1 temporary file(s) left by saves that were killed: "
        f"{chain.root / 'data' / leftover}"
    ) in log


# -- what --resume resumes -----------------------------------------------------------------------


def test_resume_finishes_the_latest_failed_run_even_after_a_successful_one(chain: Chain) -> None:
    failed = chain.datamill("run", "--pipeline", "chain", MILL_FAIL_IN="n20")
    assert failed.returncode == 1
    assert "asked to fail in n20" in failed.stderr
    assert chain.datamill("run", "--pipeline", "chain", "--nodes", "n3").returncode == 0
    with Journal(chain.journal_path) as journal:
        latest, first = journal.runs(limit=2)
    assert (first.status, latest.status) == ("failed", "succeeded")

    chain.resume(first)

    with Journal(chain.journal_path) as journal:
        resume = journal.run("latest")
    assert (resume.status, resume.resumes) == ("succeeded", first.run_id)
    shown = chain.datamill("runs", "show", resume.run_id)
    assert f"Resumes:     {first.run_id}" in shown.stdout

    # The resume finished the failed run: there is nothing left to resume.
    again = chain.datamill("run", "--resume")

    assert again.returncode == 1
    assert "has no failed, interrupted or crashed run left to finish" in again.stderr
    assert chain.ran() == Counter(names(range(NODES)))


def test_a_resume_that_fails_is_what_the_next_resume_finishes(chain: Chain) -> None:
    assert chain.datamill("run", "--pipeline", "chain", MILL_FAIL_IN="n20").returncode == 1
    assert chain.datamill("run", "--resume", MILL_FAIL_IN="n30").returncode == 1
    with Journal(chain.journal_path) as journal:
        failed_resume, first = journal.runs(limit=2)
    assert (failed_resume.status, failed_resume.resumes) == ("failed", first.run_id)

    chain.resume(failed_resume)


@pytest.mark.parametrize(
    ("run_all", "why"),
    [
        (["--force"], "forced in the resumed run"),
        (["--no-incremental"], "incremental runs were off in the resumed run"),
    ],
)
def test_resuming_a_run_that_ran_everything_runs_everything_it_did_not_finish(
    chain: Chain, run_all: list[str], why: str
) -> None:
    assert chain.datamill("run", "--pipeline", "chain").returncode == 0
    failed = chain.datamill("run", "--pipeline", "chain", *run_all, MILL_FAIL_IN="n20")
    assert failed.returncode == 1
    chain.log.unlink()

    resumed = chain.datamill("run", "--resume")

    # Every node is unchanged since the first run, but the failed run was told to run them
    # all: its resume runs the ones it did not finish, and only those.
    assert resumed.returncode == 0, resumed.stderr
    assert chain.ran() == Counter(names(range(20, NODES)))
    with Journal(chain.journal_path) as journal:
        resume = journal.run("latest")
    assert {n.node_name: n.reason for n in resume.nodes if n.status == "ran"}["n20"] == why
    assert f"  n20: {why}\n" in resumed.stdout  # the summary's "Why they ran"


def test_resume_without_any_recorded_run_says_there_is_nothing_to_resume(chain: Chain) -> None:
    result = chain.datamill("run", "--resume")

    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line == (
        f"Error: Nothing to resume: there is no journal at {chain.journal_path} yet (no run "
        "was recorded). Run the pipeline first."
    )
    assert not chain.journal_path.exists()
    assert chain.ran() == Counter()


def test_resume_of_an_unknown_run_suggests_the_closest_recorded_one(chain: Chain) -> None:
    assert chain.datamill("run", "--pipeline", "chain", "--nodes", "n0").returncode == 0
    with Journal(chain.journal_path) as journal:
        run_id = journal.run("latest").run_id
    typo = run_id[:-1] + ("0" if run_id[-1] != "0" else "1")  # not a prefix of the id

    result = chain.datamill("run", "--resume", typo)

    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert f"Run {typo!r} is not in the journal" in line
    assert f"Did you mean {run_id!r}?" in line
    assert chain.ran() == Counter(["n0"])


def test_resume_when_every_run_succeeded_says_there_is_nothing_to_resume(chain: Chain) -> None:
    assert chain.datamill("run", "--pipeline", "chain", "--nodes", "n0").returncode == 0
    with Journal(chain.journal_path) as journal:
        run_id = journal.run("latest").run_id

    result = chain.datamill("run", "--resume")

    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line == (
        f"Error: Nothing to resume: the journal {chain.journal_path} has no failed, interrupted "
        f"or crashed run left to finish (the latest run, {run_id!r}, succeeded). To run again "
        "with a finished run's options, give its id."
    )
    resumed = chain.datamill("run", "--resume", run_id)  # by id: runs again with its options
    assert resumed.returncode == 0, resumed.stderr
    assert "Skipped 1 node(s), unchanged: n0" in resumed.stdout
    assert chain.ran() == Counter(["n0"])


def test_datamill_run_resume_of_a_running_run_fails_and_runs_nothing(chain: Chain) -> None:
    with Journal(chain.journal_path) as journal:  # a run of this (live) test process
        journal.start_run(RunStart("r1", "chain"))

    result = chain.datamill("run", "--resume", "r1")

    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: Run 'r1' of pipeline 'chain' is still running (process ")
    assert "kill -TERM" in line
    assert chain.ran() == Counter()
    with Journal(chain.journal_path) as journal:
        assert [run.run_id for run in journal.runs()] == ["r1"]


def test_resume_refuses_options_it_would_ignore(chain: Chain) -> None:
    result = chain.datamill("run", "--resume", "--params", "bump=3", "--tags", "x", "-w", "2")

    assert result.returncode == 2
    assert (
        "--resume finishes a run with the options it was started with, so --tags, --params "
        "cannot be given with it (only --executor and --workers can)."
    ) in " ".join(result.stderr.split())
    assert not chain.journal_path.exists()


def test_a_resumed_run_keeps_the_parameters_it_was_started_with(chain: Chain) -> None:
    failed = chain.datamill("run", "--pipeline", "chain", "--params", "bump=5", MILL_FAIL_IN="n20")
    assert failed.returncode == 1

    # Without --resume, the configured bump (0) differs from the run's (5)...
    fresh = chain.datamill("run", "--pipeline", "chain", "--explain")
    assert re.search(r"^\s+run\s+n0\s+parameter bump changed$", fresh.stdout, re.MULTILINE)
    # ... with it, the run's bump is used again: only what did not finish would run.
    explained = chain.datamill("run", "--resume", "--explain")
    assert explained.returncode == 0, explained.stderr
    assert f"{NODES - 20} of {NODES} node(s) would run:" in explained.stdout
    assert re.search(r"^\s+skip\s+n0\s+unchanged$", explained.stdout, re.MULTILINE)

    resumed = chain.datamill("run", "--resume")

    assert resumed.returncode == 0, resumed.stderr
    with Journal(chain.journal_path) as journal:
        latest = journal.run("latest")
    assert latest.options["params"] == {"bump": 5}
    assert latest.parameters["bump"] == 5
    assert chain.ran() == Counter(names(range(NODES)))
    assert chain.files() == {"01_raw/seed.json": SEED, **expected_outputs(range(NODES), bump=5)}


def test_session_resume_needs_the_runs_parameters_and_says_how_to_open_it(chain: Chain) -> None:
    failed = chain.datamill("run", "--pipeline", "chain", "--params", "bump=5", MILL_FAIL_IN="n20")
    assert failed.returncode == 1

    with Session.create(chain.root) as session, pytest.raises(ProjectError) as raised:
        session.resume()
    message = str(raised.value)
    assert "was made with env='local' and params={'bump': 5}" in message
    assert "but this session has env='local' and params={}" in message
    suggested = f"Session.create({str(chain.root)!r}, env='local', runtime_params={{'bump': 5}})"
    assert suggested in message

    with Session.create(chain.root, env="local", runtime_params={"bump": 5}) as session:
        assert session.resume_options()["params"] == {"bump": 5}
        session.resume()
        assert [name for name, d in session.last_plan.items() if d.runs] == names(range(20, NODES))
    assert chain.ran() == Counter(names(range(NODES)))
