"""The runner layer: one scheduler loop, pluggable executors, hook dispatch."""

from typing import TYPE_CHECKING, Any

from datamill.runner._executors import (
    EXECUTORS,
    Done,
    Executor,
    SequentialExecutor,
    ThreadExecutor,
    create_executor,
)
from datamill.runner._job import NodeJob
from datamill.runner._run import RemoteTraceback, find_problems, new_run_id, run, run_with

__all__ = [
    "EXECUTORS",
    "Done",
    "Executor",
    "NodeJob",
    "ProcessExecutor",
    "RemoteTraceback",
    "SequentialExecutor",
    "ThreadExecutor",
    "create_executor",
    "find_problems",
    "new_run_id",
    "run",
    "run_with",
]

if TYPE_CHECKING:
    from datamill.runner._process import ProcessExecutor


def __getattr__(name: str) -> Any:
    # multiprocessing is imported only when the process executor is used (fast start).
    if name == "ProcessExecutor":
        from datamill.runner._process import ProcessExecutor

        return ProcessExecutor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
