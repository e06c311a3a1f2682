"""Incremental runs of a real project: what reruns after each kind of change, and why."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from datamill.errors import RunnerError
from datamill.io import _file as file_module
from datamill.journal import Journal
from datamill.project import Session
from tests.project.conftest import (
    PACKAGE,
    Project,
    build_project,
    forget_project_modules,
    json_catalog,
)

HELPERS = """\
def scale(values, factor):
    return [v * factor for v in values]


def shift(values, offset):
    return [v + offset for v in values]
"""

PIPELINE = f"""\
from datamill import Pipeline, node
from {PACKAGE} import helpers
from {PACKAGE}.helpers import shift

LOG = "{{log}}"


def _ran(name):
    with open(LOG, "a", encoding="utf-8") as log:
        log.write(name + "\\n")


def scaled(raw, factor):
    _ran("scaled")
    return helpers.scale(raw, factor)


def shifted(raw, offset):
    _ran("shifted")
    return shift(raw, offset)


def summed(a, b):
    _ran("summed")
    return [x + y for x, y in zip(a, b)]


def counted(raw):
    _ran("counted")
    return len(raw)


def kept(raw):
    _ran("kept")
    return raw


def used(memory):
    _ran("used")
    return sum(memory)


def create_pipeline(**kwargs):
    return Pipeline(
        [
            node(scaled, ["raw", "params:factor"], "a", name="scaled"),
            node(shifted, ["raw", "params:offset"], "b", name="shifted"),
            node(summed, ["a", "b"], "c", name="summed"),
            node(counted, "raw", "d", name="counted"),
            node(kept, "raw", "memory", name="kept"),
            node(used, "memory", "e", name="used"),
        ]
    )
"""

CATALOG = json_catalog("abcde")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A project whose ``steps`` pipeline logs each node that runs to ``ran.log``."""
    project = build_project(tmp_path / "inc")
    project.write("conf/base/catalog.yml", CATALOG)
    project.write("conf/base/parameters.yml", "factor: 2\noffset: 1\n")
    project.write_package("helpers.py", HELPERS)
    log = (tmp_path / "ran.log").as_posix()
    project.write_package("pipelines/steps/__init__.py", PIPELINE.replace("{log}", log))
    return project


def run(project: Project, **options: object) -> list[str]:
    """Run the ``steps`` pipeline in a fresh session; return the nodes that ran."""
    forget_project_modules()
    log = project.root.parent / "ran.log"
    log.unlink(missing_ok=True)
    with Session.create(project.root) as session:
        session.run("steps", **options)  # type: ignore[arg-type]
        reasons = {name: d.reason for name, d in session.last_plan.items() if d.runs}
    ran = log.read_text(encoding="utf-8").split() if log.exists() else []
    assert sorted(ran) == sorted(reasons), (ran, reasons)
    return sorted(ran)


def reasons(project: Project, **options: object) -> dict[str, str]:
    """Why each node of ``steps`` would run or not (nothing runs)."""
    forget_project_modules()
    with Session.create(project.root) as session:
        session.run("steps", explain=True, **options)  # type: ignore[arg-type]
        return {name: d.reason for name, d in session.last_plan.items()}


def test_a_second_run_skips_every_unchanged_node(project: Project) -> None:
    assert run(project) == ["counted", "kept", "scaled", "shifted", "summed", "used"]
    assert reasons(project) == dict.fromkeys(
        ["scaled", "shifted", "summed", "counted", "kept", "used"], "unchanged"
    )
    assert run(project) == []
    assert project.read_json("data/02_intermediate/c.json") == [103, 106, 109]  # local: offset 100


def test_pruning_the_journal_leaves_what_skipping_needs(project: Project) -> None:
    run(project)
    project.write("conf/base/parameters.yml", "factor: 3\noffset: 1\n")
    assert run(project) == ["scaled", "summed"]  # the others' last success: the first run
    assert run(project) == []
    assert run(project) == []
    with Journal(project.root / ".datamill" / "journal.db") as journal:
        report = journal.prune(keep=0)

    assert len(report.runs) == 1  # the third run, which skipped every node, goes; the
    assert len(report.kept) == 3  # runs with the last successes, and the newest, stay
    assert reasons(project) == dict.fromkeys(
        ["scaled", "shifted", "summed", "counted", "kept", "used"], "unchanged"
    )
    assert run(project) == []


def test_editing_a_helper_reruns_exactly_its_users_and_what_depends_on_them(
    project: Project,
) -> None:
    run(project)
    project.write_package("helpers.py", HELPERS.replace("v * factor", "factor * v + 0"))
    why = reasons(project)
    assert why["scaled"] == "code changed: helper scale() in millproj/helpers.py changed"
    assert why["summed"] == "input 'a' is recomputed by node 'scaled'"
    assert run(project) == ["scaled", "summed"]
    project.write_package("helpers.py", HELPERS.replace("v + offset", "offset + v"))
    assert run(project) == ["scaled", "shifted", "summed"]  # scale() changed back, too


def test_a_parameter_reruns_its_consumers_and_their_downstream(project: Project) -> None:
    run(project)
    project.write("conf/base/parameters.yml", "factor: 3\noffset: 1\n")
    assert reasons(project)["scaled"] == "parameter factor changed"
    assert run(project) == ["scaled", "summed"]


def test_input_files_count_by_content_not_by_time(project: Project) -> None:
    run(project)
    raw = project.root / "data/01_raw/raw.json"
    stat = raw.stat()
    raw.write_text(raw.read_text(encoding="utf-8"), encoding="utf-8")
    os.utime(raw, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert run(project) == []
    raw.write_text("[1, 2, 30]\n", encoding="utf-8")
    assert reasons(project)["counted"] == "input 'raw' changed"
    assert run(project) == ["counted", "kept", "scaled", "shifted", "summed", "used"]


def test_a_missing_or_edited_output_reruns_its_producer(project: Project) -> None:
    run(project)
    (project.root / "data/02_intermediate/d.json").unlink()
    (project.root / "data/02_intermediate/a.json").write_text("[0]", encoding="utf-8")
    why = reasons(project)
    assert why["counted"] == "output 'd' missing"
    assert why["scaled"] == "output 'a' changed since it was saved"
    assert run(project) == ["counted", "scaled", "summed"]


def test_in_memory_data_is_recomputed_for_a_node_that_runs(project: Project) -> None:
    run(project)
    why = reasons(project, force=["used"])
    assert why["used"] == "forced"
    assert why["kept"] == "its in-memory output 'memory' is needed by node 'used'"
    assert run(project, force=["used"]) == ["kept", "used"]


def test_force_and_no_incremental_run_everything(project: Project) -> None:
    run(project)
    assert len(run(project, force=True)) == 6
    assert len(run(project, incremental=False)) == 6


def test_forcing_a_node_the_run_cannot_force_is_an_error_before_anything_runs(
    project: Project,
) -> None:
    with pytest.raises(RunnerError) as raised:
        run(project, force=["sumed", "counted"], node_names=["summed"])

    assert str(raised.value).splitlines()[1:] == [
        "  - --force: node 'sumed' is not in pipeline 'steps'. Did you mean 'summed' or 'used'?",
        "  - --force: node 'counted' is not among the nodes selected to run; select it too, "
        "or leave it out of --force.",
    ]
    assert not (project.root.parent / "ran.log").exists()


def test_a_forced_name_like_no_node_says_where_to_see_the_nodes(project: Project) -> None:
    with pytest.raises(RunnerError) as raised:
        run(project, force=["zzz"])

    assert str(raised.value) == (
        "The pipeline cannot run: --force: node 'zzz' is not in pipeline 'steps'. "
        "'datamill pipeline describe steps' lists its nodes, datasets and tags."
    )


def test_every_run_and_node_is_in_the_journal(project: Project) -> None:
    run(project)
    run(project)
    with Journal(project.root / ".datamill/journal.db") as journal:
        second, first = journal.runs(limit=2)
        assert (first.status, first.nodes_ran, first.nodes_skipped) == ("succeeded", 6, 0)
        assert (second.status, second.nodes_ran, second.nodes_skipped) == ("succeeded", 0, 6)
        detail = journal.run(first.run_id)
        assert detail.pipeline == "steps"
        assert detail.options["pipeline"] == "steps"
        [summed] = [n for n in journal.nodes(first.run_id) if n.node_name == "summed"]
        assert [d.name for d in summed.loads] == ["a", "b"]
        assert [d.name for d in summed.saves] == ["c"]
        assert summed.saves[0].fingerprint is not None
        assert summed.duration is not None
        assert json.loads(json.dumps(dict(summed.input_fingerprints))).keys() == {"a", "b"}


def test_a_dataset_without_fingerprint_reruns_its_consumers_unless_assumed_unchanged(
    project: Project,
) -> None:
    catalog = CATALOG.replace(
        "raw:\n  type: json.JSONDataset\n  filepath: data/01_raw/raw.json\n",
        "raw:\n  type: MemoryDataset\n  data: [1, 2, 3]\n",
    )
    project.write("conf/base/catalog.yml", catalog)
    run(project)
    assert reasons(project)["counted"] == "input 'raw' cannot be fingerprinted"
    assert "counted" in run(project)
    project.write(
        "conf/base/catalog.yml",
        catalog.replace("[1, 2, 3]\n", "[1, 2, 3]\n  assume_unchanged: true\n"),
    )
    run(project)  # records the assumed fingerprint
    assert reasons(project)["counted"] == "unchanged"
    assert run(project) == []


def test_assume_unchanged_must_be_a_boolean() -> None:
    from datamill import DataCatalog
    from datamill.errors import DatasetError

    with pytest.raises(DatasetError, match="'assume_unchanged' must be true or false, got str"):
        DataCatalog.from_config({"api": {"type": "MemoryDataset", "assume_unchanged": "yes"}})
    catalog = DataCatalog.from_config({"api": {"type": "MemoryDataset", "assume_unchanged": True}})
    assert catalog["api"].assume_unchanged
    assert catalog["api"].run_fingerprint() == "assumed-unchanged"


def test_hashes_of_large_files_are_kept_in_the_journal_for_later_runs(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(file_module, "REMEMBER_FROM", 0)  # every file counts as large
    run(project)
    with Journal(project.root / ".datamill/journal.db") as journal:
        raw_url = (project.root / "data/01_raw/raw.json").resolve().as_uri()
        stored = journal.file_hash(raw_url, _stamp(project.root / "data/01_raw/raw.json"))
    assert stored is not None

    def no_reading(fs: object, path: str) -> str:
        raise AssertionError(f"{path} was read again to hash it")

    with monkeypatch.context() as patched:  # a later process knows every hash already
        patched.setattr(file_module, "_hash_file", no_reading)
        assert run(project) == []
    (project.root / "data/01_raw/raw.json").write_text("[1, 2, 30]\n", encoding="utf-8")
    assert "counted" in run(project)  # a changed file has another stamp: hashed again


def _stamp(path: Path) -> str:
    info = path.stat()
    return f"{info.st_size}:{info.st_mtime}:{info.st_ino}"


MODELS = """\
from datamill import Pipeline, node


def fit(raw, model):
    return [v * model["alpha"] + model["layers"]["n"] for v in raw]


def create_pipeline(**kwargs):
    return Pipeline([node(fit, ["raw", "params:model"], "fitted", name="fit")])
"""


def test_a_change_inside_a_mapping_parameter_is_named_by_its_path(project: Project) -> None:
    project.write("conf/base/catalog.yml", CATALOG + FITTED)
    project.write_package("pipelines/models/__init__.py", MODELS)
    model = "model:\n  alpha: {alpha}\n  layers:\n    n: {n}\n  name: m\n"
    project.write("conf/base/parameters.yml", "factor: 2\noffset: 1\n" + model.format(alpha=2, n=3))
    forget_project_modules()
    with Session.create(project.root) as session:
        session.run("models")

    def why() -> str:
        forget_project_modules()
        with Session.create(project.root) as session:
            session.run("models", explain=True)
            return session.last_plan["fit"].reason

    assert why() == "unchanged"
    project.write("conf/base/parameters.yml", "factor: 2\noffset: 1\n" + model.format(alpha=5, n=3))
    assert why() == "parameter model.alpha changed"
    project.write("conf/base/parameters.yml", "factor: 2\noffset: 1\n" + model.format(alpha=5, n=4))
    assert why() == "parameters model.alpha, model.layers.n changed"


FITTED = "fitted:\n  type: json.JSONDataset\n  filepath: data/02_intermediate/fitted.json\n"


def _with_entry_option(dataset: str, option: str) -> str:
    """`CATALOG` with one more line in ``dataset``'s entry (``"load_args: {strict: false}"``)."""
    entry = f"{dataset}:\n  type: json.JSONDataset\n"
    assert entry in CATALOG
    return CATALOG.replace(entry, f"{entry}  {option}\n")


def test_changed_load_args_rerun_the_consumers_and_not_the_producer(project: Project) -> None:
    run(project)
    project.write("conf/base/catalog.yml", _with_entry_option("a", "load_args: {strict: false}"))
    why = reasons(project)
    assert why["scaled"] == "unchanged"
    assert why["summed"] == "catalog entry of input 'a' changed: load_args"
    assert run(project) == ["summed"]
    assert run(project) == []


def test_changed_save_args_rerun_the_producer(project: Project) -> None:
    run(project)
    project.write("conf/base/catalog.yml", _with_entry_option("a", "save_args: {indent: 4}"))
    assert reasons(project)["scaled"] == "catalog entry of output 'a' changed: save_args"
    assert run(project) == ["scaled", "summed"]
    assert (project.root / "data/02_intermediate/a.json").read_text().startswith("[\n    ")


def test_a_changed_dataset_type_reruns_its_producer_and_consumers(project: Project) -> None:
    run(project)
    project.write(
        "conf/base/catalog.yml",
        CATALOG.replace("a:\n  type: json.JSONDataset", "a:\n  type: yaml.YAMLDataset"),
    )
    why = reasons(project)
    assert why["scaled"] == "catalog entry of output 'a' changed: type"
    assert why["summed"] == "input 'a' is recomputed by node 'scaled'"


def test_a_project_moved_to_another_folder_reruns_nothing(project: Project) -> None:
    run(project)
    moved = Project(project.root.with_name("moved"))
    project.root.rename(moved.root)

    assert reasons(moved) == dict.fromkeys(
        ["scaled", "shifted", "summed", "counted", "kept", "used"], "unchanged"
    )


def test_data_kept_in_memory_counts_how_its_producer_read_its_inputs(project: Project) -> None:
    # `kept` reads raw into memory for `used`: with raw read otherwise, the memory data is
    # not what it was, so early cutoff must not skip `used`.
    run(project)
    project.write("conf/base/catalog.yml", _with_entry_option("raw", "load_args: {strict: false}"))
    assert reasons(project)["kept"] == "catalog entry of input 'raw' changed: load_args"
    assert "used" in run(project, early_cutoff=True)


def test_runs_recorded_before_catalog_entries_were_kept_count_them_unchanged(
    project: Project,
) -> None:
    run(project)
    with sqlite3.connect(project.root / ".datamill/journal.db") as connection:
        connection.execute("UPDATE nodes SET catalog = NULL")
    connection.close()
    project.write("conf/base/catalog.yml", _with_entry_option("a", "load_args: {strict: false}"))
    assert reasons(project)["summed"] == "unchanged"


LINES = """\
from pathlib import Path

from datamill import AbstractDataset


def parse(text):
    return [int(line) for line in text.split()]


class Lines(AbstractDataset):
    def __init__(self, filepath):
        self._path = Path(filepath)

    def fingerprint(self):
        return self._path.read_text() if self._path.exists() else None

    def _load(self):
        return parse(self._path.read_text())

    def _save(self, data):
        self._path.write_text("\\n".join(map(str, data)))

    def _describe(self):
        return {"filepath": str(self._path)}
"""


def test_editing_a_dataset_type_of_the_project_reruns_what_reads_it(project: Project) -> None:
    project.write_package("datasets.py", LINES)
    project.write("data/01_raw/raw.txt", "1\n2\n3\n")
    lines = f"raw:\n  type: {PACKAGE}.datasets.Lines\n  filepath: data/01_raw/raw.txt\n"
    project.write("conf/base/catalog.yml", json_catalog("abcde").split("raw:")[0] + lines)
    run(project)
    assert run(project) == []
    project.write_package("datasets.py", LINES.replace("int(line)", "int(line) * 10"))

    why = reasons(project)

    assert why["counted"] == "code of dataset type Lines (input 'raw') changed"
    assert run(project) == ["counted", "kept", "scaled", "shifted", "summed", "used"]
    assert project.read_json("data/02_intermediate/a.json") == [20, 40, 60]
    project.write_package("datasets.py", LINES.replace("text.split()", "text.split('\\n')"))
    assert reasons(project)["counted"] == "code of dataset type Lines (input 'raw') changed"
