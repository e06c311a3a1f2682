"""Running a pipeline: check everything first, then hand the graph to the scheduler."""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import pluggy

from datamill._text import did_you_mean, error_text, quoted
from datamill.errors import RunnerError
from datamill.hooks import RunParams, create_hook_manager
from datamill.io import AbstractDataset, DataCatalog, discard_abandoned_writes
from datamill.pipeline import Pipeline, PipelineGraph, Retry, is_parameter
from datamill.runner._annotations import annotation_problems, parameter_annotation_problems
from datamill.runner._executors import (
    Done,
    Executor,
    create_executor,
    signals_deferrable,
    signals_held,
)
from datamill.runner._incremental import Decision
from datamill.runner._job import NodeJob, RunContext, has_impls
from datamill.runner._partitions import PartitionLedger, partitionwise_problems
from datamill.runner._scheduler import DataTracker, Outcome, schedule
from datamill.runner._tracking import NodeFingerprints, Recorder, Tracking, plan
from datamill.runner._typed_params import convert_parameter, typed_parameters

__all__ = ["RemoteTraceback", "find_problems", "new_run_id", "run", "run_with"]

Dataset = AbstractDataset[Any, Any]

_log = logging.getLogger("datamill.runner")


class RemoteTraceback(Exception):
    """Carries the traceback text of an error raised in a worker process."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f"\n\nTraceback in the worker process:\n{self.text}"


def run(
    pipeline: Pipeline,
    catalog: DataCatalog | None = None,
    *,
    executor: str | Executor = "sequential",
    workers: int | None = None,
    hooks: Iterable[object] = (),
) -> dict[str, Any]:
    """Run ``pipeline`` and return its free outputs.

    Args:
        pipeline: What to run.
        catalog: Where inputs come from and outputs go; undeclared intermediates are kept in
            memory. Defaults to an empty catalog.
        executor: ``"sequential"``, ``"thread"``, ``"process"``, or an executor object.
        workers: Parallelism of the thread and process executors.
        hooks: Hook objects to register for this run, besides installed plugins.

    Returns:
        The value of every output of the pipeline that the catalog does not declare.

    Raises:
        RunnerError: The pipeline cannot run (missing inputs, unsendable functions, ...) or
            a node failed; the error names the node and what to rerun.

    Example:
        >>> from datamill import MemoryDataset, Pipeline, node
        >>> total = Pipeline([node(sum, "numbers", "total")])
        >>> run(total, DataCatalog({"numbers": MemoryDataset([1, 2, 3])}))
        {'total': 6}
    """
    if not isinstance(pipeline, Pipeline):
        raise TypeError(f"run() needs a Pipeline, got {type(pipeline).__name__}.")
    # The run works on a shallow copy (the catalog every hook receives): it shares the
    # declared datasets, but the intermediates it adds stay out of the caller's catalog, so
    # one catalog can serve several runs.
    run_catalog = DataCatalog() if catalog is None else catalog.shallow_copy()
    chosen = create_executor(executor, workers) if isinstance(executor, str) else executor
    manager = create_hook_manager(hooks)
    manager.hook.after_catalog_created(catalog=run_catalog)
    return run_with(pipeline, run_catalog, chosen, manager)


def new_run_id() -> str:
    """A unique run id that sorts by start time (``20261122T101500.123456Z-3fa2c1``)."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S.%f}Z-{secrets.token_hex(3)}"


def run_with(
    pipeline: Pipeline,
    catalog: DataCatalog,
    executor: Executor,
    manager: pluggy.PluginManager,
    run_id: str | None = None,
    *,
    problems: Sequence[str] = (),
    tracking: Tracking | None = None,
    default_retry: Retry | None = None,
) -> dict[str, Any]:
    """Run with an explicit executor and hook manager (what sessions and tools call).

    ``catalog`` should belong to this run: the memory datasets created for undeclared
    intermediates are registered in it. ``problems`` found by the caller (say, unknown
    names in command-line options) are reported together with the run's own checks.
    ``default_retry`` applies to nodes without a retry policy of their own. With
    ``tracking``, the run is recorded in the journal and, when incremental, the nodes
    whose code, parameters and inputs are unchanged since their last success are skipped.
    """
    with signals_deferrable():  # see `signals_held`: the runner's steps that must not part
        typed = [typed_parameters(n) for n in pipeline.graph.nodes]
        _raise_problems([*problems, *find_problems(pipeline, catalog, executor, typed=typed)])
        run_id = run_id or new_run_id()
        # Before ensure() adds them:
        undeclared = {o for o in pipeline.outputs() if o not in catalog}
        recorder = ledger = resolved = None
        if tracking is not None:
            resolved = _resolve_datasets(pipeline, catalog)
            by_name = {name: resolved[1][slot] for name, slot in resolved[0].items()}
            planned = _plan(pipeline, catalog, tracking, undeclared, by_name)
            if tracking.explain_only:
                return {}
            recorder = Recorder(
                tracking,
                run_id,
                executor.name,
                pipeline=pipeline,
                measures_memory=getattr(executor, "measures_memory", False),
                decisions=planned,
                datasets=by_name,
            )
            recorder.skipped()
            ledger = PartitionLedger(tracking.journal, run_id, tracking.decisions, recorder.memory)
            if not all(d.runs for d in planned):
                runs = [n for n, d in zip(pipeline.graph.nodes, planned, strict=True) if d.runs]
                pipeline = Pipeline(runs)
                typed = [typed_parameters(n) for n in pipeline.graph.nodes]
                resolved = None
        try:
            outputs = _run_checked(
                pipeline,
                catalog,
                executor,
                manager,
                run_id,
                typed,
                recorder,
                undeclared,
                default_retry=default_retry,
                ledger=ledger,
                resolved=resolved,
            )
        except BaseException as exc:
            if recorder is not None:
                status = "failed" if isinstance(exc, Exception) else "interrupted"
                recorder.finish(status, error_text(exc))
            raise
        if recorder is not None:
            recorder.finish("succeeded")
        return outputs


def _plan(
    pipeline: Pipeline,
    catalog: DataCatalog,
    tracking: Tracking,
    undeclared: set[str],
    by_name: dict[str, Dataset],
) -> list[Decision]:
    free = {o for o in undeclared if not by_name[o].persistent}
    fingerprints = NodeFingerprints(catalog, tracking.own_code)
    return plan(tracking, pipeline, by_name, fingerprints, free)


def _run_checked(  # noqa: PLR0917 - one call site, every argument needed
    pipeline: Pipeline,
    catalog: DataCatalog,
    executor: Executor,
    manager: pluggy.PluginManager,
    run_id: str,
    typed: list[dict[str, type]],
    recorder: Recorder | None,
    undeclared: set[str],
    *,
    default_retry: Retry | None = None,
    ledger: PartitionLedger | None = None,
    resolved: tuple[dict[str, int], list[Dataset]] | None = None,
) -> dict[str, Any]:
    names, datasets = resolved or _resolve_datasets(pipeline, catalog)
    # Free outputs: undeclared, and kept only in memory (a catch-all may store them instead).
    free_outputs = sorted(
        o for o in pipeline.outputs() if o in undeclared and not datasets[names[o]].persistent
    )
    run_params = RunParams(
        run_id=run_id,
        executor=executor.name,
        workers=executor.workers,
        node_count=len(pipeline),
    )
    ctx = _context(
        pipeline.graph,
        typed=typed,
        catalog=catalog,
        names=names,
        datasets=datasets,
        manager=manager,
        run_id=run_id,
        default_retry=default_retry,
        ledger=ledger,
    )
    _discard_abandoned_writes(datasets)
    hook = manager.hook
    try:
        hook.before_pipeline_run(run_params=run_params, pipeline=pipeline, catalog=catalog)
        tracker = _tracker(pipeline.graph, names, datasets)
        outcome = _execute(pipeline.graph, executor, ctx, tracker, recorder)
        if outcome.failures:
            recorded_as = None if recorder is None else run_id
            raise _failure_error(outcome, pipeline.graph, datasets, names, recorded_as)
        outputs = {name: datasets[names[name]].load() for name in free_outputs}
    except BaseException as exc:
        hook.on_pipeline_error(error=exc, run_params=run_params, pipeline=pipeline, catalog=catalog)
        raise
    hook.after_pipeline_run(
        run_params=run_params, outputs=outputs, pipeline=pipeline, catalog=catalog
    )
    return outputs


def _execute(
    graph: PipelineGraph,
    executor: Executor,
    ctx: RunContext,
    tracker: DataTracker,
    recorder: Recorder | None,
) -> Outcome:
    nodes = graph.nodes
    skip: Callable[[int, bool], bool | None] | None = None
    if recorder is not None and recorder.cuts_off:
        cut_off, decisions = recorder.cut_off, recorder.decisions

        def skip(index: int, may_wait: bool) -> bool | None:
            n = nodes[index]
            verdict = cut_off(n, may_wait=may_wait)
            if not verdict:
                return verdict  # run it, or (None) ask again later
            ctx.hook.after_node_skipped(
                node=n, reason=decisions[n.name].reason, catalog=ctx.catalog, run_id=ctx.run_id
            )
            return True

    try:
        # A Ctrl-C while the executor starts is raised once it has started, so that `close`
        # releases all of it. Before the heartbeat's thread: starting may fork the workers.
        with signals_held():
            executor.start()
        with contextlib.nullcontext() if recorder is None else recorder.heartbeat():
            return schedule(
                graph,
                executor,
                lambda i: NodeJob(i, nodes[i], ctx),
                tracker,
                on_done=None if recorder is None else recorder.done,
                before_submit=None if recorder is None else recorder.commit,
                on_submit=None if recorder is None else recorder.submitted,
                skip=skip,
            )
    except KeyboardInterrupt:
        interrupt = getattr(executor, "interrupt", None)  # optional (see `Executor.close`)
        if interrupt is not None:
            interrupt()
        raise
    finally:
        executor.close()


def find_problems(
    pipeline: Pipeline,
    catalog: DataCatalog,
    executor: Executor | None = None,
    *,
    typed: list[dict[str, type]] | None = None,
) -> list[str]:
    """Everything that would stop ``pipeline`` from running, found without running it.

    Checks, in one pass: inputs that no node produces and the catalog lacks; parameters
    that do not fit their annotation (dataclass and pydantic ones are built); datasets
    whose producer's return annotation disagrees with a consumer's argument annotation;
    generator nodes writing to datasets that keep one value; and what ``executor`` cannot
    do (e.g. send a lambda to a worker process); partitionwise nodes whose output is not a
    partitioned dataset that keeps its other partitions. Nothing is loaded except
    parameters.

    Returns:
        One message per problem, naming the node, dataset or parameter, and the fix.
    """
    if typed is None:
        typed = [typed_parameters(n) for n in pipeline.graph.nodes]
    return [
        *_missing_inputs(pipeline, catalog),
        *_parameter_problems(pipeline, catalog, typed),
        *_annotation_problems(pipeline, catalog, typed),
        *_chunk_problems(pipeline, catalog),
        *partitionwise_problems(pipeline, catalog),
        *(executor.problems(pipeline) if executor is not None else ()),
    ]


def _raise_problems(problems: Sequence[str]) -> None:
    if not problems:
        return
    if len(problems) == 1:
        raise RunnerError(f"The pipeline cannot run: {problems[0]}")
    listed = "\n".join(f"  - {p}" for p in problems)
    raise RunnerError(f"The pipeline cannot run; {len(problems)} problems:\n{listed}")


def _missing_inputs(pipeline: Pipeline, catalog: DataCatalog) -> list[str]:
    problems = []
    for name in sorted(pipeline.inputs()):
        if name in catalog:
            dataset = catalog[name]
            if not dataset.persistent and not dataset.exists():
                problems.append(
                    f"input {name!r} is a {type(dataset).__name__} with no data; "
                    "save data to it before the run."
                )
        elif not _stored_by_catch_all(catalog, name):
            consumers = quoted(n.name for n in pipeline.consumers_of(name))
            problems.append(
                f"input {name!r} (needed by {consumers}) is not in the catalog and no node "
                f"produces it.{did_you_mean(name, catalog.list())} Add it to the catalog."
            )
    return problems


def _parameter_problems(
    pipeline: Pipeline, catalog: DataCatalog, typed: list[dict[str, type]]
) -> list[str]:
    """Every typed parameter that does not fit its annotation, checked before running."""
    problems = []
    for n, converters in zip(pipeline.graph.nodes, typed, strict=True):
        for name, cls in converters.items():
            if name not in catalog:
                continue  # reported as a missing input
            try:
                convert_parameter(catalog.load(name), cls, n, name)
            except RunnerError as exc:
                problems.append(str(exc))
    return problems


def _annotation_problems(
    pipeline: Pipeline, catalog: DataCatalog, typed: list[dict[str, type]]
) -> list[str]:
    structured = {name for converters in typed for name in converters}

    def unchecked_parameter(name: str) -> bool:
        return name in structured or name not in catalog

    def loads_otherwise(name: str) -> bool:
        dataset = catalog.get(name)
        return dataset is not None and not dataset.loads_as_saved

    return [
        *parameter_annotation_problems(pipeline, catalog.load, unchecked_parameter),
        *annotation_problems(pipeline, loads_otherwise),
    ]


def _stored_by_catch_all(catalog: DataCatalog, name: str) -> bool:
    """Whether a catch-all pattern stores ``name`` and it holds data (say, from a past run)."""
    if is_parameter(name):
        return False
    dataset = catalog.shallow_copy().ensure(name)  # a copy: register nothing in the run's
    return dataset.persistent and dataset.exists()


def _chunk_problems(pipeline: Pipeline, catalog: DataCatalog) -> list[str]:
    problems = []
    for n in pipeline.nodes:
        if not n.is_generator:
            continue
        for out in n.outputs:
            dataset = catalog.get(out)
            if dataset is None or not dataset.accepts_chunks:
                kind = "an undeclared (memory)" if dataset is None else type(dataset).__name__
                problems.append(
                    f"node {n.name!r} yields chunks, but its output {out!r} is {kind} dataset, "
                    "which keeps a single value; declare it as a dataset that accepts chunks "
                    "(e.g. a partitioned dataset) or make the function return its result."
                )
    return problems


def _discard_abandoned_writes(datasets: Iterable[Dataset]) -> None:
    """Remove what saves killed in earlier runs left where this run writes (and say so)."""
    removed = discard_abandoned_writes(d for d in datasets if d.persistent)
    if removed:
        shown = ", ".join(removed[:3]) + (
            f" and {len(removed) - 3} more" if len(removed) > 3 else ""
        )
        _log.info(
            "Removed %d temporary file(s) left by saves that were killed: %s",
            len(removed),
            shown,
        )


def _resolve_datasets(
    pipeline: Pipeline, catalog: DataCatalog
) -> tuple[dict[str, int], list[Dataset]]:
    names: dict[str, int] = {}
    datasets: list[Dataset] = []
    for n in pipeline.nodes:
        for name in (*n.inputs, *n.outputs):
            if name not in names:
                names[name] = len(datasets)
                datasets.append(catalog.ensure(name))
    return names, datasets


def _context(
    graph: PipelineGraph,
    *,
    catalog: DataCatalog,
    names: dict[str, int],
    datasets: list[Dataset],
    manager: pluggy.PluginManager,
    run_id: str,
    typed: list[dict[str, type]],
    default_retry: Retry | None = None,
    ledger: PartitionLedger | None = None,
) -> RunContext:
    nodes = graph.nodes
    return RunContext(
        catalog=catalog,
        run_id=run_id,
        hook=manager.hook,
        inputs=[
            tuple((d, datasets[names[d]]) for d in dict.fromkeys(n.inputs)) for n in graph.nodes
        ],
        outputs=[tuple(datasets[names[d]] for d in n.outputs) for n in nodes],
        typed=typed,
        confirms=[
            tuple(
                ds
                for d in dict.fromkeys(n.inputs)
                if (ds := datasets[names[d]]).confirms_on_success
            )
            for n in nodes
        ],
        load_hooks=has_impls(manager, "before_dataset_loaded", "after_dataset_loaded"),
        save_hooks=has_impls(manager, "before_dataset_saved", "after_dataset_saved"),
        before_node_hooks=has_impls(manager, "before_node_run"),
        after_node_hooks=has_impls(manager, "after_node_run"),
        error_node_hooks=has_impls(manager, "on_node_error"),
        default_retry=default_retry,
        ledger=ledger,
    )


def _tracker(graph: PipelineGraph, names: dict[str, int], datasets: list[Dataset]) -> DataTracker:
    inputs_of = [tuple(names[d] for d in dict.fromkeys(n.inputs)) for n in graph.nodes]
    counts = [0] * len(datasets)
    for slots in inputs_of:
        for slot in slots:
            counts[slot] += 1
    release = [
        # Data produced in this run is dropped after its last consumer; the run's own
        # inputs are dropped only when they are stored elsewhere (they are just cached).
        ds.release if (name in graph.producer or ds.persistent) else None
        for name, ds in zip(names, datasets, strict=True)
    ]
    return DataTracker(inputs_of=inputs_of, consumer_counts=counts, release=release)


def _failure_error(
    outcome: Outcome,
    graph: PipelineGraph,
    datasets: list[Dataset],
    names: dict[str, int],
    recorded_as: str | None,
) -> RunnerError:
    """The error for a run whose nodes failed, with how to finish it: resume the journal's
    run ``recorded_as``, or else run the slice of nodes that did not finish."""
    first = outcome.failures[0]
    error = first.error
    assert error is not None
    if first.remote_traceback and error.__cause__ is None:
        error.__cause__ = RemoteTraceback(first.remote_traceback)
    rerun = _nodes_to_rerun(graph, outcome.finished, datasets, names)
    attempts = f" after {first.job.attempts} attempts" if first.job.attempts > 1 else ""
    message = f"Node {first.job.node.name!r} failed{attempts}: {error_text(error)}"
    message += _other_failures(outcome.failures[1:])
    if recorded_as is None:
        message += "\n" + _rerun_hint(graph, rerun)
    else:
        message += (
            f"\nTo finish run {recorded_as} ({len(rerun)} node(s) left): "
            "datamill run --resume, or Session.resume()."
        )
    failure = RunnerError(
        message,
        node_name=first.job.node.name,
        nodes_to_rerun=[graph.nodes[i].name for i in rerun],
        remote_traceback=first.remote_traceback,
        run_id=recorded_as,
    )
    failure.__cause__ = error
    return failure


def _other_failures(others: Sequence[Done]) -> str:
    if not others:
        return ""
    listed = quoted(d.job.node.name for d in others)
    return f"\n{len(others)} other node(s) failed too: {listed}."


def _nodes_to_rerun(
    graph: PipelineGraph, finished: list[int], datasets: list[Dataset], names: dict[str, int]
) -> list[int]:
    """Nodes that did not finish, plus the producers of in-memory data they still need."""
    done = set(finished)
    needed = {i for i in range(len(graph.nodes)) if i not in done}
    stack = list(needed)
    while stack:
        for name in graph.nodes[stack.pop()].inputs:
            producer = graph.producer.get(name)
            if producer is None or producer in needed:
                continue
            if not datasets[names[name]].persistent:
                needed.add(producer)
                stack.append(producer)
    return sorted(needed)


def _rerun_hint(graph: PipelineGraph, rerun: list[int]) -> str:
    chosen = set(rerun)
    roots = [i for i in rerun if not any(p in chosen for p in graph.parents[i])]
    downstream = _downstream(graph, roots)
    names = [graph.nodes[i].name for i in (roots if downstream == chosen else rerun)]
    method = "from_nodes" if downstream == chosen else "only_nodes"
    args = ", ".join(repr(n) for n in names[:10])
    more = (
        f", ... ({len(names) - 10} more; see RunnerError.nodes_to_rerun)" if len(names) > 10 else ""
    )
    return f"To finish the run, rerun {len(rerun)} node(s): pipeline.{method}({args}{more})."


def _downstream(graph: PipelineGraph, roots: list[int]) -> set[int]:
    seen = set(roots)
    stack = list(roots)
    while stack:
        for child in graph.children[stack.pop()]:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen
