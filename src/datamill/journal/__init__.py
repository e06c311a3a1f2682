"""The run journal: every run of a project, its nodes, fingerprints and datasets, in SQLite.

The runner records each run as it goes (`Journal.start_run`, `Journal.record_node`,
`Journal.record_partition`, `Journal.finish_run`); the skip and resume logic, lineage and
run comparisons read it back as frozen records. A project keeps its journal in
``.datamill/journal.db``. The package uses the standard library only.

Example:
    >>> from datamill.journal import Journal
    >>> with Journal(".datamill/journal.db") as journal:  # doctest: +SKIP
    ...     for run in journal.runs(limit=5):
    ...         print(run.run_id, run.status, run.nodes_ran, run.duration)
"""

from datamill.journal._diff import Change, RunDiff
from datamill.journal._git import git_state
from datamill.journal._journal import DEFAULT_BUSY_TIMEOUT, DEFAULT_PATH, Journal
from datamill.journal._prune import PruneReport
from datamill.journal._records import (
    DatasetRecord,
    DatasetRole,
    FinalStatus,
    NodeRecord,
    NodeStatus,
    PartitionCount,
    PartitionRecord,
    Producer,
    RunDetail,
    RunStart,
    RunStatus,
    RunSummary,
)
from datamill.journal._schema import SCHEMA_VERSION

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "DEFAULT_PATH",
    "SCHEMA_VERSION",
    "Change",
    "DatasetRecord",
    "DatasetRole",
    "FinalStatus",
    "Journal",
    "NodeRecord",
    "NodeStatus",
    "PartitionCount",
    "PartitionRecord",
    "Producer",
    "PruneReport",
    "RunDetail",
    "RunDiff",
    "RunStart",
    "RunStatus",
    "RunSummary",
    "git_state",
]
