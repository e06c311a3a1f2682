"""The runner layer: one scheduler loop, pluggable executors, hook dispatch."""

from datamill.runner._executors import (
    EXECUTORS,
    Done,
    Executor,
    SequentialExecutor,
    ThreadExecutor,
    create_executor,
)
from datamill.runner._job import NodeJob
from datamill.runner._process import ProcessExecutor
from datamill.runner._run import RemoteTraceback, new_run_id, run, run_with

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
    "new_run_id",
    "run",
    "run_with",
]
