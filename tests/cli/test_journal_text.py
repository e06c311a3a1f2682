"""How the journal commands write durations, sizes, commits, labels and tables."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from datamill.cli._journal_text import (
    count_leaves,
    dataset_label,
    duration_text,
    json_text,
    memory_text,
    short_commit,
    short_fingerprint,
    table,
    value_text,
)
from datamill.journal import DatasetRecord


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "-"),
        (0.0004, "0.000s"),
        (12.3456, "12.346s"),
        (59.9996, "1m 00s"),
        (245, "4m 05s"),
        (3599.6, "1h 00m"),
        (7385, "2h 03m"),
    ],
)
def test_durations(seconds: float | None, text: str) -> None:
    assert duration_text(seconds) == text


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (None, "-"),
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (52_428_800, "50.0 MiB"),
        (3 * 2**30, "3.0 GiB"),
        (2**50, "1024.0 TiB"),
    ],
)
def test_memory_sizes(size: int | None, text: str) -> None:
    assert memory_text(size) == text


def test_commits_are_shortened_and_starred_when_dirty() -> None:
    assert short_commit("9f2c1e4b7a0d5e6f", False) == "9f2c1e4b"
    assert short_commit("9f2c1e4b7a0d5e6f", True) == "9f2c1e4b*"
    assert short_commit("9f2c1e4b7a0d5e6f", None) == "9f2c1e4b"
    assert short_commit(None, True) == "-"


def test_dataset_labels_leave_out_what_is_unknown() -> None:
    assert dataset_label(DatasetRecord("raw", "load")) == "raw"
    saved = DatasetRecord("model", "save", "v1", "0123456789abcdef", persisted=True)
    assert dataset_label(saved) == "model@v1 (fingerprint 0123456789ab)"
    assert dataset_label(DatasetRecord("tmp", "save", persisted=False)) == "tmp (in memory)"
    parameter = DatasetRecord("params:alpha", "load", fingerprint="p1")
    assert dataset_label(parameter) == "params:alpha (parameter, fingerprint p1)"


def test_short_fingerprints_show_the_digest_without_its_scheme() -> None:
    assert short_fingerprint("blake2b:639e1a2b3c4d5e6f7a8b") == "639e1a2b3c4d"
    assert short_fingerprint("partitions:f00dfeed1234abcd") == "f00dfeed1234"
    assert short_fingerprint("0123456789abcdef") == "0123456789ab"
    assert short_fingerprint("etag:") == "etag:"


def test_parameters_are_counted_leaf_by_leaf_and_written_as_json() -> None:
    assert count_leaves({"model": {"alpha": 0.1, "layers": [1, 2]}, "seed": 1, "empty": {}}) == 4
    assert [value_text(v) for v in (0.1, "a", [1, 2], None, True)] == [
        "0.1",
        '"a"',
        "[1, 2]",
        "null",
        "true",
    ]


def test_json_writes_datetimes_as_iso_8601() -> None:
    moment = datetime(2026, 11, 22, 10, 15, tzinfo=UTC)
    assert json_text({"at": moment}) == '{\n  "at": "2026-11-22T10:15:00+00:00"\n}'


def test_tables_align_their_columns() -> None:
    assert table(("Name", "Time"), [("a", "1.0s"), ("long", "12.0s")], right={1}, indent=2) == [
        "  Name   Time",
        "  a      1.0s",
        "  long  12.0s",
    ]
