"""The process executor's workers follow the main process: they end when it ends, however
it ends, and their nodes stop when it is interrupted, even by a signal sent to it alone."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUARD = 60.0  # seconds a worker may take to end before the test fails

RUN = """\
import signal
import sys

from datamill import DataCatalog, MemoryDataset, Pipeline, node, run
from datamill.runner import ProcessExecutor
from tests.resources.runner_funcs import print_pid_and_hang

if sys.argv[2:] == ["restart"]:  # as after Polars installed its handler (pola-rs/polars#21739)
    signal.siginterrupt(signal.SIGINT, False)
pipe = Pipeline([node(print_pid_and_hang, "a", "b", name="hang")])
executor = ProcessExecutor(2, start_method=sys.argv[1])
try:
    run(pipe, DataCatalog({"a": MemoryDataset(1)}), executor=executor)
except KeyboardInterrupt:
    print("interrupted")
"""

pytestmark = pytest.mark.skipif(
    not hasattr(os, "pidfd_open"), reason="needs os.pidfd_open (Linux) to wait for a process"
)


def start_run(method: str, *, restart: bool = False) -> tuple[subprocess.Popen[str], str]:
    """Start a run whose node waits for ever in a worker; return once the node runs, with
    the worker's process id. With ``restart``, a SIGINT does not interrupt the main
    process's system calls (``SA_RESTART``): they go on after its handler."""
    main = subprocess.Popen(
        [sys.executable, "-c", RUN, method, *(["restart"] if restart else [])],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the workers are in its process group, for the clean-up
    )
    assert main.stdout is not None
    said = main.stdout.readline()  # the node's print: it is running in the worker
    if not said.strip().isdigit():
        _, err = main.communicate()
        pytest.fail(f"the run did not start its node: {said}{err}")
    return main, said.strip()


def clean_up(main: subprocess.Popen[str]) -> tuple[str, str]:
    """Kill whatever is left of the run; what it wrote."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(main.pid, signal.SIGKILL)
    return main.communicate()


@pytest.mark.parametrize("method", multiprocessing.get_all_start_methods())
def test_a_worker_ends_when_the_main_process_is_killed_in_the_middle_of_its_node(
    method: str,
) -> None:
    main, said = start_run(method)
    try:
        worker = os.pidfd_open(int(said))
        try:
            os.kill(main.pid, signal.SIGKILL)  # the main process alone, as the OOM killer does
            main.wait()

            ended, _, _ = select.select([worker], [], [], GUARD)  # readable once it has ended
        finally:
            os.close(worker)
        assert ended, f"worker {said} still runs {GUARD:.0f} s after the main process"
    finally:
        clean_up(main)


@pytest.mark.parametrize("restart", [False, True], ids=["default", "SA_RESTART"])
@pytest.mark.parametrize("method", multiprocessing.get_all_start_methods())
def test_a_sigint_to_the_main_process_alone_interrupts_the_node_running_in_a_worker(
    method: str, restart: bool
) -> None:
    main, _ = start_run(method, restart=restart)
    try:
        os.kill(main.pid, signal.SIGINT)  # as `kill -INT`: the worker is not signalled

        returncode = main.wait(timeout=GUARD)  # before: it waited for the node to end
    finally:
        out, err = clean_up(main)
    assert returncode == 0, err
    assert out == "interrupted\n"
