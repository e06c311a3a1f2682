"""Partitionwise nodes in a real project: committed partitions are never computed again.

The ``parts`` pipeline has one partitionwise node, ``double``, reading a folder of JSON
partitions and writing one output partition per input partition; it appends the partition
id to a log each time it computes one, so that computations can be counted. The killed run
is synchronised by named pipes, as in ``test_resume.py``: the function halts when it reaches
the partition named by ``MILL_HALT_AT``, and the test kills the process group then.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Final

import pytest

from datamill.errors import RunnerError
from datamill.journal import Journal
from datamill.project import Session
from tests.project.conftest import PACKAGE, Project, build_project, forget_project_modules
from tests.project.test_resume import HALT, Chain, needs_fifos

KILL_AT: Final = 700
YIELDS: Final = "it yields chunks (always runs)"

CATALOG = """\
events:
  type: partitions.PartitionedDataset
  path: data/01_raw/events
  dataset: json.JSONDataset
  filename_suffix: .json
doubled:
  type: partitions.PartitionedDataset
  path: data/02_intermediate/doubled
  dataset:
    type: json.JSONDataset
    save_args: {indent: null}
  filename_suffix: .json
"""

PIPELINE = f"""\
import os

from datamill import Pipeline, node
from {PACKAGE}.halt import halt

LOG = LOG_PATH


def double(event, factor):
    if os.environ.get("MILL_HALT_AT") == event["id"]:
        halt("at " + event["id"])
    with open(LOG, "a", encoding="utf-8") as log:
        log.write(event["id"] + "\\n")
    return {{"id": event["id"], "value": event["value"] * factor}}


def create_pipeline(**kwargs):
    return Pipeline(
        [node(double, ["events", "params:factor"], "doubled", name="double", partitionwise=True)]
    )
"""


# The factor reaches ``double`` through a node whose output stays in memory, and ``double``
# fails at the partition named by ``MILL_FAIL_AT``.
IN_MEMORY_FACTOR = (
    PIPELINE.replace(
        "    with open(LOG",
        '    if os.environ.get("MILL_FAIL_AT") == event["id"]:\n'
        '        raise ValueError("failed at " + event["id"])\n'
        "    with open(LOG",
    )
    .replace(
        "def create_pipeline(", "def pick(factor):\n    return factor\n\n\ndef create_pipeline("
    )
    .replace(
        '[node(double, ["events", "params:factor"]',
        '[node(pick, "params:factor", "factor"), node(double, ["events", "factor"]',
    )
)


# ``double`` returns its partitions as callables, each computed when it is saved (as with
# Kedro's lazy saving), and fails at the partition named by ``MILL_FAIL_AT``.
RETURNED_LAZILY = (
    PIPELINE.replace("import os\n", "import functools\nimport os\n")
    .replace("def double(event", "def double_one(event")
    .replace(
        "    with open(LOG",
        '    if os.environ.get("MILL_FAIL_AT") == event["id"]:\n'
        '        raise ValueError("failed at " + event["id"])\n'
        "    with open(LOG",
    )
    .replace(
        "def create_pipeline(",
        "def compute(load, factor):\n"
        "    return double_one(load(), factor)\n\n\n"
        "def double(events, factor):\n"
        "    return {pid: functools.partial(compute, load, factor) for pid, load in events.items()}"
        "\n\n\n"
        "def create_pipeline(",
    )
    .replace(", partitionwise=True)", ")")
)


# The same, yielding one partition at a time.
YIELDED_LAZILY = RETURNED_LAZILY.replace(
    "    return {pid: functools.partial(compute, load, factor) for pid, load in events.items()}",
    "    for pid, load in events.items():\n"
    "        yield {pid: functools.partial(compute, load, factor)}",
)
assert YIELDED_LAZILY != RETURNED_LAZILY


def pid(index: int) -> str:
    return f"p{index:04d}"


class Parts(Chain):
    """The ``parts`` project, with the ``datamill`` commands of `Chain`."""

    def add_events(self, indices: range, value: int = 1) -> None:
        folder = self.root / "data/01_raw/events"
        folder.mkdir(parents=True, exist_ok=True)
        for i in indices:
            event = {"id": pid(i), "value": i * value}
            (folder / f"{pid(i)}.json").write_text(json.dumps(event), encoding="utf-8")

    def outputs(self) -> dict[str, object]:
        folder = self.root / "data/02_intermediate/doubled"
        return {
            path.stem: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(folder.iterdir())
            if not path.name.startswith(".")
        }

    def run_in_session(self, **options: object) -> Counter[str]:
        """Run ``parts`` in this process; return which partitions it computed."""
        forget_project_modules()
        before = self.ran()
        with Session.create(self.root) as session:
            session.run("parts", **options)  # type: ignore[arg-type]
        return self.ran() - before

    def latest_reason(self) -> str | None:
        with Journal(self.journal_path) as journal:
            return journal.run("latest").node("double").reason


def expected(indices: range, factor: int = 2, value: int = 1) -> dict[str, object]:
    return {pid(i): {"id": pid(i), "value": i * value * factor} for i in indices}


def make_parts(tmp_path: Path, count: int, pipeline: str = PIPELINE) -> Parts:
    project: Project = build_project(tmp_path / "parts")
    project.write("conf/base/catalog.yml", CATALOG)
    project.write("conf/base/parameters.yml", "factor: 2\n")
    (project.root / "data/01_raw/raw.json").unlink()
    project.write_package("halt.py", HALT)
    log = (tmp_path / "ran.log").as_posix()
    project.write_package("pipelines/parts/__init__.py", pipeline.replace("LOG_PATH", repr(log)))
    parts = Parts(project, tmp_path)
    parts.add_events(range(count))
    return parts


@needs_fifos
def test_a_run_killed_at_partition_700_of_1000_computes_only_the_rest_on_resume(
    tmp_path: Path,
) -> None:
    parts = make_parts(tmp_path, 1000)

    parts.kill_when_halted(
        ["run", "--pipeline", "parts"], f"at {pid(KILL_AT)}", MILL_HALT_AT=pid(KILL_AT)
    )

    assert parts.ran() == Counter(pid(i) for i in range(KILL_AT))
    assert parts.outputs() == expected(range(KILL_AT))  # each committed partition is whole
    assert parts.hidden_files() == []
    with Journal(parts.journal_path) as journal:
        crashed = journal.run("latest")
        committed = journal.committed_partitions("double", "doubled")
    assert crashed.status == "crashed"
    assert list(committed) == [pid(i) for i in range(KILL_AT)]
    assert {c.run_id for c in committed.values()} == {crashed.run_id}

    resumed = parts.datamill("run", "--resume")

    assert resumed.returncode == 0, resumed.stderr
    assert parts.ran() == Counter(pid(i) for i in range(1000))  # each computed exactly once
    assert parts.outputs() == expected(range(1000))
    assert parts.hidden_files() == []
    reason = (
        f"no successful run recorded; computed {1000 - KILL_AT} of 1000 partitions "
        f"({KILL_AT} committed earlier)"
    )
    assert parts.latest_reason() == reason
    assert f"  double: {reason}\n" in resumed.stdout  # the summary says it too
    with Journal(parts.journal_path) as journal:
        resume_id = journal.run("latest").run_id
    shown = parts.datamill("runs", "show", crashed.run_id[-6:])  # by the id's random tail
    assert f"  Resumed by:  {resume_id} (succeeded)\n" in shown.stdout
    assert f"  Partitions:  {KILL_AT} committed by double to doubled\n" in shown.stdout


@pytest.fixture
def parts(tmp_path: Path) -> Parts:
    """The ``parts`` project with 20 input partitions, run once."""
    parts = make_parts(tmp_path, 20)
    assert parts.run_in_session() == Counter(pid(i) for i in range(20))
    assert parts.latest_reason() == "no successful run recorded; computed 20 of 20 partitions"
    return parts


def test_an_unchanged_partitionwise_node_is_skipped(parts: Parts) -> None:
    assert parts.run_in_session() == Counter()
    assert parts.latest_reason() == "unchanged"


def test_new_input_partitions_are_the_only_ones_computed(parts: Parts) -> None:
    parts.add_events(range(20, 30))

    assert parts.run_in_session() == Counter(pid(i) for i in range(20, 30))
    assert parts.outputs() == expected(range(30))
    assert parts.latest_reason() == (
        "input 'events' changed; computed 10 of 30 partitions (20 committed earlier)"
    )


def test_new_input_partitions_with_the_process_executor(parts: Parts) -> None:
    parts.add_events(range(20, 25))

    assert parts.run_in_session(executor="process", workers=2) == Counter(
        pid(i) for i in range(20, 25)
    )
    assert parts.outputs() == expected(range(25))


def test_a_changed_input_partition_is_the_only_one_computed(parts: Parts) -> None:
    parts.add_events(range(7, 8), value=10)

    assert parts.run_in_session() == Counter([pid(7)])
    assert parts.outputs() == {**expected(range(20)), **expected(range(7, 8), value=10)}


def test_changed_code_or_parameters_recompute_every_partition(parts: Parts) -> None:
    module = parts.project.package_dir / "pipelines/parts/__init__.py"
    module.write_text(
        module.read_text(encoding="utf-8").replace('"value": event', '"value": 1 * event')
    )
    assert parts.run_in_session() == Counter(pid(i) for i in range(20))

    parts.project.write("conf/base/parameters.yml", "factor: 3\n")
    assert parts.run_in_session() == Counter(pid(i) for i in range(20))
    assert parts.outputs() == expected(range(20), factor=3)


def test_a_deleted_output_partition_is_computed_again(parts: Parts) -> None:
    (parts.root / f"data/02_intermediate/doubled/{pid(3)}.json").unlink()

    assert parts.run_in_session() == Counter([pid(3)])
    assert parts.outputs() == expected(range(20))


def test_changed_save_args_of_the_output_partitions_recompute_every_partition(
    parts: Parts,
) -> None:
    parts.project.write("conf/base/catalog.yml", CATALOG.replace("{indent: null}", "{indent: 2}"))

    assert parts.run_in_session() == Counter(pid(i) for i in range(20))
    assert parts.latest_reason() == (
        "catalog entry of output 'doubled' changed: dataset; computed 20 of 20 partitions"
    )
    written = parts.root / f"data/02_intermediate/doubled/{pid(0)}.json"
    assert written.read_text(encoding="utf-8").startswith('{\n  "id"')


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"force": True}, "forced"),
        ({"force": ["double"]}, "forced"),
        ({"incremental": False}, "incremental runs are off"),
    ],
)
def test_a_forced_partitionwise_node_computes_every_partition_again(
    parts: Parts, options: dict[str, object], reason: str
) -> None:
    assert parts.run_in_session(**options) == Counter(pid(i) for i in range(20))
    assert parts.latest_reason() == f"{reason}; computed 20 of 20 partitions"


@needs_fifos
def test_the_resume_of_a_forced_run_keeps_the_partitions_that_run_committed(
    parts: Parts,
) -> None:
    before = parts.ran()

    parts.kill_when_halted(
        ["run", "--pipeline", "parts", "--force"], f"at {pid(12)}", MILL_HALT_AT=pid(12)
    )
    resumed = parts.datamill("run", "--resume")

    assert resumed.returncode == 0, resumed.stderr
    # The forced run computed 0-11 again; its resume computes 12-19, and nothing twice.
    assert parts.ran() - before == Counter(pid(i) for i in range(20))
    assert parts.latest_reason() == (
        "forced in the resumed run; computed 8 of 20 partitions (12 committed earlier)"
    )
    assert parts.outputs() == expected(range(20))


@pytest.mark.parametrize("executor", ["sequential", "thread", "process"])
def test_an_input_kept_in_memory_counts_by_what_produced_it(tmp_path: Path, executor: str) -> None:
    parts = make_parts(tmp_path, 20, IN_MEMORY_FACTOR)
    assert parts.run_in_session(executor=executor) == Counter(pid(i) for i in range(20))
    parts.add_events(range(20, 30))

    # ``pick`` runs again, as ``double`` needs its output; its code, parameter and inputs
    # are those of the first run, so the partitions committed then stay.
    assert parts.run_in_session(executor=executor) == Counter(pid(i) for i in range(20, 30))
    assert parts.latest_reason() == (
        "input 'events' changed; computed 10 of 30 partitions (20 committed earlier)"
    )

    parts.project.write("conf/base/parameters.yml", "factor: 3\n")  # what ``pick`` reads
    assert parts.run_in_session(executor=executor) == Counter(pid(i) for i in range(30))
    assert parts.outputs() == expected(range(30), factor=3)


def test_a_resume_keeps_the_partitions_computed_from_an_input_kept_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = make_parts(tmp_path, 20, IN_MEMORY_FACTOR)
    monkeypatch.setenv("MILL_FAIL_AT", pid(12))
    with pytest.raises(RunnerError, match="failed at p0012"):
        parts.run_in_session()
    assert parts.ran() == Counter(pid(i) for i in range(12))
    monkeypatch.delenv("MILL_FAIL_AT")

    forget_project_modules()
    with Session.create(parts.root) as session:
        session.resume()

    assert parts.ran() == Counter(pid(i) for i in range(20))  # each computed once
    assert parts.latest_reason() == (
        "no successful run recorded; computed 8 of 20 partitions (12 committed earlier)"
    )
    assert parts.outputs() == expected(range(20))


@needs_fifos
def test_a_run_killed_at_partition_70_of_100_returned_lazily_computes_only_the_rest_on_resume(
    tmp_path: Path,
) -> None:
    parts = make_parts(tmp_path, 100, RETURNED_LAZILY)

    parts.kill_when_halted(["run", "--pipeline", "parts"], f"at {pid(70)}", MILL_HALT_AT=pid(70))

    assert parts.ran() == Counter(pid(i) for i in range(70))
    assert parts.outputs() == expected(range(70))  # each committed partition is whole
    assert parts.hidden_files() == []
    resumed = parts.datamill("run", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert parts.ran() == Counter(pid(i) for i in range(100))  # each computed exactly once
    assert parts.outputs() == expected(range(100))
    assert parts.latest_reason() == (
        "no successful run recorded; computed 30 of 100 partitions (70 committed earlier)"
    )


LAZY: Final = [
    pytest.param(RETURNED_LAZILY, {}, id="returned"),
    # A generator node always runs, but the partitions it yields as callables are kept.
    pytest.param(YIELDED_LAZILY, dict.fromkeys(("new", "changed", "same"), YIELDS), id="yielded"),
]


@pytest.mark.parametrize("executor", ["sequential", "thread", "process"])
@pytest.mark.parametrize(("pipeline", "reasons"), LAZY)
def test_partitions_returned_lazily_are_kept_on_resume_until_something_changes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    executor: str,
    pipeline: str,
    reasons: dict[str, str],
) -> None:
    why = {"new": "no successful run recorded", "changed": "input 'events' changed"} | reasons
    parts = make_parts(tmp_path, 20, pipeline)
    monkeypatch.setenv("MILL_FAIL_AT", pid(12))
    with pytest.raises(RunnerError, match="failed at p0012"):
        parts.run_in_session(executor=executor)
    assert parts.ran() == Counter(pid(i) for i in range(12))
    monkeypatch.delenv("MILL_FAIL_AT")

    forget_project_modules()
    with Session.create(parts.root) as session:
        session.resume(executor=executor)

    assert parts.ran() == Counter(pid(i) for i in range(20))  # each computed once
    assert parts.outputs() == expected(range(20))
    assert parts.latest_reason() == (
        f"{why['new']}; computed 8 of 20 partitions (12 committed earlier)"
    )
    assert parts.run_in_session(executor=executor) == Counter()  # unchanged: nothing computed
    if "same" in why:
        assert parts.latest_reason() == (
            f"{why['same']}; computed 0 of 20 partitions (20 committed earlier)"
        )
    # Any change to what the node reads computes every partition: they are keyed by all of it.
    parts.add_events(range(20, 22))
    assert parts.run_in_session(executor=executor) == Counter(pid(i) for i in range(22))
    assert parts.latest_reason() == f"{why['changed']}; computed 22 of 22 partitions"
    parts.project.write("conf/base/parameters.yml", "factor: 3\n")
    assert parts.run_in_session(executor=executor) == Counter(pid(i) for i in range(22))
    assert parts.outputs() == expected(range(22), factor=3)
