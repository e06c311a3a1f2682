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
from datamill.runner._incremental import Decision
from datamill.runner._job import NodeJob
from datamill.runner._run import RemoteTraceback, find_problems, new_run_id, run, run_with
from datamill.runner._tracking import RunInfo, Tracking

__all__ = [
    "EXECUTORS",
    "Decision",
    "Done",
    "Executor",
    "NodeJob",
    "ProcessExecutor",
    "RemoteTraceback",
    "RunInfo",
    "SequentialExecutor",
    "ThreadExecutor",
    "Tracking",
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
