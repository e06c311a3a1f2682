"""One node's execution, split into phases an executor can place in different processes.

``prepare`` loads the inputs and runs the ``before_*`` hooks; ``compute`` calls the node's
function; ``finish`` maps the return value onto the outputs, runs the ``after_*`` hooks and
saves. The sequential and thread executors run all three in one place; the process executor
keeps ``prepare`` and ``finish`` in the main process and ships only ``compute`` to a worker.
For a node that produces chunks, ``finish`` is ``save_chunk`` for each chunk, then
``finish_chunks``: the process executor calls them itself as the worker's chunks arrive.

Retries happen inside ``compute`` (in the worker, for the process executor), through
:class:`Attempts`: the inputs are loaded once, the outputs saved once, and the error hooks
run only after the last attempt failed. A generator node is retried only while it has not
produced its first chunk, since later chunks come after earlier ones were saved.

A partitionwise node (``node(..., partitionwise=True)``) is run like a generator node whose
chunks are ``{partition_id: result}``, one per input partition still to compute: ``prepare``
asks the run's `PartitionLedger` which partitions were committed earlier, ``compute`` calls
the function partition by partition (each call retried on its own), and ``finish`` saves
each chunk and records it in the journal before the next partition is computed. Partitions
that a node returns (or yields) as callables for a partitioned output are likewise computed,
saved and recorded one at a time by ``finish``, skipping those committed earlier from the
same code, parameters and inputs (`PartitionLedger.plan_returned`).
"""

from __future__ import annotations

import functools
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pluggy

from datamill.errors import DatasetError, RunnerError
from datamill.io import AbstractDataset, DataCatalog
from datamill.pipeline import Node, Retry
from datamill.runner._partitions import (
    PartitionLedger,
    PartitionPlan,
    check_partitions,
    log_summary,
    returns_partitions_lazily,
)
from datamill.runner._typed_params import convert_parameter

__all__ = [
    "Attempts",
    "NodeJob",
    "RunContext",
    "map_outputs",
    "partition_chunks",
    "started_chunks",
]

Dataset = AbstractDataset[Any, Any]
T = TypeVar("T")

_log = logging.getLogger("datamill.runner")
_sleep = time.sleep  # the wait between attempts; tests replace it to see the delays


@dataclass(frozen=True, slots=True)
class RunContext:
    """What every job of one run shares: datasets, hooks and which hooks have implementations.

    Attributes:
        inputs: For each node index, its ``(name, dataset)`` input pairs, without repeats.
        outputs: For each node index, its output datasets, aligned with ``node.outputs``.
        confirms: For each node index, the input datasets to confirm once it succeeded.
        typed: For each node index, its parameter inputs to convert to a structured type.
        default_retry: The retry policy of the nodes that have none of their own (the
            project's ``RETRY`` setting), or ``None`` for no retry.
        ledger: Where partitionwise nodes find and record committed partitions (recorded
            runs only).
    """

    catalog: DataCatalog
    run_id: str
    hook: Any  # the pluggy hook relay, ``manager.hook``
    inputs: Sequence[tuple[tuple[str, Dataset], ...]]
    outputs: Sequence[tuple[Dataset, ...]]
    confirms: Sequence[tuple[Dataset, ...]]
    typed: Sequence[Mapping[str, type]]
    load_hooks: bool
    save_hooks: bool
    before_node_hooks: bool
    after_node_hooks: bool
    error_node_hooks: bool
    default_retry: Retry | None = None
    ledger: PartitionLedger | None = None


def has_impls(manager: pluggy.PluginManager, *names: str) -> bool:
    """Tell whether any of the named hooks has an implementation (cheap to skip otherwise)."""
    return any(getattr(manager.hook, name).get_hookimpls() for name in names)


class Attempts:
    """Calls a node's function until it succeeds or its retry policy gives up.

    Between attempts it logs a warning on the ``datamill.runner`` logger and waits as the
    policy says. When the policy gives up after retries, the last error gets a note saying
    how many attempts were made.

    Attributes:
        count: How many times the function was called so far.
    """

    __slots__ = ("count", "node_name", "policy")

    def __init__(self, node_name: str, policy: Retry | None) -> None:
        self.node_name = node_name
        self.policy = policy
        self.count = 0

    def call(self, func: Callable[[], T]) -> T:
        """Return ``func()``, calling it again after each error the policy retries."""
        while True:
            self.count += 1
            try:
                return func()
            except Exception as exc:
                if not self._wait_for_retry(exc):
                    raise

    def _wait_for_retry(self, error: Exception) -> bool:
        """Log and wait before the next attempt; return False if there is none."""
        policy = self.policy
        if policy is None or not policy.retries(error, self.count):
            if self.count > 1:
                error.add_note(f"Node {self.node_name!r} failed {self.count} attempts.")
            return False
        wait = policy.wait_before(self.count)
        _log.warning(
            "node %s failed (attempt %d/%d): %s: %s; retrying %s",
            self.node_name,
            self.count,
            policy.attempts,
            type(error).__name__,
            error,
            f"in {round(wait, 3)}s" if wait > 0 else "now",
        )
        if wait > 0:
            _sleep(wait)
        return True


class NodeJob:
    """The execution of one node in one run.

    Attributes:
        retry: The node's retry policy (its own, else the run's default), or ``None``.
        attempts: How many times the node's function was called (retries included), once
            the job finished or failed; 0 if it failed before the call. For a partitionwise
            node, 1 once it started (each partition is retried on its own).
        partitions: For a partitionwise node, once prepared: which partitions it computes,
            and how many it computed so far.
        peak_memory: The peak resident memory in bytes while the node's function ran, when
            the executor measures it (the process executor does, in its worker); else None.
    """

    __slots__ = (
        "attempts",
        "ctx",
        "ended",
        "index",
        "inputs",
        "node",
        "partitions",
        "peak_memory",
        "retry",
        "started",
    )

    def __init__(self, index: int, node: Node, ctx: RunContext) -> None:
        self.index = index
        self.node = node
        self.ctx = ctx
        self.retry = node.retry if node.retry is not None else ctx.default_retry
        self.attempts = 0
        self.inputs: dict[str, Any] = {}
        self.partitions: PartitionPlan | None = None
        self.started: float | None = None  # wall-clock times (time.time()) of the job
        self.ended: float | None = None
        self.peak_memory: int | None = None  # set by executors that measure it per node

    def run(self) -> BaseException | None:
        """Run every phase here; return the error instead of raising it.

        The error hooks are not run: the executor calls :meth:`failed` once it has recorded
        the failure (so that nothing new starts meanwhile).
        """
        try:
            args, kwargs = self.prepare()
            self.finish(self.compute(args, kwargs))
        except Exception as exc:
            return exc
        return None

    def prepare(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Load the inputs and run the hooks before the call; return the call arguments."""
        ctx, node = self.ctx, self.node
        self.started = time.time()
        values: dict[str, Any] = {}
        for name, dataset in ctx.inputs[self.index]:
            values[name] = self._load(name, dataset)
        for name, cls in ctx.typed[self.index].items():
            values[name] = convert_parameter(values[name], cls, node, name)
        if ctx.before_node_hooks:
            self._apply_replacements(values)
        self.inputs = values
        if node.partitionwise:
            values = {**values, node.inputs[0]: self._plan_partitions(values[node.inputs[0]])}
        return node.bind([values[name] for name in node.inputs])

    def compute(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Call the node's function, retrying as its policy says.

        A generator node returns its iterator with only the first chunk produced, so that a
        failure before anything is saved is retried too.
        """
        func, node = self.node.func, self.node
        if node.partitionwise:
            self.attempts = 1
            keyword = node.input_keywords[0] if node.input_keywords else None
            return partition_chunks(
                func, args, kwargs, keyword, node_name=node.name, retry=self.retry
            )
        attempts = Attempts(self.node.name, self.retry)
        try:
            if self.node.is_generator:
                return attempts.call(lambda: started_chunks(func(*args, **kwargs)))
            return attempts.call(lambda: func(*args, **kwargs))
        finally:
            self.attempts = attempts.count

    def finish(self, result: Any) -> None:
        """Map the result onto the outputs, run the after-hooks, save, confirm the inputs."""
        node = self.node
        if node.is_generator or node.partitionwise:
            for chunk in result:
                self.save_chunk(chunk)
            self.finish_chunks()
            return
        outputs = map_outputs(node, result)
        if self.ctx.after_node_hooks:
            self._after_hook(outputs)
        returned = self._returned_partitions(outputs)
        if returned is None:
            self._save_all(outputs)
        else:
            self._save_partitions(returned)
            assert self.partitions is not None
            log_summary(node, self.partitions)
        self._ended()

    def save_chunk(self, chunk: Any) -> None:
        """Save one chunk of a generator or partitionwise node (and record its partitions)."""
        outputs = map_outputs(self.node, chunk)
        returned = None if self.node.partitionwise else self._returned_partitions(outputs)
        if returned is not None:
            self._save_partitions(returned)
            return
        self._save_all(outputs)
        if self.partitions is not None:
            self._committed(chunk)

    def finish_chunks(self) -> None:
        """End a generator or partitionwise job once its last chunk was saved.

        Says how many partitions were computed, runs the after-hook (with no outputs: they
        were saved chunk by chunk) and confirms the inputs.
        """
        if self.partitions is not None:
            log_summary(self.node, self.partitions)
        if self.ctx.after_node_hooks:
            self._after_hook({})
        self._ended()

    def _ended(self) -> None:
        """Confirm the inputs that ask for it, drop the inputs, note the end time."""
        for dataset in self.ctx.confirms[self.index]:
            dataset.confirm()
        self.inputs = {}  # the scheduler may keep the job a while: do not keep its data alive
        self.ended = time.time()

    def failed(self, error: BaseException) -> None:
        """Run the error hooks for ``error``, then drop the inputs."""
        self.ended = time.time()
        if self.ctx.error_node_hooks:
            self.ctx.hook.on_node_error(
                error=error,
                node=self.node,
                inputs=self.inputs,
                catalog=self.ctx.catalog,
                run_id=self.ctx.run_id,
            )
        self.inputs = {}

    def _returned_partitions(self, outputs: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """In a recorded run, the partitions a node returned (or yielded in one chunk) for
        its one output, when that output is a partitioned dataset (without ``overwrite``)
        and some of them are callables: they are computed one at a time, and those
        committed earlier from the same code, parameters and inputs are not computed again
        (None otherwise)."""
        if self.ctx.ledger is None or len(self.node.outputs) != 1:
            return None
        [dataset], [value] = self.ctx.outputs[self.index], outputs.values()
        return value if returns_partitions_lazily(dataset, value) else None

    def _save_partitions(self, returned: Mapping[str, Any]) -> None:
        """Compute and save the returned (or yielded) partitions still to compute, one at a
        time, each recorded in the journal once saved."""
        node, ctx = self.node, self.ctx
        assert ctx.ledger is not None
        [name], [output] = node.outputs, ctx.outputs[self.index]
        plan = ctx.ledger.plan_returned(node, ctx.inputs[self.index], returned, output)
        if self.partitions is None:
            self.partitions = plan
        else:  # a generator's next chunk: counted with the chunks before it
            self.partitions.add(plan)
        for pid, value in plan.pending.items():
            chunk = {pid: value() if callable(value) else value}
            self._save_all({name: chunk})
            self._committed(chunk)

    def _plan_partitions(self, value: object) -> dict[str, Any]:
        """The partitions to compute (all of them, in id order, unless the run is recorded)."""
        node, ctx = self.node, self.ctx
        partitions = check_partitions(node, value)
        if ctx.ledger is None:
            pending = dict(sorted(partitions.items()))
            self.partitions = PartitionPlan(pending, total=len(pending))
        else:
            inputs, output = ctx.inputs[self.index], ctx.outputs[self.index][0]
            self.partitions = ctx.ledger.plan(node, inputs, partitions, output)
        return self.partitions.pending

    def _committed(self, chunk: Mapping[str, Any]) -> None:
        """Count (and record, in a recorded run) the partitions of a saved chunk."""
        plan, ledger = self.partitions, self.ctx.ledger
        assert plan is not None
        for pid in chunk:
            plan.done += 1
            if ledger is not None:
                ledger.record(self.node, self.ctx.outputs[self.index][0], pid, plan.keys.get(pid))

    def _load(self, name: str, dataset: Dataset) -> Any:
        ctx = self.ctx
        if ctx.load_hooks:
            ctx.hook.before_dataset_loaded(dataset_name=name, node=self.node)
        try:
            data = dataset.load()
        except DatasetError as exc:
            raise DatasetError(f"Could not load input {name!r}: {exc}", dataset_name=name) from exc
        if ctx.load_hooks:
            ctx.hook.after_dataset_loaded(dataset_name=name, data=data, node=self.node)
        return data

    def _save_all(self, outputs: Mapping[str, Any]) -> None:
        ctx = self.ctx
        for name, dataset in zip(self.node.outputs, ctx.outputs[self.index], strict=True):
            data = outputs[name]
            if ctx.save_hooks:
                ctx.hook.before_dataset_saved(dataset_name=name, data=data, node=self.node)
            try:
                dataset.save(data)
            except DatasetError as exc:
                raise DatasetError(
                    f"Could not save output {name!r}: {exc}", dataset_name=name
                ) from exc
            if ctx.save_hooks:
                ctx.hook.after_dataset_saved(dataset_name=name, data=data, node=self.node)

    def _apply_replacements(self, values: dict[str, Any]) -> None:
        ctx = self.ctx
        results = ctx.hook.before_node_run(
            node=self.node, inputs=values, catalog=ctx.catalog, run_id=ctx.run_id
        )
        # pluggy calls the most recently registered hook first: apply in registration order.
        for replacement in reversed(results):
            if replacement is None:
                continue
            _check_replacement(self.node, replacement)
            values.update(replacement)

    def _after_hook(self, outputs: dict[str, Any]) -> None:
        ctx = self.ctx
        ctx.hook.after_node_run(
            node=self.node,
            inputs=self.inputs,
            outputs=outputs,
            catalog=ctx.catalog,
            run_id=ctx.run_id,
        )


def partition_chunks(
    func: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    keyword: str | None,
    *,
    node_name: str,
    retry: Retry | None,
) -> Iterator[dict[str, Any]]:
    """Call ``func`` once per partition of its first argument; yield ``{id: result}``.

    The partitioned argument is ``kwargs[keyword]`` (keyword-bound inputs) or ``args[0]``; a
    partition that is callable (a loader) is loaded just before its call, so that memory
    holds one partition at a time. Each call is retried as ``retry`` says.
    """
    partitions = kwargs[keyword] if keyword is not None else args[0]
    for pid, part in partitions.items():
        call = _partition_call(func, args, kwargs, keyword, part() if callable(part) else part)
        result = Attempts(node_name, retry).call(call)
        del call  # let the partition's data go before the next one is loaded
        if result is None:
            raise RunnerError(
                f"Node {node_name!r} returned None for partition {pid!r}; a partitionwise "
                "function returns the data of one output partition.",
                node_name=node_name,
            )
        yield {pid: result}
        del result


def _partition_call(
    func: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    keyword: str | None,
    data: Any,
) -> Callable[[], Any]:
    if keyword is not None:
        return functools.partial(func, *args, **{**kwargs, keyword: data})
    return functools.partial(func, data, *args[1:], **kwargs)


def started_chunks(chunks: Iterable[Any]) -> Iterator[Any]:
    """The chunks, with the first one already produced (its errors are raised here).

    Calling a generator function inside `Attempts.call` through this retries an error raised
    before the first chunk, and no later one.
    """
    iterator = iter(chunks)
    for first in iterator:
        return itertools.chain((first,), iterator)
    return iter(())


def _check_replacement(node: Node, replacement: object) -> None:
    if not isinstance(replacement, Mapping):
        raise RunnerError(
            f"A before_node_run hook returned {type(replacement).__name__} for node "
            f"{node.name!r}; it must return None or a dict of input names to new values.",
            node_name=node.name,
        )
    unknown = [k for k in replacement if k not in node.inputs]
    if unknown:
        raise RunnerError(
            f"A before_node_run hook replaced {', '.join(map(repr, unknown))}, which "
            f"{'is' if len(unknown) == 1 else 'are'} not an input of node {node.name!r} "
            f"(its inputs: {', '.join(map(repr, node.inputs)) or 'none'}).",
            node_name=node.name,
        )


def map_outputs(node: Node, result: Any) -> dict[str, Any]:
    """Match a function's return value (or one yielded chunk) to the node's outputs.

    Raises:
        RunnerError: The value does not have the shape the node's outputs declare.
    """
    style = node.output_style
    if style == "single":
        if result is None:
            raise RunnerError(
                f"Node {node.name!r} returned None for its output {node.outputs[0]!r}; "
                "does the function end with a return statement?",
                node_name=node.name,
            )
        return {node.outputs[0]: result}
    if style == "none":
        return {}
    if style == "sequence":
        return _sequence_outputs(node, result)
    return _mapping_outputs(node, result)


def _sequence_outputs(node: Node, result: Any) -> dict[str, Any]:
    if not isinstance(result, list | tuple) or len(result) != len(node.outputs):
        got = (
            f"{type(result).__name__} of length {len(result)}"
            if isinstance(result, list | tuple)
            else type(result).__name__
        )
        raise RunnerError(
            f"Node {node.name!r} must return a list or tuple of {len(node.outputs)} values "
            f"(for {', '.join(map(repr, node.outputs))}), but returned a {got}.",
            node_name=node.name,
        )
    return _checked(node, dict(zip(node.outputs, result, strict=True)))


def _mapping_outputs(node: Node, result: Any) -> dict[str, Any]:
    keys = node.output_keys or ()
    if not isinstance(result, Mapping):
        raise RunnerError(
            f"Node {node.name!r} must return a dict with keys {_names(keys)}, but returned a "
            f"{type(result).__name__}.",
            node_name=node.name,
        )
    missing = [k for k in keys if k not in result]
    extra = [k for k in result if k not in keys]
    if missing or extra:
        raise RunnerError(
            f"Node {node.name!r} returned a dict with keys {_names(result)}, but its outputs "
            f"expect {_names(keys)}"
            + (f"; missing {_names(missing)}" if missing else "")
            + (f"; unexpected {_names(extra)}" if extra else "")
            + ".",
            node_name=node.name,
        )
    return _checked(node, {name: result[key] for key, name in zip(keys, node.outputs, strict=True)})


def _checked(node: Node, outputs: dict[str, Any]) -> dict[str, Any]:
    nones = [name for name, value in outputs.items() if value is None]
    if nones:
        raise RunnerError(
            f"Node {node.name!r} returned None for output {_names(nones)}; return a value "
            "for every declared output.",
            node_name=node.name,
        )
    return outputs


def _names(names: Iterable[object]) -> str:
    return ", ".join(repr(n) for n in names)
