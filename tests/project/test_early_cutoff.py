"""Early cutoff: a rerun whose saved output comes out identical stops the reruns below it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from datamill.cli import _main
from datamill.errors import RunnerError
from datamill.hooks import RunParams, hook_impl
from datamill.journal import Journal
from datamill.pipeline import Node
from datamill.project import Session
from datamill.runner import Decision
from tests.project.conftest import (
    PACKAGE,
    Project,
    build_project,
    forget_project_modules,
    json_catalog,
)

HELPERS = """\
def normalise(values):
    return sorted(values)
"""

SAME_OUTPUT = """\
def normalise(values):
    return sorted(values, reverse=False)
"""

REVERSED = """\
def normalise(values):
    return sorted(values, reverse=True)
"""

LOGGED = f"""\
import os

from datamill import Pipeline, node
from {PACKAGE} import helpers

LOG = "{{log}}"


def _ran(name):
    with open(LOG, "a", encoding="utf-8") as log:
        log.write(name + "\\n")
"""
"""The start of a pipeline module whose nodes note in a log, with ``_ran``, that they ran."""

PIPELINE = (
    LOGGED
    + """

def prepared(raw):
    _ran("prepared")
    return helpers.normalise(raw)


def total(x):
    _ran("total")
    if os.path.exists(LOG + ".fail"):
        raise RuntimeError("asked to fail")
    return sum(x)


def report(y):
    _ran("report")
    return f"total {y}"


def kept(x):
    _ran("kept")
    return len(x)


def used(memory):
    _ran("used")
    return memory * 2


def create_pipeline(**kwargs):
    return Pipeline(
        [
            node(prepared, "raw", "x", name="prepared"),
            node(total, "x", "y", name="total"),
            node(report, "y", "z", name="report"),
            node(kept, "x", "memory", name="kept"),
            node(used, "memory", "w", name="used"),
        ]
    )
"""
)

CATALOG = json_catalog("xyzw")

ALL = ["kept", "prepared", "report", "total", "used"]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A project whose ``steps`` pipeline logs each node that runs to ``ran.log``:
    ``prepared`` (using ``helpers.normalise``) -> x -> ``total`` -> y -> ``report`` -> z,
    and x -> ``kept`` -> memory -> ``used`` -> w. ``total`` fails while ``ran.log.fail``
    exists."""
    project = build_project(tmp_path / "cut")
    project.write("conf/base/catalog.yml", CATALOG)
    project.write("data/01_raw/raw.json", "[3, 1, 2]\n")
    project.write_package("helpers.py", HELPERS)
    log = (tmp_path / "ran.log").as_posix()
    project.write_package("pipelines/steps/__init__.py", PIPELINE.replace("{log}", log))
    return project


def run(
    project: Project, pipeline: str = "steps", **options: object
) -> tuple[list[str], dict[str, Decision]]:
    """Run ``pipeline`` in a fresh session: the nodes that ran, and every node's decision."""
    forget_project_modules()
    log = _log(project)
    log.unlink(missing_ok=True)
    with Session.create(project.root) as session:
        try:
            session.run(pipeline, **options)  # type: ignore[arg-type]
        finally:
            decisions = dict(session.last_plan)
    return sorted(log.read_text(encoding="utf-8").split() if log.exists() else []), decisions


def _log(project: Project) -> Path:
    return project.root.parent / "ran.log"


def _journal(project: Project) -> Journal:
    return Journal(project.root / ".datamill" / "journal.db")


@pytest.mark.parametrize("executor", ["sequential", "thread", "process"])
def test_a_rerun_that_saves_the_same_content_skips_what_reads_it(
    project: Project, executor: str
) -> None:
    assert run(project)[0] == ALL
    project.write_package("helpers.py", SAME_OUTPUT)

    ran, decisions = run(project, early_cutoff=True, executor=executor)

    # prepared's code changed and it ran; x came out the same, so total and report (which
    # reads total's untouched y) were skipped, and so were kept and used, together: used
    # needs kept's in-memory output, which kept's unchanged input makes unchanged too.
    assert ran == ["prepared"]
    assert {name for name, d in decisions.items() if d.runs} == {"prepared"}
    assert decisions["total"].reason == "unchanged: upstream reruns left input 'x' unchanged"
    assert decisions["report"].reason == "unchanged: upstream reruns left input 'y' unchanged"
    assert decisions["kept"].reason == "unchanged: upstream reruns left input 'x' unchanged"
    assert decisions["used"].reason == "unchanged: upstream reruns left input 'memory' unchanged"
    with _journal(project) as journal:
        nodes = {n.node_name: n for n in journal.run("latest").nodes}
    assert nodes["total"].status == "skipped"
    assert nodes["total"].reason == decisions["total"].reason
    assert nodes["total"].input_fingerprints["x"] is not None
    assert nodes["used"].input_fingerprints["memory"] is not None
    assert run(project)[0] == []  # the skipped nodes' last successes still hold


def test_without_early_cutoff_everything_below_a_rerun_reruns(project: Project) -> None:
    run(project)
    project.write_package("helpers.py", SAME_OUTPUT)

    ran, decisions = run(project)

    assert ran == ALL
    assert decisions["total"].reason == "input 'x' is recomputed by node 'prepared'"
    assert decisions["total"].awaits == {}


def test_a_changed_input_runs_the_node_and_the_cutoff_may_happen_further_down(
    project: Project,
) -> None:
    run(project)
    project.write_package("helpers.py", REVERSED)  # x changes; its sum, y, does not

    ran, decisions = run(project, early_cutoff=True)

    assert ran == ["kept", "prepared", "total", "used"]
    assert decisions["total"].runs is True
    assert decisions["total"].reason == "input 'x' is recomputed by node 'prepared'"
    assert decisions["report"].reason == "unchanged: upstream reruns left input 'y' unchanged"
    assert project.read_json("data/02_intermediate/x.json") == [3, 2, 1]


def test_explain_says_which_nodes_wait_for_their_inputs(project: Project) -> None:
    run(project)
    project.write_package("helpers.py", SAME_OUTPUT)

    ran, decisions = run(project, early_cutoff=True, explain=True)

    assert ran == []
    assert decisions["total"].runs is True
    assert set(decisions["total"].awaits) == {"x"}
    assert set(decisions["report"].awaits) == {"y"}
    assert set(decisions["kept"].awaits) == {"x"}
    assert set(decisions["used"].awaits) == {"memory"}


def test_a_node_whose_catalog_entry_changed_is_not_cut_off(project: Project) -> None:
    run(project)
    project.write_package("helpers.py", SAME_OUTPUT)
    y_entry = "y:\n  type: json.JSONDataset\n"
    project.write(
        "conf/base/catalog.yml", CATALOG.replace(y_entry, y_entry + "  save_args: {indent: 0}\n")
    )

    ran, decisions = run(project, early_cutoff=True)

    # x comes out the same, but total must write y otherwise: it runs; report, whose y is
    # rewritten with the same data, is cut off.
    assert ran == ["prepared", "total"]
    assert decisions["total"].awaits == {}
    assert decisions["report"].reason == "unchanged: upstream reruns left input 'y' unchanged"


def test_a_node_with_a_missing_output_is_not_cut_off(project: Project) -> None:
    run(project)
    project.write_package("helpers.py", SAME_OUTPUT)
    (project.root / "data/02_intermediate/z.json").unlink()

    ran, decisions = run(project, early_cutoff=True)

    assert ran == ["prepared", "report"]
    assert decisions["report"].reason == "input 'y' is recomputed by node 'total'"
    assert project.read_json("data/02_intermediate/z.json") == "total 6"


def test_the_setting_turns_it_on_and_the_run_records_it(project: Project) -> None:
    run(project)
    project.write_package("settings.py", "EARLY_CUTOFF = True\n")
    project.write_package("helpers.py", SAME_OUTPUT)

    ran, _ = run(project)

    assert ran == ["prepared"]
    with _journal(project) as journal:
        assert journal.run("latest").options["early_cutoff"] is True


def test_a_resume_cuts_off_as_the_run_it_finishes_did(project: Project) -> None:
    run(project)
    project.write_package("helpers.py", REVERSED)  # x changes, y will not
    fail = Path(f"{_log(project)}.fail")
    fail.write_text("", encoding="utf-8")
    with pytest.raises(RunnerError, match="asked to fail"):
        run(project, early_cutoff=True)
    fail.unlink()
    with _journal(project) as journal:
        failed = journal.run("latest").run_id

    ran, decisions = run(project, resumes=failed)

    assert "total" in ran
    assert "report" not in ran
    assert decisions["report"].reason == "unchanged: upstream reruns left input 'y' unchanged"


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_a_run_whose_last_nodes_are_all_cut_off_ends(project: Project, executor: str) -> None:
    run(project)
    project.write_package("helpers.py", SAME_OUTPUT)

    # Once prepared finished, every node left is skipped: nothing runs, nothing is awaited.
    ran, decisions = run(project, early_cutoff=True, executor=executor, to_outputs=["z"])

    assert ran == ["prepared"]
    assert [name for name, d in decisions.items() if d.runs] == ["prepared"]


LOOKUPS = (
    LOGGED
    + """

def lookup(table):
    _ran("lookup")
    return {str(key): key * 10 for key in table}


def prepared(raw):
    _ran("prepared")
    return helpers.normalise(raw)


def joined(x, lookup):
    _ran("joined")
    return [lookup[str(value)] for value in x]


def create_pipeline(**kwargs):
    return Pipeline(
        [
            node(lookup, "table", "lookup", name="lookup"),
            node(prepared, "raw", "x", name="prepared"),
            node(joined, ["x", "lookup"], "j", name="joined"),
        ]
    )
"""
)


@pytest.fixture
def lookups(project: Project) -> Project:
    """The project with a ``lookups`` pipeline: ``lookup`` reads ``table`` and keeps its
    output in memory for ``joined``, which also reads ``prepared``'s x."""
    log = _log(project).as_posix()
    project.write_package("pipelines/lookups/__init__.py", LOOKUPS.replace("{log}", log))
    project.write(
        "conf/base/catalog.yml",
        CATALOG
        + json_catalog("j").split("raw:")[0]
        + "table:\n  type: json.JSONDataset\n  filepath: data/01_raw/table.json\n",
    )
    project.write("data/01_raw/table.json", "[1, 2, 3]\n")
    return project


@pytest.mark.parametrize(
    ("executor", "expected"),
    [
        # lookup is ready first: it waits while prepared runs, then is cut off with joined
        ("sequential", ["prepared"]),
        # a slot is free as prepared runs: lookup uses it rather than wait (it may be needed)
        ("thread", ["lookup", "prepared"]),
        ("process", ["lookup", "prepared"]),
    ],
)
def test_an_unchanged_node_that_only_feeds_nodes_cut_off_is_cut_off_with_them(
    lookups: Project, executor: str, expected: list[str]
) -> None:
    assert run(lookups, "lookups")[0] == ["joined", "lookup", "prepared"]
    lookups.write_package("helpers.py", SAME_OUTPUT)

    ran, decisions = run(lookups, "lookups", early_cutoff=True, executor=executor)

    assert ran == expected
    assert decisions["joined"].reason == "unchanged: upstream reruns left input 'x' unchanged"
    if "lookup" not in expected:
        assert decisions["lookup"].runs is False
        assert decisions["lookup"].reason == (
            "unchanged: the nodes that needed its in-memory output were cut off"
        )
    with _journal(lookups) as journal:
        nodes = {n.node_name: n for n in journal.run("latest").nodes}
    assert nodes["joined"].status == "skipped"
    assert nodes["lookup"].status == ("ran" if "lookup" in expected else "skipped")
    assert run(lookups, "lookups")[0] == []  # the last successes still hold


def test_a_node_set_aside_does_not_keep_the_others_from_running_in_parallel(
    lookups: Project,
) -> None:
    # lookup and prepared each wait for the other: they must run at the same time.
    together = LOOKUPS.replace(
        "def _ran(name):\n",
        "import threading\n\nBOTH = threading.Barrier(2, timeout=60)\n\n\ndef _ran(name):\n"
        "    BOTH.wait()\n",
    )
    together = together.replace('    _ran("joined")\n', "")
    lookups.write_package(
        "pipelines/lookups/__init__.py", together.replace("{log}", _log(lookups).as_posix())
    )
    assert run(lookups, "lookups", executor="thread")[0] == ["lookup", "prepared"]
    lookups.write_package("helpers.py", SAME_OUTPUT)

    # lookup is set aside while prepared is handed to a thread, then takes another thread.
    ran, decisions = run(lookups, "lookups", early_cutoff=True, executor="thread")

    assert ran == ["lookup", "prepared"]
    assert decisions["joined"].reason == "unchanged: upstream reruns left input 'x' unchanged"


@pytest.mark.parametrize("change", ["x changes", "joined's code changes"])
def test_an_unchanged_node_feeding_a_node_that_must_run_runs(lookups: Project, change: str) -> None:
    run(lookups, "lookups")
    lookups.write_package("helpers.py", REVERSED)
    if change == "joined's code changes":  # joined runs whatever x is: lookup never waits
        code = LOOKUPS.replace("for value in x]", "for value in list(x)]")
        lookups.write_package(
            "pipelines/lookups/__init__.py", code.replace("{log}", str(_log(lookups).as_posix()))
        )

    planned = run(lookups, "lookups", early_cutoff=True, explain=True)[1]
    ran, decisions = run(lookups, "lookups", early_cutoff=True)

    # With x recomputed, joined may be cut off until x is known, and lookup may wait.
    assert planned["lookup"].feeds is (change == "x changes")
    assert ran == ["joined", "lookup", "prepared"]
    assert decisions["lookup"].reason == "its in-memory output 'lookup' is needed by node 'joined'"
    assert decisions["lookup"].feeds is False
    assert lookups.read_json("data/02_intermediate/j.json") == [30, 20, 10]


class Skips:
    """Hooks that note the nodes to run and those skipped during the run."""

    def __init__(self) -> None:
        self.node_count = 0
        self.skipped: dict[str, str] = {}

    @hook_impl
    def before_pipeline_run(self, run_params: RunParams) -> None:
        self.node_count = run_params["node_count"]

    @hook_impl
    def after_node_skipped(self, node: Node, reason: str) -> None:
        self.skipped[node.name] = reason


def test_hooks_hear_of_each_node_cut_off(project: Project) -> None:
    run(project)
    project.write_package("helpers.py", SAME_OUTPUT)
    forget_project_modules()
    skips = Skips()

    with Session.create(project.root) as session:
        session.hook_manager.register(skips)
        session.run("steps", early_cutoff=True)

    assert skips.node_count == 5
    assert skips.skipped == {
        "total": "unchanged: upstream reruns left input 'x' unchanged",
        "report": "unchanged: upstream reruns left input 'y' unchanged",
        "kept": "unchanged: upstream reruns left input 'x' unchanged",
        "used": "unchanged: upstream reruns left input 'memory' unchanged",
    }


def datamill(*args: str) -> Result:
    """``datamill ARGS...`` run in-process (in the current folder), the project's code
    imported afresh."""
    forget_project_modules()
    return CliRunner().invoke(_main.cli, list(args), prog_name="datamill")


@pytest.mark.parametrize(
    ("pipeline", "explained", "skipped"),
    [
        (
            "steps",
            "  run   total     input 'x' is recomputed by node 'prepared' "
            "(skipped if 'x' comes out unchanged)",
            "unchanged: upstream reruns left input 'x' unchanged: total, kept",
        ),
        (
            "lookups",
            "  run   lookup    its in-memory output 'lookup' is needed by node 'joined' "
            "(skipped if the nodes that need it are cut off)",
            "unchanged: the nodes that needed its in-memory output were cut off: lookup",
        ),
    ],
)
def test_the_command_line_explains_and_cuts_off(
    lookups: Project, monkeypatch: pytest.MonkeyPatch, pipeline: str, explained: str, skipped: str
) -> None:
    monkeypatch.chdir(lookups.root)
    assert datamill("run", "--pipeline", pipeline).exit_code == 0
    lookups.write_package("helpers.py", SAME_OUTPUT)

    explain = datamill("run", "--pipeline", pipeline, "--early-cutoff", "--explain")
    assert explain.exit_code == 0, explain.output
    assert explained in explain.output.splitlines()

    ran = datamill("run", "--pipeline", pipeline, "--early-cutoff", "--no-progress")
    assert ran.exit_code == 0, ran.output
    assert "Ran 1 node(s)" in ran.output
    assert skipped in ran.output


def test_resume_takes_the_runs_own_early_cutoff(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    result = datamill("run", "--resume", "--early-cutoff")

    assert result.exit_code == 2
    assert "--early-cutoff cannot be given with it" in result.output
