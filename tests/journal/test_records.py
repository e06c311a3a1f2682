"""Records check their values where they are built; stored values survive as JSON."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from datamill.journal import DatasetRecord, NodeRecord, RunStart
from datamill.journal._codec import dumps, from_timestamp, loads, to_timestamp
from datamill.journal._liveness import PROCESS_TOKEN, derive_status, process_alive
from tests.journal.conftest import T0, at


def test_an_unknown_node_status_names_the_node_and_the_closest_status() -> None:
    with pytest.raises(ValueError, match=r"Status of node 'clean' 'rann'.*Did you mean 'ran'"):
        NodeRecord("clean", "rann")  # type: ignore[arg-type]


def test_an_unknown_dataset_role_is_refused() -> None:
    with pytest.raises(ValueError, match=r"Role of dataset 'companies' 'saved'.*'save'"):
        DatasetRecord("companies", "saved")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("attempts", -1, "attempts must not be negative"),
        ("duration", -0.1, "duration must not be negative"),
        ("peak_memory", -5, "peak memory must not be negative"),
        ("started", datetime(2026, 1, 1), "start time 2026-01-01T00:00:00 has no time zone"),
    ],
)
def test_node_record_values_are_checked(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NodeRecord("clean", "ran", **{field: value})


def test_datasets_given_as_a_list_become_a_tuple() -> None:
    record = NodeRecord("clean", "ran", datasets=[DatasetRecord("a", "load")])  # type: ignore[arg-type]
    assert record.datasets == (DatasetRecord("a", "load"),)
    assert record.loads == (DatasetRecord("a", "load"),)
    assert record.saves == ()


@pytest.mark.parametrize("run_id", ["", "latest", " padded "])
def test_a_run_id_that_cannot_name_a_run_is_refused(run_id: str) -> None:
    with pytest.raises(ValueError, match="cannot name a run"):
        RunStart(run_id, "__default__")


def test_a_run_start_describes_this_process_by_default() -> None:
    start = RunStart("r1", "__default__", command=["datamill", "run"])
    assert (start.pid, start.host, start.command) == (
        os.getpid(),
        socket.gethostname(),
        ("datamill", "run"),
    )
    assert start.started.utcoffset() == timedelta(0)


def test_timestamps_are_fixed_width_utc_text_that_sorts_like_the_times() -> None:
    east = datetime.fromisoformat("2026-11-22T12:15:00+02:00")
    assert to_timestamp(east) == "2026-11-22T10:15:00.000000+00:00"
    assert from_timestamp(to_timestamp(east)) == east
    stamps = [to_timestamp(at(s)) for s in (0, 0.000001, 1, 59, 3600)]
    assert stamps == sorted(stamps)
    assert len(set(map(len, stamps))) == 1


@pytest.mark.parametrize(
    "moment",
    [
        "1969-12-31T23:59:59.999999+00:00",  # before the epoch: seconds round down
        "2026-11-22T10:15:00.000001+00:00",
        "2026-11-22T10:15:00.999999+00:00",
        "2026-11-22T23:59:59.500000-05:30",
        "9999-12-31T23:59:59.999998+00:00",
    ],
)
def test_timestamps_of_one_second_share_their_text_up_to_the_second(moment: str) -> None:
    value = datetime.fromisoformat(moment)
    expected = value.astimezone(UTC).isoformat(timespec="microseconds")
    assert to_timestamp(value) == expected
    later = value + timedelta(microseconds=1)
    assert to_timestamp(later) == later.astimezone(UTC).isoformat(timespec="microseconds")


@pytest.mark.parametrize(
    "value",
    [
        {},
        {"raw": "node:0123abcd", "params:model.alpha": None},
        {'quote"back\\slash': "line\nbreak\ttab", "é": "\u2028\x00"},
        {"count": 3},  # not text: the encoder writes it
        {"nested": {"a": "b"}},
    ],
)
def test_small_dicts_of_text_are_written_as_the_encoder_writes_them(
    value: dict[str, Any],
) -> None:
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert dumps(value) == expected
    assert loads(dumps(value)) == value


def test_values_json_cannot_hold_are_stored_as_their_repr() -> None:
    class Model:
        def __repr__(self) -> str:
            return "Model(depth=3)"

    value = {"model": Model(), "tags": {"b"}, "when": T0, "grid": (1, 2), "nan": None}
    assert loads(dumps(value)) == {
        "model": "Model(depth=3)",
        "tags": "{'b'}",
        "when": repr(T0),
        "grid": [1, 2],
        "nan": None,
    }


def test_keys_json_cannot_hold_become_strings() -> None:
    assert loads(dumps({("a", 1): {2: "x"}})) == {"('a', 1)": {"2": "x"}}


def test_a_structure_that_contains_itself_is_stored_as_its_repr() -> None:
    looped: dict[str, Any] = {"a": 1}
    looped["self"] = looped
    assert loads(dumps(looped)) == repr(looped)


def test_a_run_on_another_host_is_running_until_it_has_been_silent_too_long() -> None:
    def status(stale_after: timedelta | None, silent: timedelta) -> str:
        return derive_status(
            "running",
            pid=1,
            host="elsewhere.invalid",
            token=None,
            last_seen=T0,
            now=T0 + silent,
            stale_after=stale_after,
        )

    assert status(None, timedelta(days=365)) == "running"
    assert status(timedelta(hours=1), timedelta(minutes=59)) == "running"
    assert status(timedelta(hours=1), timedelta(hours=2)) == "crashed"


def test_a_finished_status_is_reported_as_stored() -> None:
    for stored in ("succeeded", "failed", "interrupted"):
        derived = derive_status(
            stored,
            pid=2**22 + 1,
            host=socket.gethostname(),
            token=None,
            last_seen=T0,
            now=T0,
            stale_after=timedelta(0),
        )
        assert derived == stored


def test_this_process_id_recorded_by_an_earlier_process_means_crashed() -> None:
    def status(token: str | None) -> str:
        return derive_status(
            "running",
            pid=os.getpid(),
            host=socket.gethostname(),
            token=token,
            last_seen=T0,
            now=T0,
            stale_after=None,
        )

    assert status(PROCESS_TOKEN) == "running"
    assert status("a-token-from-an-earlier-process") == "crashed"


@pytest.mark.skipif(os.name == "nt", reason="processes are not probed on Windows")
def test_process_alive_tells_a_live_process_from_a_missing_one() -> None:
    assert process_alive(os.getpid()) is True
    # Linux and macOS keep pids below 2**22; this one cannot exist.
    assert process_alive(2**22 + 7) is False


@pytest.mark.skipif(sys.platform != "linux", reason="zombies are told from /proc (Linux only)")
def test_a_process_that_exited_but_was_not_reaped_is_not_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, left a zombie
        assert Path(f"/proc/{child.pid}/stat").read_text().split(") ")[1][0] == "Z"

        assert process_alive(child.pid) is False
    finally:
        child.wait()
