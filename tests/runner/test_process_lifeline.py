"""The process executor's workers end with the main process, however it ends."""

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
import sys

from datamill import DataCatalog, MemoryDataset, Pipeline, node, run
from datamill.runner import ProcessExecutor
from tests.resources.runner_funcs import print_pid_and_hang

pipe = Pipeline([node(print_pid_and_hang, "a", "b", name="hang")])
executor = ProcessExecutor(2, start_method=sys.argv[1])
run(pipe, DataCatalog({"a": MemoryDataset(1)}), executor=executor)
"""

pytestmark = pytest.mark.skipif(
    not hasattr(os, "pidfd_open"), reason="needs os.pidfd_open (Linux) to wait for a process"
)


@pytest.mark.parametrize("method", multiprocessing.get_all_start_methods())
def test_a_worker_ends_when_the_main_process_is_killed_in_the_middle_of_its_node(
    method: str,
) -> None:
    main = subprocess.Popen(
        [sys.executable, "-c", RUN, method],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the worker is in its process group, for the clean-up
    )
    try:
        assert main.stdout is not None
        said = main.stdout.readline()  # the node's print: it is running in the worker
        assert said.strip().isdigit(), main.communicate()
        worker = os.pidfd_open(int(said))
        try:
            os.kill(main.pid, signal.SIGKILL)  # the main process alone, as the OOM killer does
            main.wait()

            ended, _, _ = select.select([worker], [], [], GUARD)  # readable once it has ended
        finally:
            os.close(worker)
        assert ended, f"worker {said.strip()} still runs {GUARD:.0f} s after the main process"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(main.pid, signal.SIGKILL)
        main.communicate()
