"""Deciding, during a run, which nodes early cutoff skips (`skippable_group`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from datamill import DataCatalog, MemoryDataset, Pipeline, node
from datamill.datasets.json import JSONDataset
from datamill.hooks import create_hook_manager
from datamill.io import AbstractDataset
from datamill.journal import Journal
from datamill.pipeline import PipelineGraph
from datamill.runner import RunInfo, Tracking, create_executor, run_with
from datamill.runner import _tracking as tracking_module
from datamill.runner._cutoff import GroupVerdict, skippable_group
from datamill.runner._incremental import CodeIdentity, Decision, memory_fingerprint


def first(raw: Any) -> Any:
    return raw


def second(memory: Any, side: Any) -> Any:
    return memory


def third(raw: Any) -> Any:
    return raw


# first: raw -> memory (kept in memory); second: memory, side -> out; third: raw -> side
PIPELINE = Pipeline(
    [
        node(first, "raw", "memory", name="first"),
        node(second, ["memory", "side"], "out", name="second"),
        node(third, "raw", "side", name="third"),
    ]
)
GRAPH = PIPELINE.graph
INDEX = GRAPH.position
CODE = CodeIdentity("code")
FIRST_OUTPUT = memory_fingerprint(Decision(True, "", CODE, {}, {}), "memory", {"raw": "raw-1"})
"""The fingerprint of `first`'s in-memory output when it reads raw-1."""


@pytest.fixture
def datasets(tmp_path: Path) -> dict[str, AbstractDataset[Any, Any]]:
    files = {
        name: JSONDataset(filepath=str(tmp_path / f"{name}.json"))
        for name in ("raw", "side", "out")
    }
    return {**files, "memory": MemoryDataset()}


def decisions(*, side_before: str = "side-1") -> list[Decision]:
    """`first` and `second` wait for their recomputed inputs; `third` runs."""
    made = {
        "first": Decision(
            True, "input 'raw' ...", CODE, {}, {"raw": None}, awaits={"raw": "raw-1"}
        ),
        "second": Decision(
            True,
            "input 'memory' ...",
            CODE,
            {},
            {"memory": None, "side": None},
            awaits={
                "memory": str(FIRST_OUTPUT),
                "side": side_before,
            },
        ),
        "third": Decision(True, "code changed", CODE, {}, {"raw": "raw-1"}),
    }
    return [made[n.name] for n in GRAPH.nodes]


NOW = {"raw": "raw-1", "side": "side-1"}


def verdict_for_first(
    datasets: Mapping[str, AbstractDataset[Any, Any]],
    planned: list[Decision],
    *,
    now: Mapping[str, str] = NOW,
    settled: Callable[[int], bool] = lambda i: True,
) -> GroupVerdict:
    """The verdict when `first` is ready, datasets having the fingerprints ``now``."""
    return skippable_group(
        INDEX["first"], GRAPH, planned, datasets, current=now.__getitem__, settled=settled
    )


def test_a_node_and_the_consumers_of_its_memory_output_are_skipped_together(
    datasets: dict[str, AbstractDataset[Any, Any]],
) -> None:
    verdict = verdict_for_first(datasets, decisions(), settled=lambda i: i == INDEX["third"])

    assert sorted(verdict.inputs) == sorted([INDEX["first"], INDEX["second"]])
    assert verdict.inputs[INDEX["second"]]["side"] == "side-1"
    assert verdict.memory == {
        "memory": FIRST_OUTPUT,
    }


def test_a_group_waiting_for_a_node_outside_it_is_not_skipped(
    datasets: dict[str, AbstractDataset[Any, Any]],
) -> None:
    # `second` also reads `side`, whose producer has not finished: its input is unknown.
    verdict = verdict_for_first(datasets, decisions(), settled=lambda i: False)

    assert verdict.inputs == {}
    # first runs; second may still be skipped once side is known.
    assert verdict.must_run == {INDEX["first"]}


@pytest.mark.parametrize(
    ("now", "side_before", "must_run"),
    [
        # the first member's input changed: it runs, the rest is decided later
        ({"raw": "raw-2", "side": "side-1"}, "side-1", {"first"}),
        # a later member's input changed: it runs, and so does what it needs from memory
        (NOW, "side-0", {"first", "second"}),
    ],
)
def test_one_changed_input_in_the_group_makes_it_run(
    datasets: dict[str, AbstractDataset[Any, Any]],
    now: dict[str, str],
    side_before: str,
    must_run: set[str],
) -> None:
    verdict = verdict_for_first(datasets, decisions(side_before=side_before), now=now)

    assert verdict.inputs == {}
    assert verdict.must_run == {INDEX[name] for name in must_run}


def test_a_group_with_a_member_that_runs_anyway_is_not_skipped(
    datasets: dict[str, AbstractDataset[Any, Any]],
) -> None:
    planned = decisions()
    planned[INDEX["second"]].awaits = {}  # it runs for another reason (say, its code changed)

    verdict = verdict_for_first(datasets, planned)

    assert verdict.inputs == {}
    assert verdict.must_run == {INDEX["first"], INDEX["second"]}


def feeding_decisions() -> list[Decision]:
    """`first` is unchanged and runs only to feed `second`, which waits for `side`."""
    planned = decisions()
    planned[INDEX["first"]] = Decision(
        True, "its in-memory output 'memory' is needed", CODE, {}, {"raw": "raw-1"}, feeds=True
    )
    planned[INDEX["second"]].inputs["memory"] = FIRST_OUTPUT
    planned[INDEX["second"]].awaits = {"side": "side-1"}
    return planned


def test_a_node_that_only_feeds_the_group_is_skipped_with_it(
    datasets: dict[str, AbstractDataset[Any, Any]],
) -> None:
    verdict = verdict_for_first(datasets, feeding_decisions())

    assert sorted(verdict.inputs) == sorted([INDEX["first"], INDEX["second"]])
    assert verdict.inputs[INDEX["first"]] == {"raw": "raw-1"}
    assert verdict.inputs[INDEX["second"]] == {"memory": FIRST_OUTPUT, "side": "side-1"}
    assert verdict.memory == {"memory": FIRST_OUTPUT}


def test_a_node_that_feeds_a_node_whose_input_changed_runs(
    datasets: dict[str, AbstractDataset[Any, Any]],
) -> None:
    verdict = verdict_for_first(datasets, feeding_decisions(), now={**NOW, "side": "side-2"})

    assert verdict.inputs == {}
    assert verdict.must_run == {INDEX["first"], INDEX["second"]}


@pytest.mark.parametrize("planned", [decisions, feeding_decisions])
def test_a_group_that_cannot_be_decided_yet_waits_if_it_may(
    datasets: dict[str, AbstractDataset[Any, Any]], planned: Callable[[], list[Decision]]
) -> None:
    unsettled = planned()
    verdict = skippable_group(
        INDEX["first"],
        GRAPH,
        unsettled,
        datasets,
        current=NOW.__getitem__,
        settled=lambda i: False,  # third, which writes side, is still running
        may_wait=True,
    )

    assert verdict == GroupVerdict(waits_for=INDEX["third"])  # undecided, until third ends
    assert verdict_for_first(datasets, planned(), settled=lambda i: False).must_run == {
        INDEX["first"]
    }


def test_a_consumer_that_does_not_run_is_not_in_the_group(
    datasets: dict[str, AbstractDataset[Any, Any]],
) -> None:
    planned = decisions()
    planned[INDEX["second"]].runs = False  # skipped: it needs no memory data
    planned[INDEX["second"]].awaits = {}

    verdict = verdict_for_first(datasets, planned)

    assert sorted(verdict.inputs) == [INDEX["first"]]


def test_a_node_set_aside_is_not_decided_again_before_what_it_waits_for_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # lookup feeds joined from memory; joined also reads x_end, which a forced chain of 20
    # nodes rewrites with the same content. lookup is ready first and waits for the chain.
    chain = [node(first, "raw", "m0", name="c0")]
    chain += [node(first, f"m{i - 1}", f"m{i}", name=f"c{i}") for i in range(1, 20)]
    chain.append(node(first, "m19", "x_end", name="last"))
    pipeline = Pipeline(
        [
            node(first, "raw_t", "table", name="lookup"),
            *chain,
            node(second, ["table", "x_end"], "out", name="joined"),
        ]
    )
    for name, value in (("raw", 1), ("raw_t", 2)):
        (tmp_path / f"{name}.json").write_text(str(value), encoding="utf-8")
    files = ("raw", "raw_t", "x_end", "out")
    journal = Journal(tmp_path / "journal.db")
    asked: list[str] = []

    def counted(start: int, graph: PipelineGraph, *args: Any, **kwargs: Any) -> GroupVerdict:
        asked.append(graph.nodes[start].name)
        return skippable_group(start, graph, *args, **kwargs)

    def run(**options: Any) -> Tracking:
        tracking = Tracking(journal, RunInfo("p"), **options)
        catalog = DataCatalog({n: JSONDataset(str(tmp_path / f"{n}.json")) for n in files})
        run_with(
            pipeline,
            catalog,
            create_executor("sequential", None),
            create_hook_manager([]),
            tracking=tracking,
        )
        return tracking

    run()
    monkeypatch.setattr(tracking_module, "skippable_group", counted)
    tracking = run(force=[n.name for n in chain], early_cutoff=True)

    assert not tracking.decisions["lookup"].runs
    assert not tracking.decisions["joined"].runs
    assert asked.count("lookup") == 2  # set aside, then decided once `last` had finished
    journal.close()
