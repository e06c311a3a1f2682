"""Incremental runs: decide, before anything runs, which nodes run and why.

A node is skipped when everything that determines its outputs is what it was at its last
successful execution, and those outputs are still there, unchanged:

- its code fingerprint (its function and the project code it uses) is the same;
- every parameter it takes has the same value (by fingerprint);
- every input has the same fingerprint. A persisted input counts by the dataset's own
  fingerprint; an input kept in memory counts by the fingerprint of what produced it (the
  producer's code, parameters and inputs), since memory data does not outlive a run;
- every persisted output exists and has the fingerprint it had when that execution saved it;
- the catalog entries of its persisted inputs and outputs say to read and write them as
  then (`Fingerprints.catalog_entry`: the type, ``load_args``, ``save_args``, ... but not
  where the data is, which the data's fingerprint stands for).

Decisions are made in topological order, so an input recomputed by a node that runs makes
its consumers run ("input 'x' is recomputed by node 'p'"). Then, in reverse order, a skipped
node whose in-memory output a running node needs is made to run as well: memory data is
recomputed, never guessed. A node that yields chunks, or whose output is a free output of
the run (kept only in memory and returned), always runs.

With early cutoff, a node that runs only because inputs are recomputed, while its code,
parameters, other inputs and outputs are unchanged, may still be skipped: its decision lists
those inputs with the fingerprints of its last success (`Decision.awaits`), and the run
compares them once the inputs are known (`_cutoff`). A rerun whose saved output comes out
identical then stops the reruns below it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from datamill.io import AbstractDataset
from datamill.pipeline import Node, Pipeline, is_parameter

__all__ = [
    "CodeIdentity",
    "Decision",
    "Fingerprints",
    "History",
    "PastExecution",
    "memory_fingerprint",
    "plan_run",
]

Dataset = AbstractDataset[Any, Any]


@dataclass(frozen=True, slots=True)
class CodeIdentity:
    """A node function's code fingerprint and its parts (for saying what changed)."""

    digest: str
    components: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PastExecution:
    """What the history remembers of a node's last successful execution."""

    code: str
    code_components: Mapping[str, str]
    params: Mapping[str, str | None]
    inputs: Mapping[str, str | None]
    outputs: Mapping[str, str | None]
    catalog: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """As `Decision.catalog` (empty in records written before datamill kept it: then the
    catalog entries count as unchanged)."""


class History(Protocol):
    """Where past executions are looked up (the run journal)."""

    def last_success(self, node_name: str) -> PastExecution | None:
        """The node's most recent successful execution, or None."""
        ...


@dataclass(slots=True)
class Decision:
    """Whether a node runs, why, and the fingerprints the decision was based on.

    Attributes:
        runs: The node runs in this run.
        reason: In words: ``"unchanged"``, ``"input 'companies' changed"``, ... Once a
            partitionwise node has run, it ends with how many partitions it computed.
        code: The code fingerprint.
        params: The fingerprint of each parameter input.
        inputs: The fingerprint of each other input as known before the run (None when it
            is recomputed in this run or cannot be fingerprinted).
        param_parts: The fingerprint of each part of the parameters that are mappings, by
            dotted path (``params:model.alpha``), recorded to say which part changed.
        catalog: For each persisted input and output, a fingerprint of each part of its
            catalog entry that decides how it is read or written (`Fingerprints.catalog_entry`).
        upstream: The node runs because of other nodes that run: an input of it is
            recomputed, or a running node needs its in-memory output (the reason says
            which). Summaries list the other running nodes, whose own changes are the cause.
        awaits: With early cutoff, for a node that runs only because inputs are recomputed:
            each such input's fingerprint at the node's last success. If they come out with
            these fingerprints, the node may be skipped (see `_cutoff`). Emptied during
            the run for a node found to have to run.
        forced: The node was forced: it runs whatever changed, and a partitionwise node
            computes again the partitions committed before the run (or the run it resumes).
        feeds: With early cutoff, for a node that is unchanged but runs because nodes that
            may be cut off need its in-memory output: it is skipped with them if they are
            (see `_cutoff`). Cleared during the run once it is found to have to run.
    """

    runs: bool
    reason: str
    code: CodeIdentity
    params: dict[str, str | None]
    inputs: dict[str, str | None]
    param_parts: dict[str, str | None] = field(default_factory=dict)
    catalog: dict[str, dict[str, str]] = field(default_factory=dict)
    upstream: bool = False
    awaits: dict[str, str] = field(default_factory=dict)
    forced: bool = False
    feeds: bool = False

    def catalog_lines(self) -> list[str]:
        """`catalog` as sorted ``dataset:part=fingerprint`` lines, for digests over it."""
        return sorted(
            f"{name}:{part}={value}"
            for name, entry in self.catalog.items()
            for part, value in entry.items()
        )


def plan_run(
    pipeline: Pipeline,
    datasets: Mapping[str, Dataset],
    history: History,
    fingerprints: Fingerprints,
    *,
    force: bool | Collection[str] = False,
    free_outputs: Collection[str] = (),
    early_cutoff: bool = False,
) -> list[Decision]:
    """One decision per node of ``pipeline`` (in ``pipeline.graph.nodes`` order).

    Args:
        pipeline: What is about to run.
        datasets: The dataset of every input and output, by name.
        history: Past executions.
        fingerprints: How code and parameters are fingerprinted.
        force: Run every node (True) or the named ones, whatever changed.
        free_outputs: Outputs returned by the run rather than stored.
        early_cutoff: Fill `Decision.awaits` for the nodes that may be skipped once their
            recomputed inputs are known.
    """
    graph = pipeline.graph
    nodes = graph.nodes
    forced = {n.name for n in nodes} if force is True else set(force or ())
    planner = _Planner(pipeline, datasets, fingerprints, set(free_outputs), early_cutoff)
    for n in nodes:
        past = None if n.name in forced else history.last_success(n.name)
        planner.decide(n, past, forced=n.name in forced)
    planner.recompute_memory_inputs()
    return planner.decisions


class Fingerprints(Protocol):
    """Code and parameter fingerprints, and words for code changes."""

    def code(self, node: Node) -> CodeIdentity:
        """The code fingerprint of ``node``'s function."""
        ...

    def params(self, node: Node) -> tuple[dict[str, str | None], dict[str, str | None]]:
        """The fingerprint of each parameter input of ``node`` (None: cannot tell), and of
        each part of those that are mappings (see `Decision.param_parts`)."""
        ...

    def describe(self, old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
        """Words for what differs between two code component maps."""
        ...

    def catalog_entry(self, dataset: Dataset, role: Literal["load", "save"]) -> dict[str, str]:
        """A fingerprint of each part of ``dataset``'s configuration that decides how it is
        loaded or saved (`AbstractDataset.config_parts`), plus ``"code"`` for a dataset type
        the project wrote itself."""
        ...


def memory_fingerprint(
    decision: Decision, output: str, inputs: Mapping[str, str | None] | None = None
) -> str | None:
    """The fingerprint of in-memory data: that of what produced it (None if unknown).

    What produced it: the producing node's code, parameters, inputs and the catalog
    entries of its persisted inputs and outputs (`Decision.catalog`), with ``inputs`` in
    place of `Decision.inputs` once they are known during the run.
    """
    inputs = decision.inputs if inputs is None else inputs
    if None in inputs.values() or None in decision.params.values():
        return None
    parts = [
        decision.code.digest,
        *sorted(f"{k}={v}" for k, v in decision.params.items()),
        *sorted(f"{k}={v}" for k, v in inputs.items()),
        *decision.catalog_lines(),
        output,
        "",  # every part ends with a NUL
    ]
    text = "\0".join(parts).encode()
    return f"node:{hashlib.blake2b(text, digest_size=16).hexdigest()}"


class _Planner:
    """Decisions made node by node, in topological order."""

    def __init__(
        self,
        pipeline: Pipeline,
        datasets: Mapping[str, Dataset],
        fingerprints: Fingerprints,
        free_outputs: set[str],
        early_cutoff: bool,
    ) -> None:
        self.graph = pipeline.graph
        self.datasets = datasets
        self.fingerprints = fingerprints
        self.free_outputs = free_outputs
        self.early_cutoff = early_cutoff
        self.decisions: list[Decision] = []
        self.produced: dict[str, str | None] = {}  # output -> its fingerprint before the run
        self.configs: dict[tuple[str, str], dict[str, str]] = {}  # (dataset, role) -> parts

    def decide(self, n: Node, past: PastExecution | None, *, forced: bool) -> None:
        code = self.fingerprints.code(n)
        params, parts = self.fingerprints.params(n)
        inputs = {
            name: self._input(name) for name in dict.fromkeys(n.inputs) if not is_parameter(name)
        }
        decision = Decision(
            True, "forced", code, params, inputs, parts, self._catalog(n), forced=forced
        )
        if not forced:
            decision.reason = self._reason(n, decision, past)
            decision.runs = decision.reason != "unchanged"
        self.decisions.append(decision)
        for name in n.outputs:
            self.produced[name] = self._output(name, decision)

    def recompute_memory_inputs(self) -> None:
        """Make a skipped node run when a running node needs its in-memory output (with
        early cutoff, marked as `Decision.feeds` while only nodes that may be cut off do)."""
        nodes, producer = self.graph.nodes, self.graph.producer
        for index in range(len(nodes) - 1, -1, -1):
            consumer = self.decisions[index]
            if not consumer.runs:
                continue
            may_be_cut = bool(consumer.awaits) or consumer.feeds  # both need early cutoff
            for name in nodes[index].inputs:
                source = producer.get(name)
                if source is None or self.datasets[name].persistent:
                    continue
                needed = self.decisions[source]
                if not needed.runs:
                    needed.runs = needed.upstream = True
                    needed.feeds = may_be_cut
                    needed.reason = (
                        f"its in-memory output {name!r} is needed by node {nodes[index].name!r}"
                    )
                elif not may_be_cut:
                    needed.feeds = False

    def _catalog(self, n: Node) -> dict[str, dict[str, str]]:
        """The config parts of ``n``'s persisted inputs and outputs (each computed once)."""
        found: dict[str, dict[str, str]] = {}
        roles: tuple[tuple[Literal["load", "save"], tuple[str, ...]], ...] = (
            ("load", n.inputs),
            ("save", n.outputs),
        )
        for role, names in roles:
            for name in names:
                if name in found or is_parameter(name) or not self.datasets[name].persistent:
                    continue
                parts = self.configs.get((name, role))
                if parts is None:
                    entry = self.fingerprints.catalog_entry(self.datasets[name], role)
                    parts = self.configs[name, role] = entry
                found[name] = parts
        return found

    def _input(self, name: str) -> str | None:
        if name in self.graph.producer:
            return self.produced.get(name)
        return self.datasets[name].run_fingerprint()

    def _output(self, name: str, decision: Decision) -> str | None:
        if decision.runs:
            return None  # recomputed: unknown until saved
        dataset = self.datasets[name]
        if dataset.persistent:
            return dataset.run_fingerprint()
        return memory_fingerprint(decision, name)

    def _reason(self, n: Node, decision: Decision, past: PastExecution | None) -> str:
        if n.is_generator:
            return "it yields chunks (always runs)"
        if past is None:
            return "no successful run recorded"
        if decision.code.digest != past.code:
            changes = self.fingerprints.describe(past.code_components, decision.code.components)
            return "code changed: " + ("; ".join(changes) if changes else f"{n.func_name}()")
        reason = self._params_reason(decision, past)
        if reason is not None:
            return reason
        reason = self._inputs_reason(decision, past)
        if reason is not None:
            if self.early_cutoff:
                decision.awaits = self._awaited(n, decision, past)
            return reason
        return (
            self._catalog_reason(n, decision, past) or self._outputs_reason(n, past) or "unchanged"
        )

    @staticmethod
    def _params_reason(decision: Decision, past: PastExecution) -> str | None:
        for name, fingerprint in decision.params.items():
            if fingerprint is None:
                return f"parameter {_param(name)} cannot be fingerprinted"
            if past.params.get(name) != fingerprint:
                return _changed_parameter(name, decision, past.params)
        return None

    def _inputs_reason(self, decision: Decision, past: PastExecution) -> str | None:
        producer = self.graph.producer
        for name, fingerprint in decision.inputs.items():
            if fingerprint is None:
                source = producer.get(name)
                if source is not None and self.decisions[source].runs:
                    decision.upstream = True
                    return f"input {name!r} is recomputed by node {self.graph.nodes[source].name!r}"
                return f"input {name!r} cannot be fingerprinted"
            if past.inputs.get(name) != fingerprint:
                return f"input {name!r} changed"
        return None

    def _awaited(self, n: Node, decision: Decision, past: PastExecution) -> dict[str, str]:
        """The recomputed inputs whose fingerprints at ``n``'s last success would let it be
        skipped: empty unless every other input, every output and their catalog entries are
        as they were then."""
        awaited: dict[str, str] = {}
        producer = self.graph.producer
        for name, fingerprint in decision.inputs.items():
            before = past.inputs.get(name)
            if fingerprint is not None:
                if before != fingerprint:
                    return {}
                continue
            source = producer.get(name)
            if source is None or not self.decisions[source].runs or before is None:
                return {}  # cannot be fingerprinted, or unknown at the last success
            awaited[name] = before
        if self._catalog_reason(n, decision, past) or self._outputs_reason(n, past):
            return {}
        return awaited

    def _catalog_reason(self, n: Node, decision: Decision, past: PastExecution) -> str | None:
        """Words for the first persisted input or output whose catalog entry says to read
        or write it otherwise than at the last success (unknown then: unchanged)."""
        for name, parts in decision.catalog.items():
            before = past.catalog.get(name)
            if before is None or before == parts:
                continue
            keys = sorted(k for k in before.keys() | parts.keys() if before.get(k) != parts.get(k))
            role = "output" if name in n.outputs else "input"
            if keys == ["code"]:
                kind = type(self.datasets[name]).__qualname__
                return f"code of dataset type {kind} ({role} {name!r}) changed"
            return f"catalog entry of {role} {name!r} changed: {', '.join(keys)}"
        return None

    def _outputs_reason(self, n: Node, past: PastExecution) -> str | None:
        for name in n.outputs:
            dataset = self.datasets[name]
            if not dataset.persistent:
                if name in self.free_outputs:
                    return f"output {name!r} is kept in memory only"
                continue
            current = dataset.run_fingerprint()
            if current is None:
                return f"output {name!r} missing"
            if past.outputs.get(name) != current:
                return f"output {name!r} changed since it was saved"
        return None


def _param(name: str) -> str:
    return name.removeprefix("params:")


_NAMED_PARTS = 3  # a reason names at most this many changed parts of a parameter


def _changed_parameter(name: str, decision: Decision, past: Mapping[str, str | None]) -> str:
    """Words for a changed parameter: the parts that changed, when both runs know them."""
    prefix = "params:" if name == "parameters" else f"{name}."
    own = decision.params  # the node's own parameter inputs are not parts

    def parts_of(found: Mapping[str, str | None]) -> dict[str, str | None]:
        return {p: v for p, v in found.items() if p.startswith(prefix) and p not in own}

    before, now = parts_of(past), parts_of(decision.param_parts)
    changed = sorted(
        path for path in before.keys() | now.keys() if before.get(path) != now.get(path)
    )
    if not before or not now or not changed:  # a run that kept no parts, or no mapping
        return f"parameter {_param(name)} changed"
    shown = ", ".join(_param(path) for path in changed[:_NAMED_PARTS])
    more = len(changed) - _NAMED_PARTS
    if more > 0:
        shown += f" and {more} more"
    return f"parameter{'s' if len(changed) > 1 else ''} {shown} changed"
