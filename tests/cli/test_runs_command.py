"""``datamill runs list|show|diff`` and ``datamill lineage``, over runs written to the journal."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result

from datamill.journal import DatasetRecord, Journal, NodeRecord
from tests.cli.cli_projects import Invoke, error_line
from tests.journal.conftest import at, ran, start
from tests.project.conftest import Project

R1 = "20251122T101500.000000Z-aaaaaa"
R2 = "20251122T111500.000000Z-bbbbbb"
R3 = "20251122T121500.000000Z-cccccc"
NO_RUNS = "No runs recorded yet in {path}. Run 'datamill run' first."


@pytest.fixture(autouse=True)
def local_time_utc_plus_2() -> Iterator[None]:
    """Local time two hours ahead of UTC, so that times print the same everywhere."""
    if not hasattr(time, "tzset"):
        pytest.skip("needs time.tzset to set the local time zone")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "XYZ-2")  # POSIX form: no time zone database needed
        time.tzset()
        yield
    time.tzset()


def journal_file(project: Project) -> Path:
    return project.root / ".datamill" / "journal.db"


@pytest.fixture
def journal(project: Project) -> Iterator[Journal]:
    """The project's journal, empty."""
    with Journal(journal_file(project)) as opened:
        yield opened


def crash(journal: Journal, run_id: str) -> None:
    """Make run ``run_id`` (recorded by this process) read as left behind by a dead process."""
    with sqlite3.connect(journal.path) as raw:  # as the journal's own crash tests do
        raw.execute("UPDATE runs SET process_token = 'a-dead-process' WHERE run_id = ?", (run_id,))


@pytest.fixture
def history(journal: Journal) -> Journal:
    """Three runs: R1 succeeded, R2 failed with other parameters and code, R3 crashed."""
    record_succeeded_run(journal)
    record_failed_run(journal)
    start(journal, R3, second=7200, pipeline="training", env="prod", command=["datamill", "run"])
    journal.record_node(R3, ran("ingest", second=7201, peak_memory=1536))
    crash(journal, R3)
    return journal


def record_succeeded_run(journal: Journal) -> None:
    """R1: ingest saves companies@v1, clean saves clean (no version), fit saves model@v1."""
    start(
        journal,
        R1,
        second=0,
        command=["datamill", "run"],
        env="local",
        git_commit="9f2c1e4b7a0d",
        git_dirty=False,
        parameters={"model": {"alpha": 0.1}, "seed": 42},
        executor="sequential",
    )
    journal.record_nodes(
        R1,
        [
            ran("ingest", second=1, loads={"raw": None}, saves={"companies": "v1"}),
            ran(
                "clean",
                second=2,
                loads={"companies": "v1"},
                saves={"clean": None},
                catalog={"companies": {"type": "t", "load_args": "a1"}},
            ),
            NodeRecord(
                "fit",
                "ran",
                reason="no previous run",
                started=at(2.5),
                ended=at(3),
                duration=0.5,
                peak_memory=52_428_800,
                code_fingerprint="c1",
                code_components={"millproj.nodes.fit": "d1"},
                input_fingerprints={"clean": "fp-clean-None", "params:model": "p1"},
                datasets=(
                    DatasetRecord("clean", "load", None, "fp-clean-None"),
                    DatasetRecord("model", "save", "v1", "fp-model-v1", persisted=True),
                ),
            ),
        ],
    )
    journal.finish_run(R1, "succeeded", ended=at(4))


def record_failed_run(journal: Journal) -> None:
    """R2: other parameters, ingest skipped, clean read companies with other load_args,
    fit's code changed and it failed after 2 tries."""
    start(
        journal,
        R2,
        second=3600,
        command=["datamill", "run", "--params", "model.alpha=0.2"],
        env="local",
        git_commit="9f2c1e4b7a0d",
        git_dirty=True,
        parameters={"model": {"alpha": 0.2}, "debug": True},
        executor="thread",
    )
    journal.record_nodes(
        R2,
        [
            NodeRecord(
                "ingest",
                "skipped",
                reason="unchanged",
                attempts=0,
                code_fingerprint="c1",
                input_fingerprints={"raw": "fp-raw-None"},
            ),
            ran(
                "clean",
                second=3601,
                loads={"companies": "v1"},
                saves={"clean": None},
                catalog={"companies": {"type": "t", "load_args": "a2"}},
            ),
            NodeRecord(
                "fit",
                "failed",
                reason="code changed: fit()",
                duration=0.25,
                attempts=2,
                code_fingerprint="c2",
                code_components={"millproj.nodes.fit": "d2"},
                input_fingerprints={"clean": "fp-clean-None", "params:model": "p2"},
                error="ValueError: boom",
            ),
            NodeRecord("report", "not_reached", attempts=0),
        ],
    )
    journal.finish_run(R2, "failed", "Node 'fit' failed: ValueError: boom", ended=at(3665))


def lines(result: Result) -> list[str]:
    """The lines a command printed, checked to have succeeded."""
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


# -- runs list -------------------------------------------------------------------------------


def test_list_without_a_journal_says_so_and_creates_nothing(
    project: Project, datamill: Invoke
) -> None:
    assert lines(datamill("runs", "list")) == [NO_RUNS.format(path=journal_file(project))]
    assert not (project.root / ".datamill").exists()


def test_list_of_an_empty_journal_says_so(
    project: Project, journal: Journal, datamill: Invoke
) -> None:
    assert lines(datamill("runs", "list")) == [NO_RUNS.format(path=journal_file(project))]
    assert lines(datamill("runs", "list", "--status", "failed")) == [
        NO_RUNS.format(path=journal_file(project))
    ]


def test_list_shows_the_runs_newest_first(history: Journal, datamill: Invoke) -> None:
    assert lines(datamill("runs", "list")) == [
        "Run                             Started              Duration  Status     "
        "Pipeline     Env    Git        Nodes",
        f"{R3}  2025-11-22 14:15:00         -  crashed    training     prod   -          1 ran",
        f"{R2}  2025-11-22 13:15:00    1m 05s  failed     __default__  local  9f2c1e4b*  "
        "1 ran, 1 skipped, 1 failed, 1 not reached",
        f"{R1}  2025-11-22 12:15:00    4.000s  succeeded  __default__  local  9f2c1e4b   3 ran",
    ]


def test_list_filters_by_status_and_pipeline(history: Journal, datamill: Invoke) -> None:
    def listed(*options: str) -> list[str]:
        return [line.split()[0] for line in lines(datamill("runs", "list", *options))[1:]]

    assert listed("--status", "crashed,failed") == [R3, R2]
    assert listed("-s", "succeeded", "-s", "crashed") == [R3, R1]
    assert listed("--pipeline", "__default__", "--status", "failed") == [R2]
    assert lines(datamill("runs", "list", "--pipeline", "etl")) == [
        "No recorded run matches --pipeline etl."
    ]
    assert lines(datamill("runs", "list", "-s", "running", "-p", "training")) == [
        "No recorded run matches --status running --pipeline training."
    ]


def test_list_stops_at_the_limit_and_says_there_are_more(
    history: Journal, datamill: Invoke
) -> None:
    shown = lines(datamill("runs", "list", "--limit", "2"))
    assert [line.split()[0] for line in shown[1:3]] == [R3, R2]
    assert shown[3:] == ["(More runs are recorded: use --limit to show more than 2.)"]
    assert len(lines(datamill("runs", "list", "--limit", "3"))) == 4


def test_an_unknown_status_is_an_error_naming_the_closest(
    history: Journal, datamill: Invoke
) -> None:
    line = error_line(datamill("runs", "list", "--status", "faild"))
    assert line == (
        "Error: --status 'faild' is not a run status. Did you mean 'failed'? "
        "Choose from running, succeeded, failed, interrupted, crashed."
    )


# -- runs show -------------------------------------------------------------------------------


def test_show_latest_is_the_crashed_run(history: Journal, datamill: Invoke) -> None:
    assert lines(datamill("runs", "show")) == [
        f"Run {R3}",
        "  Status:      crashed (recorded as running, but its process is gone)",
        "  Pipeline:    training",
        "  Env:         prod",
        "  Executor:    -",
        "  Command:     datamill run",
        "  Git:         -",
        "  Started:     2025-11-22 14:15:00",
        "  Ended:       -",
        "  Duration:    -",
        f"  Host:        {socket.gethostname()}, process {os.getpid()}",
        "  Parameters:  none",
        "Nodes: 1 ran",
        "  Node    Status  Reason  Duration  Peak memory",
        "  ingest  ran     -         0.500s      1.5 KiB",
    ]


def test_show_a_failed_run_by_prefix_with_its_nodes(history: Journal, datamill: Invoke) -> None:
    shown = lines(datamill("runs", "show", "20251122T11"))
    assert shown[:4] == [
        f"Run {R2}",
        "  Status:      failed",
        "  Error:       Node 'fit' failed: ValueError: boom",
        "  Pipeline:    __default__",
    ]
    assert "  Command:     datamill run --params model.alpha=0.2" in shown
    assert "  Git:         9f2c1e4b7a0d (uncommitted changes)" in shown
    assert "  Duration:    1m 05s" in shown
    assert "  Parameters:  2 resolved (--json shows them)" in shown
    assert shown[shown.index("Nodes: 1 ran, 1 skipped, 1 failed, 1 not reached") :] == [
        "Nodes: 1 ran, 1 skipped, 1 failed, 1 not reached",
        "  Node    Status               Reason               Duration  Peak memory",
        "  ingest  skipped              unchanged                   -            -",
        "  clean   ran                  -                      0.500s            -",
        "  fit     failed (2 attempts)  code changed: fit()    0.250s            -",
        "      error: ValueError: boom",
        "  report  not reached          -                           -            -",
    ]


def test_show_lists_the_datasets_of_each_node_on_request(
    history: Journal, datamill: Invoke
) -> None:
    shown = lines(datamill("runs", "show", R1, "--datasets"))
    nodes = shown[shown.index("Nodes: 3 ran") + 1 :]
    assert nodes == [
        "  Node    Status  Reason           Duration  Peak memory",
        "  ingest  ran     -                  0.500s            -",
        "      load  raw (fingerprint fp-raw-None)",
        "      save  companies@v1 (fingerprint fp-companies)",
        "  clean   ran     -                  0.500s            -",
        "      load  companies@v1 (fingerprint fp-companies)",
        "      save  clean (fingerprint fp-clean-Non)",
        "  fit     ran     no previous run    0.500s     50.0 MiB",
        "      load  clean (fingerprint fp-clean-Non)",
        "      save  model@v1 (fingerprint fp-model-v1)",
    ]
    assert not any(line.startswith("      load") for line in lines(datamill("runs", "show", R1)))


def test_show_as_json(history: Journal, datamill: Invoke) -> None:
    shown = json.loads(datamill("runs", "show", R2, "--json").output)

    assert shown["run_id"] == R2
    assert (shown["status"], shown["duration"]) == ("failed", 65.0)
    assert shown["started"] == "2025-11-22T11:15:00+00:00"
    assert shown["parameters"] == {"model": {"alpha": 0.2}, "debug": True}
    assert shown["command"] == ["datamill", "run", "--params", "model.alpha=0.2"]
    assert [(n["node_name"], n["status"]) for n in shown["nodes"]] == [
        ("ingest", "skipped"),
        ("clean", "ran"),
        ("fit", "failed"),
        ("report", "not_reached"),
    ]
    assert shown["nodes"][1]["datasets"][1] == {
        "name": "clean",
        "role": "save",
        "version": None,
        "fingerprint": "fp-clean-None",
        "persisted": True,
    }


def test_show_of_an_unknown_run_names_the_closest(history: Journal, datamill: Invoke) -> None:
    line = error_line(datamill("runs", "show", "20251122T101500.000000Z-aaaaab"))
    assert "Run '20251122T101500.000000Z-aaaaab' is not in the journal" in line
    assert f"Did you mean '{R1}'" in line
    ambiguous = error_line(datamill("runs", "show", "2025"))
    assert "Run id prefix '2025' matches several runs" in ambiguous


def test_show_without_a_journal_says_to_run_first(project: Project, datamill: Invoke) -> None:
    line = error_line(datamill("runs", "show"))
    assert line == "Error: " + NO_RUNS.format(path=journal_file(project))
    assert not journal_file(project).exists()


def test_show_of_an_empty_journal_has_no_latest_run(journal: Journal, datamill: Invoke) -> None:
    assert "records no run yet, so there is no latest run" in error_line(datamill("runs", "show"))


# -- runs diff -------------------------------------------------------------------------------


def test_diff_lists_every_kind_of_difference(history: Journal, datamill: Invoke) -> None:
    assert lines(datamill("runs", "diff", R1, "20251122T11")) == [
        f"Comparing run {R1} with run {R2}.",
        "Status: succeeded -> failed",
        "Parameters added:",
        "  debug: true",
        "Parameters removed:",
        "  seed: 42",
        "Parameters changed:",
        "  model.alpha: 0.1 -> 0.2",
        "Code changed:",
        "  fit: millproj.nodes.fit",
        "Inputs changed:",
        "  fit: params:model",
        "Catalog entries changed:",
        "  clean: companies: load_args",
        "Datasets changed:",
        "  model: version v1, fingerprint fp-model-v1 -> not saved",
        "Node statuses changed:",
        "  ingest: ran -> skipped",
        "  fit: ran -> failed",
        "  report: no record -> not reached",
    ]


def test_diff_says_what_a_run_read_and_when_a_new_version_kept_the_content(
    journal: Journal, datamill: Invoke
) -> None:
    start(journal, R1, second=0)
    journal.record_node(R1, ran("ingest", saves={"companies": "v1"}))
    journal.record_node(R1, ran("fit", saves={"model": "v1"}, second=2))
    start(journal, R2, second=3600)
    journal.record_nodes(
        R2,
        [
            NodeRecord("ingest", "skipped", attempts=0),
            NodeRecord("clean", "skipped", attempts=0, input_fingerprints={"companies": "fp-new"}),
            ran(
                "fit",
                saves={"model": "v2"},
                datasets=(DatasetRecord("model", "save", "v2", "fp-model-v1", persisted=True),),
                second=3601,
            ),
        ],
    )

    found = lines(datamill("runs", "diff", R1, R2))
    datasets = found.index("Datasets changed:")

    assert found[datasets : datasets + 3] == [
        "Datasets changed:",
        "  companies: version v1, fingerprint fp-companies -> not saved, read fingerprint fp-new",
        "  model: version v1, fingerprint fp-model-v1 -> version v2, same content",
    ]


def test_diff_of_a_run_with_itself_finds_no_differences(history: Journal, datamill: Invoke) -> None:
    assert lines(datamill("runs", "diff", R1, R1)) == [
        f"Comparing run {R1} with run {R1}.",
        "No differences.",
    ]


def test_diff_as_json_compares_with_the_latest_run_by_default(
    history: Journal, datamill: Invoke
) -> None:
    found = json.loads(datamill("runs", "diff", R2, "--json").output)

    assert (found["run_a"], found["run_b"], found["identical"]) == (R2, R3, False)
    assert found["status"] == {"before": "failed", "after": "crashed"}
    assert found["params_removed"] == {"model.alpha": 0.2, "debug": True}
    assert found["nodes_changed"]["fit"] == {"before": "failed", "after": None}
    assert found["datasets_changed"] == {
        "clean": {
            "before": {
                "name": "clean",
                "role": "save",
                "version": None,
                "fingerprint": "fp-clean-None",
                "persisted": True,
            },
            "after": None,
        }
    }


def test_diff_of_an_unknown_run_is_an_error(history: Journal, datamill: Invoke) -> None:
    assert "Run 'nope' is not in the journal" in error_line(datamill("runs", "diff", "nope", R1))


# -- lineage ---------------------------------------------------------------------------------


def test_lineage_shows_the_producer_and_its_inputs(history: Journal, datamill: Invoke) -> None:
    assert lines(datamill("lineage", "model")) == [
        "model@v1 (fingerprint fp-model-v1)",
        f"  saved by node 'fit' in run {R1} (pipeline '__default__', 2025-11-22 12:15:03)",
        "  from clean (fingerprint fp-clean-Non)",
        "  from params:model (parameter, fingerprint p1)",
        "(Inputs not followed further: use --depth N, or --depth 0 for all.)",
    ]


def test_lineage_walks_up_to_the_sources_with_depth_0(history: Journal, datamill: Invoke) -> None:
    assert lines(datamill("lineage", "model@v1", "--depth", "0")) == [
        "model@v1 (fingerprint fp-model-v1)",
        f"  saved by node 'fit' in run {R1} (pipeline '__default__', 2025-11-22 12:15:03)",
        "  from clean (fingerprint fp-clean-Non)",
        f"    saved by node 'clean' in run {R1} (pipeline '__default__', 2025-11-22 12:15:02)",
        "    from companies@v1 (fingerprint fp-companies)",
        f"      saved by node 'ingest' in run {R1} (pipeline '__default__', 2025-11-22 12:15:01)",
        "      from raw (fingerprint fp-raw-None)",
        "        not saved by any recorded run",
        "  from params:model (parameter, fingerprint p1)",
    ]


def test_lineage_of_the_latest_save_follows_the_depth(history: Journal, datamill: Invoke) -> None:
    assert lines(datamill("lineage", "clean", "--depth", "2")) == [
        "clean (fingerprint fp-clean-Non)",
        f"  saved by node 'clean' in run {R2} (pipeline '__default__', 2025-11-22 13:15:01)",
        "  from companies@v1 (fingerprint fp-companies)",
        f"    saved by node 'ingest' in run {R1} (pipeline '__default__', 2025-11-22 12:15:01)",
        "    from raw (fingerprint fp-raw-None)",
        "(Inputs not followed further: use --depth N, or --depth 0 for all.)",
    ]


def test_lineage_shows_a_shared_producer_once(journal: Journal, datamill: Invoke) -> None:
    start(journal, "r1")
    journal.record_node(
        "r1", ran("split", loads={"src": "v1"}, saves={"left": "v1", "right": "v1"})
    )
    journal.record_node(
        "r1", ran("join", second=2, loads={"left": "v1", "right": "v1"}, saves={"joined": "v1"})
    )

    assert lines(datamill("lineage", "joined", "--depth", "0")) == [
        "joined@v1 (fingerprint fp-joined-v1)",
        "  saved by node 'join' in run r1 (pipeline '__default__', 2025-11-22 12:15:02)",
        "  from left@v1 (fingerprint fp-left-v1)",
        "    saved by node 'split' in run r1 (pipeline '__default__', 2025-11-22 12:15:01)",
        "    from src@v1 (fingerprint fp-src-v1)",
        "      not saved by any recorded run",
        "  from right@v1 (fingerprint fp-right-v1)",
        "    saved by node 'split' in run r1 (pipeline '__default__', 2025-11-22 12:15:01); "
        "its lineage is shown above",
    ]


def test_an_input_known_by_name_only_is_matched_to_its_last_save_before(
    journal: Journal, datamill: Invoke
) -> None:
    def write(run_id: str, second: float, *, persisted: bool) -> None:
        save = DatasetRecord("table", "save", persisted=persisted)
        journal.record_node(run_id, ran("write", second=second, datasets=(save,)))

    start(journal, "r1", second=0)
    write("r1", 1, persisted=True)
    start(journal, "r2", second=10)
    write("r2", 11, persisted=False)  # in memory: cannot be what another run read
    start(journal, "r3", second=20)
    report = DatasetRecord("report", "save", "v1", persisted=True)
    journal.record_node(
        "r3", ran("report", second=21, datasets=(DatasetRecord("table", "load"), report))
    )
    start(journal, "r4", second=30)
    write("r4", 31, persisted=True)  # after the report: not its input

    assert lines(datamill("lineage", "report@v1", "--depth", "2")) == [
        "report@v1",
        "  saved by node 'report' in run r3 (pipeline '__default__', 2025-11-22 12:15:21)",
        "  from table",
        "    saved by node 'write' in run r1 (pipeline '__default__', 2025-11-22 12:15:01), "
        "its last save before it was read",
    ]


def test_lineage_of_a_dataset_that_is_only_read(history: Journal, datamill: Invoke) -> None:
    assert lines(datamill("lineage", "raw")) == [
        "Dataset 'raw' was loaded by recorded runs but never saved by one: it is a source, "
        "with no recorded lineage."
    ]


def test_lineage_of_an_unknown_dataset_names_the_closest(
    history: Journal, datamill: Invoke
) -> None:
    line = error_line(datamill("lineage", "modle"))
    assert line.startswith(f"Error: Dataset 'modle' is not in the journal {history.path}")
    assert "Did you mean 'model'?" in line


def test_lineage_of_an_unknown_version_lists_the_recorded_ones(
    history: Journal, datamill: Invoke
) -> None:
    assert error_line(datamill("lineage", "model@v11")) == (
        "Error: No recorded run saved version 'v11' of dataset 'model'. Did you mean 'v1'? "
        "Recorded versions, newest first: 'v1'."
    )
    assert "it is a source" in error_line(datamill("lineage", "raw@v1"))
    assert "Invalid dataset 'model@'" in error_line(datamill("lineage", "model@"))


# -- where the journal is, and when it cannot be read ----------------------------------------


def test_the_journal_path_setting_is_followed(project: Project, datamill: Invoke) -> None:
    project.write_package("settings.py", 'JOURNAL_PATH = "var/runs.db"\n')
    with Journal(project.root / "var/runs.db") as journal:
        start(journal, R1)
        journal.finish_run(R1, "succeeded", ended=at(1))

    assert [line.split()[0] for line in lines(datamill("runs", "list"))] == ["Run", R1]
    assert not journal_file(project).exists()


@pytest.mark.parametrize(
    ("setting", "status"),
    [
        ("", "crashed"),
        ("JOURNAL_STALE_AFTER = 3600\n", "running"),
        ("JOURNAL_STALE_AFTER = None\n", "running"),
    ],
)
def test_the_staleness_setting_judges_runs_of_other_machines(
    project: Project, datamill: Invoke, journal: Journal, setting: str, status: str
) -> None:
    project.write_package("settings.py", setting)
    silent = datetime.now(UTC) - timedelta(minutes=20)  # the default staleness is 10 minutes
    start(journal, R1, host="container-4f2a.invalid", pid=1)
    with sqlite3.connect(journal.path) as raw:
        raw.execute("UPDATE runs SET last_seen = ? WHERE run_id = ?", (silent.isoformat(), R1))

    assert lines(datamill("runs", "list"))[1].split()[4] == status
    assert f"Status:      {status}" in datamill("runs", "show", R1).output


@pytest.mark.parametrize(
    "command", [("runs", "list"), ("runs", "show"), ("runs", "diff", "a", "b"), ("lineage", "x")]
)
def test_a_damaged_journal_is_one_clean_line(
    project: Project, datamill: Invoke, command: tuple[str, ...]
) -> None:
    path = journal_file(project)
    path.parent.mkdir()
    path.write_bytes(b"this is not a database, just some text " * 100)

    line = error_line(datamill(*command))

    assert line.startswith(f"Error: {path} is not a readable datamill journal")
    assert "Move the file away" in line


@pytest.mark.parametrize("command", [("runs", "list"), ("runs", "show"), ("lineage", "x")])
def test_outside_a_project_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, datamill: Invoke, command: tuple[str, ...]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert "No datamill project found" in error_line(datamill(*command))


# -- runs prune ------------------------------------------------------------------------------


def test_prune_removes_old_runs_and_keeps_what_later_runs_rely_on(
    journal: Journal, datamill: Invoke
) -> None:
    for i, run_id in enumerate((R1, R2, R3)):
        start(journal, run_id, second=i * 3600)
        journal.record_node(run_id, ran("clean", second=i * 3600 + 1))
        journal.finish_run(run_id, "succeeded", ended=at(i * 3600 + 2))

    dry = datamill("runs", "prune", "--keep", "1", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert lines(dry) == [
        f"Would remove 2 run(s) and their 2 node record(s) from {journal.path}.",
        f"  {R1}",
        f"  {R2}",
    ]
    done = datamill("runs", "prune", "--older-than", "1d", "--vacuum")

    assert done.exit_code == 0, done.output
    assert lines(done) == [
        f"Removed 2 run(s) and their 2 node record(s) from {journal.path}.",
        "Kept 1 of the runs selected: later runs rely on them (a node's last success, a "
        "partition's latest commit, a running run, or the newest run of a pipeline).",
    ]
    assert [run.run_id for run in journal.runs(limit=None)] == [R3]


def test_prune_says_when_it_keeps_selected_runs(journal: Journal, datamill: Invoke) -> None:
    start(journal, R1, second=0)
    journal.record_node(R1, ran("clean"))
    journal.finish_run(R1, "succeeded", ended=at(2))
    start(journal, R2, second=3600)
    journal.record_node(R2, NodeRecord("clean", "skipped", reason="unchanged"))
    journal.finish_run(R2, "succeeded", ended=at(3602))

    result = datamill("runs", "prune", "--keep", "0")

    assert result.exit_code == 0, result.output
    assert lines(result)[0] == f"Removed 0 run(s) and their 0 node record(s) from {journal.path}."
    assert lines(result)[1].startswith("Kept 2 of the runs selected: later runs rely on them")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((), "Say which runs to remove: --keep N"),
        (("--older-than", "30 days"), "--older-than '30 days' is not an age"),
        (("--older-than", "d"), "--older-than 'd' is not an age"),
    ],
)
def test_prune_without_a_clear_selection_is_an_error(
    journal: Journal, datamill: Invoke, arguments: tuple[str, ...], message: str
) -> None:
    result = datamill("runs", "prune", *arguments)

    assert result.exit_code != 0
    assert message in error_line(result)
    assert "Traceback" not in result.output
