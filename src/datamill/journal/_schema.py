"""The journal's tables, and the steps that bring an older journal up to date.

``PRAGMA user_version`` holds the schema version (0 for a new, empty file); the
``schema_version`` table keeps when each version was applied. ``MIGRATIONS[i]`` holds the
statements that turn version ``i`` into version ``i + 1``, so the first step creates the
tables and a later schema adds one step without touching the earlier ones.

Timestamps are fixed-width UTC text (see `datamill.journal._codec`); structured values are
JSON text. Indexes serve the queries the runner and the command line make: the run history
newest first (``runs_by_start``, ``runs_by_pipeline``), a run's nodes (``nodes_by_run``),
the producers of a dataset (``datasets_saved``), a node's committed partitions
(``partitions_by_id``) and those of a run (``partitions_by_run``). The last successful
execution of each node, per pipeline, is kept in ``last_success``, which stays as small as
the set of nodes however many runs there were. A code fingerprint's components (which
functions, classes and constants it covers, each with its own digest) are kept once in
``code``, which node records refer to.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "TABLES"]

_V1: Final = (
    """
    CREATE TABLE schema_version (
        version INTEGER PRIMARY KEY,
        applied TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        pipeline TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
        started TEXT NOT NULL,
        ended TEXT,
        last_seen TEXT NOT NULL,
        command TEXT NOT NULL,
        options TEXT NOT NULL,
        env TEXT,
        git_commit TEXT,
        git_dirty INTEGER,
        parameters TEXT NOT NULL,
        executor TEXT,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        process_token TEXT,
        error TEXT
    )
    """,
    "CREATE INDEX runs_by_start ON runs (started, run_id)",
    "CREATE INDEX runs_by_pipeline ON runs (pipeline, started, run_id)",
    """
    CREATE TABLE nodes (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs (run_id),
        node_name TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ran', 'skipped', 'failed', 'not_reached')),
        reason TEXT NOT NULL,
        started TEXT,
        ended TEXT,
        duration REAL,
        peak_memory INTEGER,
        attempts INTEGER NOT NULL,
        code_fingerprint TEXT,
        code_components TEXT NOT NULL,
        params_fingerprint TEXT,
        params_components TEXT NOT NULL,
        input_fingerprints TEXT NOT NULL,
        error TEXT
    )
    """,
    "CREATE INDEX nodes_by_run ON nodes (run_id, status)",
    "CREATE INDEX nodes_last_success ON nodes (node_name, status, ended)",
    """
    CREATE TABLE datasets (
        id INTEGER PRIMARY KEY,
        node_id INTEGER NOT NULL REFERENCES nodes (id),
        dataset TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('load', 'save')),
        version TEXT,
        fingerprint TEXT,
        persisted INTEGER
    )
    """,
    "CREATE INDEX datasets_by_node ON datasets (node_id)",
    "CREATE INDEX datasets_saved ON datasets (dataset, role, version)",
    """
    CREATE TABLE partitions (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs (run_id),
        node_name TEXT NOT NULL,
        dataset TEXT NOT NULL,
        partition_id TEXT NOT NULL,
        key TEXT,
        fingerprint TEXT,
        committed TEXT NOT NULL
    )
    """,
    "CREATE INDEX partitions_by_id ON partitions (node_name, dataset, partition_id)",
)

_V2: Final = (
    # Version 2 keeps each code fingerprint's components once, instead of once per node
    # record: nodes that share a function, and runs that did not change it, share them.
    """
    CREATE TABLE code (
        fingerprint TEXT PRIMARY KEY,
        components TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    """
    INSERT OR IGNORE INTO code (fingerprint, components)
    SELECT code_fingerprint, code_components FROM nodes WHERE code_fingerprint IS NOT NULL
    """,
    # The nodes table is rebuilt without its code_components column (ALTER TABLE ... DROP
    # COLUMN needs SQLite 3.35, which some Python builds still lack).
    """
    CREATE TABLE nodes_v2 (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs (run_id),
        node_name TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ran', 'skipped', 'failed', 'not_reached')),
        reason TEXT NOT NULL,
        started TEXT,
        ended TEXT,
        duration REAL,
        peak_memory INTEGER,
        attempts INTEGER NOT NULL,
        code_fingerprint TEXT,
        params_fingerprint TEXT,
        params_components TEXT NOT NULL,
        input_fingerprints TEXT NOT NULL,
        error TEXT
    )
    """,
    """
    INSERT INTO nodes_v2
    SELECT id, run_id, node_name, status, reason, started, ended, duration, peak_memory,
        attempts, code_fingerprint, params_fingerprint, params_components,
        input_fingerprints, error
    FROM nodes
    """,
    "DROP TABLE nodes",
    "ALTER TABLE nodes_v2 RENAME TO nodes",
    "CREATE INDEX nodes_by_run ON nodes (run_id, status)",
    "CREATE INDEX nodes_last_success ON nodes (node_name, status, ended)",
    # ... and records which run a run resumed, so that a finished resume hides its run.
    "ALTER TABLE runs ADD COLUMN resumes TEXT",
    # ... and keeps the content hashes of large files, so that a run need not read an
    # unchanged file again to know that it is unchanged.
    """
    CREATE TABLE file_hashes (
        url TEXT PRIMARY KEY,
        stamp TEXT NOT NULL,
        digest TEXT NOT NULL
    ) WITHOUT ROWID
    """,
)

_V3: Final = (
    # Version 3 finds a node's last successful execution in a table of one row per node and
    # pipeline, in place of an index over every node record. That index had an entry per
    # record in node-name order, so each run wrote into pages all over it, and recording
    # slowed down as the journal grew (see benchmarks/bench_journal_schema.py). The
    # end time is '' when unknown, so that it sorts first, as NULL did in the index.
    """
    CREATE TABLE last_success (
        node_name TEXT NOT NULL,
        pipeline TEXT NOT NULL,
        ended TEXT NOT NULL,
        node_id INTEGER NOT NULL,
        PRIMARY KEY (node_name, pipeline)
    ) WITHOUT ROWID
    """,
    """
    INSERT INTO last_success (node_name, pipeline, ended, node_id)
    SELECT node_name, pipeline, ended, id FROM (
        SELECT n.node_name, r.pipeline, coalesce(n.ended, '') AS ended, n.id, row_number()
            OVER (PARTITION BY n.node_name, r.pipeline ORDER BY n.ended DESC, n.id DESC) AS rank
        FROM nodes n JOIN runs r ON r.run_id = n.run_id
        WHERE n.status = 'ran'
    ) WHERE rank = 1
    """,
    "DROP INDEX nodes_last_success",
)

_V4: Final = (
    # Version 4 keeps, for each node execution, how its persisted inputs and outputs were
    # read and written (a digest of each part of their catalog entries, JSON), so that a
    # changed load_args or save_args reruns the node. NULL: none, or an older record.
    "ALTER TABLE nodes ADD COLUMN catalog TEXT",
)

_V5: Final = (
    # Version 5 records a node that was running when its run was interrupted as
    # 'interrupted' (it was recorded as 'not_reached' before). The CHECK constraint can only
    # change by rebuilding the table; ids are kept, so dataset and last_success rows still
    # point to their node records.
    """
    CREATE TABLE nodes_v5 (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs (run_id),
        node_name TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('ran', 'skipped', 'failed', 'interrupted', 'not_reached')),
        reason TEXT NOT NULL,
        started TEXT,
        ended TEXT,
        duration REAL,
        peak_memory INTEGER,
        attempts INTEGER NOT NULL,
        code_fingerprint TEXT,
        params_fingerprint TEXT,
        params_components TEXT NOT NULL,
        input_fingerprints TEXT NOT NULL,
        error TEXT,
        catalog TEXT
    )
    """,
    """
    INSERT INTO nodes_v5
    SELECT id, run_id, node_name, status, reason, started, ended, duration, peak_memory,
        attempts, code_fingerprint, params_fingerprint, params_components,
        input_fingerprints, error, catalog
    FROM nodes
    """,
    "DROP TABLE nodes",
    "ALTER TABLE nodes_v5 RENAME TO nodes",
    "CREATE INDEX nodes_by_run ON nodes (run_id, status)",
    # ... and counts the partitions a run committed (``runs show``) through an index, not
    # by reading every partition record.
    "CREATE INDEX partitions_by_run ON partitions (run_id)",
)

MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (_V1, _V2, _V3, _V4, _V5)
"""``MIGRATIONS[i]``: the statements that upgrade schema version ``i`` to ``i + 1``."""

SCHEMA_VERSION: Final = len(MIGRATIONS)
"""The schema this datamill writes; a journal with a higher version is refused."""

TABLES: Final = frozenset(
    {
        "schema_version",
        "runs",
        "nodes",
        "code",
        "datasets",
        "partitions",
        "file_hashes",
        "last_success",
    }
)
"""The tables of the current schema."""
