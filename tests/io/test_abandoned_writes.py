"""Temporary files left by killed saves are removed by the next run that writes there.

A save writes a hidden temporary file named after the target, this machine and its process,
then renames it into place. A save killed before the rename leaves the temporary file; only
such files, of a process that is gone, are ever removed.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO

import pytest

from datamill import DataCatalog, MemoryDataset, Pipeline, node, run
from datamill._processes import MACHINE_TAG
from datamill.datasets.json import JSONDataset
from datamill.datasets.partitions import PartitionedDataset
from datamill.errors import DatasetError
from datamill.io import discard_abandoned_writes

TOKEN = "0123456789abcdef"

KILLED_SAVE = """
import sys
from datamill.datasets.json import JSONDataset

class Stalled(JSONDataset):
    def _write(self, data, stream):
        stream.write(b'{"half": ')
        stream.flush()
        print("writing", flush=True)
        sys.stdin.read()  # until the test kills this process

Stalled(sys.argv[1], versioned="--versioned" in sys.argv).save({"new": True})
"""


def kill_while_saving(target: Path, *options: str, script: str = KILLED_SAVE) -> int:
    """Kill a process in the middle of a save to ``target``; its id. ``script`` saves with
    ``target`` and ``options`` as arguments, and prints ``writing`` once it has begun."""
    with subprocess.Popen(
        [sys.executable, "-c", script, str(target), *options],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    ) as child:
        assert child.stdout is not None
        assert child.stdout.readline() == b"writing\n"
        child.kill()
    return child.pid


def dead_pid() -> int:
    """The id of a process that has exited (and was reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def temp_name(target: str, pid: int, tag: str = MACHINE_TAG) -> str:
    return f".{target}.{tag}.{pid}.{TOKEN}.tmp"


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def double(x: int) -> int:
    return 2 * x


def test_a_killed_save_leaves_its_temporary_file_and_the_old_file_intact(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text('{"old": true}', encoding="utf-8")
    pid = kill_while_saving(target)

    [leftover] = hidden(tmp_path)
    assert leftover.startswith(f".out.json.{MACHINE_TAG}.{pid}.")
    assert json.loads(target.read_text(encoding="utf-8")) == {"old": True}

    removed = discard_abandoned_writes([JSONDataset(str(target))])

    assert removed == [str(tmp_path / leftover)]
    assert hidden(tmp_path) == []
    assert json.loads(target.read_text(encoding="utf-8")) == {"old": True}


def test_only_temporary_files_of_dead_processes_of_this_machine_are_removed(
    tmp_path: Path,
) -> None:
    dead = dead_pid()
    live = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    other_machine = "ffffff" if MACHINE_TAG != "ffffff" else "000000"
    names = [
        temp_name("a.json", dead),  # abandoned: removed
        temp_name("a.json", os.getpid()),  # a save in progress in this process
        temp_name("a.json", live.pid),  # a save in progress in another process
        temp_name("a.json", dead, tag=other_machine),  # cannot be checked from here
        f".a.json.{TOKEN}.tmp",  # not named by datamill
        f".a.json.{dead}.{TOKEN}.tmp",
        "a.json.tmp",
        "notes.txt",
    ]
    try:
        for name in names:
            (tmp_path / name).write_text("x", encoding="utf-8")

        removed = discard_abandoned_writes([JSONDataset(str(tmp_path / "a.json"))])
    finally:
        with live:
            live.kill()

    assert removed == [str(tmp_path / names[0])]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[1:])


def test_each_folder_is_listed_once_and_missing_folders_are_passed_over(tmp_path: Path) -> None:
    dead = dead_pid()
    (tmp_path / temp_name("b.json", dead)).write_text("x", encoding="utf-8")
    datasets = [
        JSONDataset(str(tmp_path / "a.json")),
        JSONDataset(str(tmp_path / "b.json")),
        JSONDataset(str(tmp_path / "missing" / "c.json")),
        MemoryDataset(1),
    ]

    removed = discard_abandoned_writes(datasets)

    assert removed == [str(tmp_path / temp_name("b.json", dead))]
    assert hidden(tmp_path) == []


def test_a_killed_versioned_save_leaves_no_version_only_its_temporary_file(
    tmp_path: Path,
) -> None:
    root = tmp_path / "model.json"
    dataset = JSONDataset(str(root), versioned=True)
    dataset.save({"version": 1})
    [kept] = dataset.list_versions()
    pid = kill_while_saving(root, "--versioned")

    # The temporary file is in the folder of the versions; no folder was made for the
    # killed save's version, so none is left empty.
    [leftover] = hidden(root)
    assert leftover.startswith(f".model.json.{MACHINE_TAG}.{pid}.")
    assert sorted(p.name for p in root.iterdir()) == sorted([kept, leftover])
    assert dataset.scratch_folders() == [str(root)]

    removed = discard_abandoned_writes([dataset])

    assert removed == [str(root / leftover)]
    assert [p.name for p in root.iterdir()] == [kept]
    assert dataset.load() == {"version": 1}


class Unwritable(JSONDataset):
    def _write(self, data: object, stream: IO[bytes]) -> None:
        stream.write(b'{"half": ')
        raise OSError("disk full")


def test_a_failed_versioned_save_leaves_nothing(tmp_path: Path) -> None:
    root = tmp_path / "model.json"
    JSONDataset(str(root), versioned=True).save({"version": 1})
    [kept] = JSONDataset(str(root), versioned=True).list_versions()

    with pytest.raises(DatasetError, match="disk full"):
        Unwritable(str(root), versioned=True).save({"version": 2})

    assert [p.name for p in root.iterdir()] == [kept]
    assert JSONDataset(str(root), versioned=True).load() == {"version": 1}


def test_a_partitioned_dataset_sweeps_every_folder_of_its_partitions(tmp_path: Path) -> None:
    root = tmp_path / "days"
    (root / "2026" / "11").mkdir(parents=True)
    dead = dead_pid()
    (root / "2026" / "11" / temp_name("22.json", dead)).write_text("x", encoding="utf-8")
    (root / temp_name("top.json", dead)).write_text("x", encoding="utf-8")
    dataset = PartitionedDataset(str(root), "json.JSONDataset")

    removed = discard_abandoned_writes([dataset])

    assert sorted(removed) == sorted(
        [
            str(root / "2026" / "11" / temp_name("22.json", dead)),
            str(root / temp_name("top.json", dead)),
        ]
    )


def test_datasets_off_the_local_disk_write_their_temporary_files_to_the_system_folder() -> None:
    assert JSONDataset("memory://sweep/a.json").scratch_folders() == [tempfile.gettempdir()]
    partitions = PartitionedDataset("memory://sweep/days", "json.JSONDataset")
    assert partitions.scratch_folders() == [tempfile.gettempdir()]
    assert MemoryDataset(1).scratch_folders() == []


def test_a_run_removes_what_killed_saves_left_where_it_writes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    leftover = tmp_path / temp_name("out.json", dead_pid())
    leftover.write_text('{"half": ', encoding="utf-8")
    catalog = DataCatalog({"x": MemoryDataset(2), "out": JSONDataset(str(tmp_path / "out.json"))})

    with caplog.at_level(logging.INFO, logger="datamill.runner"):
        run(Pipeline([node(double, "x", "out")]), catalog)

    assert not leftover.exists()
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8")) == 4
    assert (
        f"Removed 1 temporary file(s) left by saves that were killed: {leftover}" in caplog.messages
    )


def test_a_run_that_finds_nothing_to_remove_says_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    catalog = DataCatalog({"x": MemoryDataset(2), "out": JSONDataset(str(tmp_path / "out.json"))})

    with caplog.at_level(logging.INFO, logger="datamill.runner"):
        run(Pipeline([node(double, "x", "out")]), catalog)

    assert not [m for m in caplog.messages if "temporary file" in m]
    assert hidden(tmp_path) == []
