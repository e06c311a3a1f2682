"""What differs between two recorded runs: parameters, code, catalog entries, inputs,
outputs and statuses.

Parameters are compared leaf by leaf under dotted keys (``model.alpha``); a list is one
leaf. Nodes are compared by their last record in each run. A node skipped in a run still
carries the fingerprints its skip was decided on, so code and input changes are found
whatever the node's status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from datamill.journal._records import DatasetRecord, NodeRecord, NodeStatus, RunDetail, RunStatus

__all__ = ["Change", "RunDiff", "diff_runs", "flatten"]

T = TypeVar("T")

_MISSING: Final = object()


@dataclass(frozen=True, slots=True)
class Change(Generic[T]):
    """A value in the first run (``before``) and in the second (``after``)."""

    before: T
    after: T


@dataclass(frozen=True, slots=True)
class RunDiff:
    """The differences between run ``run_a`` and run ``run_b``; empty mappings when none.

    Attributes:
        run_a: The first run's id.
        run_b: The second run's id.
        status: The runs' statuses, when they differ.
        params_added: Dotted parameter keys only in ``run_b``, with their values.
        params_removed: Dotted parameter keys only in ``run_a``, with their values.
        params_changed: Dotted parameter keys in both, with different values.
        code_changed: Node name → the code components (qualified names) that differ, for
            nodes whose code fingerprint differs. A component only in one run counts.
        inputs_changed: Node name → the inputs whose fingerprints differ.
        catalog_changed: Node name → ``"dataset: key"`` for each part of a persisted input's
            or output's catalog entry that says to read or write it otherwise (``"companies:
            load_args"``), among the datasets both records describe.
        datasets_changed: Dataset name → its last save in each run, when their versions or
            fingerprints differ. A run that did not save the dataset shows what it last read
            of it instead (a ``load`` record; with no version when only a skipped node's
            input fingerprint tells), or ``None`` when it neither saved nor read it; a
            dataset such a run read with the other run's fingerprint is not listed.
        nodes_changed: Node name → its status in each run (``None`` when the run has no
            record of it), when they differ.
    """

    run_a: str
    run_b: str
    status: Change[RunStatus] | None
    params_added: Mapping[str, Any]
    params_removed: Mapping[str, Any]
    params_changed: Mapping[str, Change[Any]]
    code_changed: Mapping[str, tuple[str, ...]]
    inputs_changed: Mapping[str, tuple[str, ...]]
    catalog_changed: Mapping[str, tuple[str, ...]]
    datasets_changed: Mapping[str, Change[DatasetRecord | None]]
    nodes_changed: Mapping[str, Change[NodeStatus | None]]

    @property
    def identical(self) -> bool:
        """Whether no difference was found."""
        return self.status is None and not any(
            (
                self.params_added,
                self.params_removed,
                self.params_changed,
                self.code_changed,
                self.inputs_changed,
                self.catalog_changed,
                self.datasets_changed,
                self.nodes_changed,
            )
        )


def diff_runs(a: RunDetail, b: RunDetail) -> RunDiff:
    """Compare two runs read from the journal (see `RunDiff`)."""
    params_a, params_b = flatten(a.parameters), flatten(b.parameters)
    nodes_a, nodes_b = _last_records(a.nodes), _last_records(b.nodes)
    both = [name for name in nodes_a if name in nodes_b]
    return RunDiff(
        run_a=a.run_id,
        run_b=b.run_id,
        status=Change(a.status, b.status) if a.status != b.status else None,
        params_added={k: v for k, v in params_b.items() if k not in params_a},
        params_removed={k: v for k, v in params_a.items() if k not in params_b},
        params_changed={
            k: Change(v, params_b[k])
            for k, v in params_a.items()
            if k in params_b and v != params_b[k]
        },
        code_changed=_code_changes(nodes_a, nodes_b, both),
        inputs_changed=_input_changes(nodes_a, nodes_b, both),
        catalog_changed=_catalog_changes(nodes_a, nodes_b, both),
        datasets_changed=_dataset_changes(a.nodes, b.nodes),
        nodes_changed=_status_changes(nodes_a, nodes_b),
    )


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as one mapping of dotted keys to leaf values (a list is a leaf)."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


def _last_records(nodes: Iterable[NodeRecord]) -> dict[str, NodeRecord]:
    return {record.node_name: record for record in nodes}


def _differing(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[str, ...]:
    """The keys whose values differ, a key missing on one side included."""
    keys = dict.fromkeys([*a, *b])
    return tuple(k for k in keys if a.get(k, _MISSING) != b.get(k, _MISSING))


def _code_changes(
    a: Mapping[str, NodeRecord], b: Mapping[str, NodeRecord], names: Iterable[str]
) -> dict[str, tuple[str, ...]]:
    changed = {}
    for name in names:
        before, after = a[name], b[name]
        if before.code_fingerprint != after.code_fingerprint:
            changed[name] = _differing(before.code_components, after.code_components)
    return changed


def _input_changes(
    a: Mapping[str, NodeRecord], b: Mapping[str, NodeRecord], names: Iterable[str]
) -> dict[str, tuple[str, ...]]:
    changed = {}
    for name in names:
        inputs = _differing(a[name].input_fingerprints, b[name].input_fingerprints)
        if inputs:
            changed[name] = inputs
    return changed


def _catalog_changes(
    a: Mapping[str, NodeRecord], b: Mapping[str, NodeRecord], names: Iterable[str]
) -> dict[str, tuple[str, ...]]:
    changed = {}
    for name in names:
        before, after = a[name].catalog, b[name].catalog
        parts = tuple(
            f"{dataset}: {key}"
            for dataset in before
            if dataset in after
            for key in _differing(before[dataset], after[dataset])
        )
        if parts:
            changed[name] = parts
    return changed


def _dataset_changes(
    a: Iterable[NodeRecord], b: Iterable[NodeRecord]
) -> dict[str, Change[DatasetRecord | None]]:
    """Each dataset saved in either run whose data differs between the runs.

    A run that did not save a dataset may still have read it (its producer was skipped, say):
    what it read (a ``load`` record, or an input fingerprint) stands for its data then, so a
    dataset reused unchanged is no difference.
    """
    a, b = list(a), list(b)
    saves_a, saves_b = _last_saves(a), _last_saves(b)
    reads_a, reads_b = _last_reads(a), _last_reads(b)
    changed: dict[str, Change[DatasetRecord | None]] = {}
    for name in dict.fromkeys([*saves_a, *saves_b]):
        before = saves_a.get(name) or reads_a.get(name)
        after = saves_b.get(name) or reads_b.get(name)
        if not _same_data(before, after):
            changed[name] = Change(before, after)
    return changed


def _last_saves(nodes: Iterable[NodeRecord]) -> dict[str, DatasetRecord]:
    return {save.name: save for record in nodes for save in record.saves}


def _last_reads(nodes: Iterable[NodeRecord]) -> dict[str, DatasetRecord]:
    """What a run last read of each dataset: a node's load record or, for a skipped node
    (which loads nothing), the input fingerprint its skip was decided on."""
    found: dict[str, DatasetRecord] = {}
    for record in nodes:
        loaded = {d.name: d for d in record.loads}
        for name, fingerprint in record.input_fingerprints.items():
            if name not in loaded and fingerprint is not None:
                found[name] = DatasetRecord(name, "load", None, fingerprint)
        found.update(loaded)
    return found


def _same_data(a: DatasetRecord | None, b: DatasetRecord | None) -> bool:
    """Whether two records name the same data: the same version and fingerprint, or, when
    one side was only read and has no version, the same fingerprint."""
    if a is None or b is None:
        return a is b
    if a.fingerprint != b.fingerprint:
        return False
    if a.role == "save" and b.role == "save":
        return a.version == b.version
    return a.version is None or b.version is None or a.version == b.version


def _status_changes(
    a: Mapping[str, NodeRecord], b: Mapping[str, NodeRecord]
) -> dict[str, Change[NodeStatus | None]]:
    changed: dict[str, Change[NodeStatus | None]] = {}
    for name in dict.fromkeys([*a, *b]):
        before = a[name].status if name in a else None
        after = b[name].status if name in b else None
        if before != after:
            changed[name] = Change(before, after)
    return changed
