"""The process executor's start methods and its checks of what can reach a worker."""

from __future__ import annotations

import multiprocessing
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

from datamill import DataCatalog, MemoryDataset, Pipeline, node, run
from datamill.runner import ProcessExecutor
from datamill.runner._process import _default_start_method
from tests.resources import runner_funcs as f

START_METHODS = multiprocessing.get_all_start_methods()


@pytest.mark.parametrize("method", START_METHODS)
def test_every_start_method_runs_a_pipeline(method: str) -> None:
    pipe = Pipeline([node(f.inc, "a", "b"), node(f.add, ["a", "b"], "c")])
    catalog = DataCatalog({"a": MemoryDataset(1)})
    assert run(pipe, catalog, executor=ProcessExecutor(2, start_method=method)) == {"c": 3}


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="SIGHUP is a POSIX signal")
@pytest.mark.parametrize("method", START_METHODS)
def test_workers_leave_a_closed_terminal_to_the_main_process(method: str) -> None:
    # Closing a terminal sends SIGHUP to every process of the command: the main process
    # stops the run (`datamill run` interrupts its nodes); a worker must not die of it.
    pipe = Pipeline([node(f.hang_up, "a", "b"), node(f.inc, "b", "c")])
    catalog = DataCatalog({"a": MemoryDataset(1)})
    assert run(pipe, catalog, executor=ProcessExecutor(1, start_method=method)) == {"c": 2}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is the default on Linux")
def test_fork_is_the_default_while_the_process_has_one_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert _default_start_method() == "fork"
    monkeypatch.setattr(threading, "active_count", lambda: 3)
    assert _default_start_method() == "forkserver"


INTERACTIVE = textwrap.dedent(
    """
    import sys
    from datamill import DataCatalog, MemoryDataset, Pipeline, node, run
    from datamill.errors import RunnerError
    from datamill.runner import ProcessExecutor

    def double(x):
        return 2 * x

    pipe = Pipeline([node(double, "a", "b", name="doubler")])
    try:
        result = run(pipe, DataCatalog({"a": MemoryDataset(21)}),
                     executor=ProcessExecutor(1, start_method=sys.argv[1]))
    except RunnerError as exc:
        print(exc)
    else:
        print(result)
    """
)


def run_interactive(method: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", INTERACTIVE, method],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return completed.stdout


@pytest.mark.skipif("forkserver" not in START_METHODS, reason="needs the forkserver method")
def test_functions_from_an_interactive_session_are_refused_when_workers_cannot_import_them() -> (
    None
):
    out = run_interactive("forkserver")
    assert "node 'doubler' cannot be sent to a worker process" in out
    assert "defined in an interactive session (__main__)" in out
    assert "start_method='fork'" in out


@pytest.mark.skipif("fork" not in START_METHODS, reason="needs the fork method")
def test_functions_from_an_interactive_session_run_on_forked_workers() -> None:
    assert run_interactive("fork").strip() == "{'b': 42}"
