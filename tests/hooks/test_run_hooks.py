"""Tests for the hooks a run fires, in every executor.

Whatever the executor, hooks fire in the process that runs the scheduler: a hook object's
state is visible to the test after the run, even when node functions ran in worker processes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pytest

from datamill import DataCatalog, MemoryDataset, Pipeline, node, run
from datamill.errors import DatasetError, RunnerError
from datamill.hooks import RunParams, hook_impl
from datamill.io import AbstractDataset
from datamill.pipeline import Node
from tests.resources import hook_funcs

EXECUTORS = ["sequential", "thread", "process"]

Event = tuple[Any, ...]


class Recorder:
    """Implements every hook; records a summary of each call and the arguments it received."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.args: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)

    def _record(self, hook: str, *summary: Any, **args: Any) -> None:
        self.events.append((hook, *summary))
        self.args[hook].append(args)

    def hooks_called(self) -> list[str]:
        return [event[0] for event in self.events]

    @hook_impl
    def after_catalog_created(self, catalog: DataCatalog) -> None:
        self._record("after_catalog_created", catalog=catalog)

    @hook_impl
    def before_pipeline_run(
        self, run_params: RunParams, pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        self._record(
            "before_pipeline_run", run_params=run_params, pipeline=pipeline, catalog=catalog
        )

    @hook_impl
    def after_pipeline_run(
        self,
        run_params: RunParams,
        outputs: dict[str, Any],
        pipeline: Pipeline,
        catalog: DataCatalog,
    ) -> None:
        self._record(
            "after_pipeline_run",
            dict(outputs),
            run_params=run_params,
            pipeline=pipeline,
            catalog=catalog,
        )

    @hook_impl
    def on_pipeline_error(
        self,
        error: BaseException,
        run_params: RunParams,
        pipeline: Pipeline,
        catalog: DataCatalog,
    ) -> None:
        self._record(
            "on_pipeline_error",
            type(error).__name__,
            error=error,
            run_params=run_params,
            pipeline=pipeline,
            catalog=catalog,
        )

    @hook_impl
    def before_node_run(
        self, node: Node, inputs: dict[str, Any], catalog: DataCatalog, run_id: str
    ) -> None:
        self._record("before_node_run", node.name, dict(inputs), catalog=catalog, run_id=run_id)

    @hook_impl
    def after_node_run(
        self,
        node: Node,
        inputs: dict[str, Any],
        outputs: dict[str, Any],
        catalog: DataCatalog,
        run_id: str,
    ) -> None:
        self._record(
            "after_node_run", node.name, dict(inputs), dict(outputs), catalog=catalog, run_id=run_id
        )

    @hook_impl
    def on_node_error(
        self,
        error: BaseException,
        node: Node,
        inputs: dict[str, Any],
        catalog: DataCatalog,
        run_id: str,
    ) -> None:
        self._record(
            "on_node_error",
            node.name,
            type(error).__name__,
            str(error),
            dict(inputs),
            error=error,
            catalog=catalog,
            run_id=run_id,
        )

    @hook_impl
    def before_dataset_loaded(self, dataset_name: str, node: Node) -> None:
        self._record("before_dataset_loaded", dataset_name, node.name)

    @hook_impl
    def after_dataset_loaded(self, dataset_name: str, data: Any, node: Node) -> None:
        self._record("after_dataset_loaded", dataset_name, data, node.name)

    @hook_impl
    def before_dataset_saved(self, dataset_name: str, data: Any, node: Node) -> None:
        self._record("before_dataset_saved", dataset_name, data, node.name)

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any, node: Node) -> None:
        self._record("after_dataset_saved", dataset_name, data, node.name)


class Replace:
    """A before_node_run hook returning ``replacement`` for the node called ``target``."""

    def __init__(self, target: str, replacement: object) -> None:
        self.target = target
        self.replacement = replacement

    @hook_impl
    def before_node_run(self, node: Node) -> object:
        return self.replacement if node.name == self.target else None


class UnreadableDataset(AbstractDataset[Any, Any]):
    """Exists, but every load fails."""

    def _load(self) -> Any:
        raise OSError("unreadable")

    def _save(self, data: Any) -> None:
        return None

    def _describe(self) -> dict[str, Any]:
        return {}


def two_step_pipeline() -> Pipeline:
    return Pipeline(
        [
            node(hook_funcs.total, "numbers", "subtotal", name="total"),
            node(hook_funcs.scale, ["subtotal", "params:factor"], "scaled", name="scale"),
        ]
    )


def failing_pipeline() -> Pipeline:
    return Pipeline(
        [
            node(hook_funcs.total, "numbers", "subtotal", name="total"),
            node(hook_funcs.explode, "subtotal", "never", name="explode"),
        ]
    )


def numbers_catalog() -> DataCatalog:
    return DataCatalog({"numbers": MemoryDataset([1, 2, 3])}, parameters={"factor": 10})


def run_on(
    executor: str, pipeline: Pipeline, catalog: DataCatalog, hooks: list[object]
) -> dict[str, Any]:
    workers = None if executor == "sequential" else 2
    return run(pipeline, catalog, executor=executor, workers=workers, hooks=hooks)


@pytest.fixture(params=EXECUTORS)
def executor(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@dataclass(frozen=True)
class RecordedRun:
    executor: str
    pipeline: Pipeline
    catalog: DataCatalog
    outputs: dict[str, Any]
    recorder: Recorder


@pytest.fixture(scope="module", params=EXECUTORS)
def two_step_run(request: pytest.FixtureRequest) -> RecordedRun:
    """The two-step pipeline, run once per executor with a recorder (shared: runs are slow)."""
    executor: str = request.param
    pipeline, catalog, recorder = two_step_pipeline(), numbers_catalog(), Recorder()
    outputs = run_on(executor, pipeline, catalog, [recorder])
    return RecordedRun(executor, pipeline, catalog, outputs, recorder)


# -- a successful run ----------------------------------------------------------------------


def test_every_hook_fires_in_order_with_its_data(two_step_run: RecordedRun) -> None:
    numbers = [1, 2, 3]
    both = {"subtotal": 6, "params:factor": 10}

    assert two_step_run.outputs == {"scaled": 60}
    assert two_step_run.recorder.events == [
        ("after_catalog_created",),
        ("before_pipeline_run",),
        ("before_dataset_loaded", "numbers", "total"),
        ("after_dataset_loaded", "numbers", numbers, "total"),
        ("before_node_run", "total", {"numbers": numbers}),
        ("after_node_run", "total", {"numbers": numbers}, {"subtotal": 6}),
        ("before_dataset_saved", "subtotal", 6, "total"),
        ("after_dataset_saved", "subtotal", 6, "total"),
        ("before_dataset_loaded", "subtotal", "scale"),
        ("after_dataset_loaded", "subtotal", 6, "scale"),
        ("before_dataset_loaded", "params:factor", "scale"),
        ("after_dataset_loaded", "params:factor", 10, "scale"),
        ("before_node_run", "scale", both),
        ("after_node_run", "scale", both, {"scaled": 60}),
        ("before_dataset_saved", "scaled", 60, "scale"),
        ("after_dataset_saved", "scaled", 60, "scale"),
        ("after_pipeline_run", {"scaled": 60}),
    ]


def test_pipeline_hooks_receive_the_run_params_pipeline_and_catalog(
    two_step_run: RecordedRun,
) -> None:
    args = two_step_run.recorder.args
    (created,) = args["after_catalog_created"]
    (before,) = args["before_pipeline_run"]
    (after,) = args["after_pipeline_run"]

    # Hooks see the run's own catalog: one object for the whole run, sharing the caller's
    # datasets, so the intermediates it adds never leak into the caller's catalog.
    run_catalog = created["catalog"]
    assert run_catalog is not two_step_run.catalog
    for name in two_step_run.catalog.list():
        assert run_catalog[name] is two_step_run.catalog[name]
    for call in (before, after):
        assert call["pipeline"] is two_step_run.pipeline
        assert call["catalog"] is run_catalog
    run_params = before["run_params"]
    assert after["run_params"] == run_params
    assert run_params["executor"] == two_step_run.executor
    assert run_params["workers"] == (1 if two_step_run.executor == "sequential" else 2)
    assert run_params["node_count"] == 2
    assert isinstance(run_params["run_id"], str)
    assert run_params["run_id"]


def test_node_hooks_receive_the_run_catalog_and_run_id(two_step_run: RecordedRun) -> None:
    args = two_step_run.recorder.args
    run_id = args["before_pipeline_run"][0]["run_params"]["run_id"]
    node_calls = [*args["before_node_run"], *args["after_node_run"]]

    assert len(node_calls) == 4
    assert all(call["run_id"] == run_id for call in node_calls)
    run_catalog = args["after_catalog_created"][0]["catalog"]
    assert all(call["catalog"] is run_catalog for call in node_calls)


def test_each_run_has_its_own_run_id() -> None:
    recorder = Recorder()
    for _ in range(2):
        run(two_step_pipeline(), numbers_catalog(), hooks=[recorder])

    first, second = (call["run_params"]["run_id"] for call in recorder.args["before_pipeline_run"])
    assert first != second


def test_hooks_fire_once_per_node_when_nodes_run_in_parallel(executor: str) -> None:
    pipeline = Pipeline(
        [
            node(hook_funcs.total, "numbers", "subtotal", name="total"),
            node(hook_funcs.double, "subtotal", "doubled", name="double"),
            node(hook_funcs.triple, "subtotal", "tripled", name="triple"),
            node(hook_funcs.negate, "subtotal", "negated", name="negate"),
        ]
    )
    recorder = Recorder()
    workers = None if executor == "sequential" else 3

    outputs = run(pipeline, numbers_catalog(), executor=executor, workers=workers, hooks=[recorder])

    assert outputs == {"doubled": 12, "tripled": 18, "negated": -6}
    events = recorder.events
    subtotal_saved = events.index(("after_dataset_saved", "subtotal", 6, "total"))
    for name, output, value in [
        ("double", "doubled", 12),
        ("triple", "tripled", 18),
        ("negate", "negated", -6),
    ]:
        steps = [
            ("before_dataset_loaded", "subtotal", name),
            ("before_node_run", name, {"subtotal": 6}),
            ("after_node_run", name, {"subtotal": 6}, {output: value}),
            ("before_dataset_saved", output, value, name),
            ("after_dataset_saved", output, value, name),
        ]
        positions = [events.index(step) for step in steps]
        assert positions == sorted(positions)
        assert positions[0] > subtotal_saved
        assert all(events.count(step) == 1 for step in steps)
    assert recorder.hooks_called().count("before_node_run") == 4
    assert recorder.hooks_called()[-1] == "after_pipeline_run"


# -- failures ------------------------------------------------------------------------------


def test_a_failing_node_fires_on_node_error_then_on_pipeline_error(executor: str) -> None:
    recorder = Recorder()

    with pytest.raises(RunnerError) as exc:
        run_on(executor, failing_pipeline(), numbers_catalog(), [recorder])

    assert exc.value.node_name == "explode"
    assert isinstance(exc.value.__cause__, hook_funcs.HookFuncError)
    assert recorder.events[-5:] == [
        ("before_dataset_loaded", "subtotal", "explode"),
        ("after_dataset_loaded", "subtotal", 6, "explode"),
        ("before_node_run", "explode", {"subtotal": 6}),
        ("on_node_error", "explode", "HookFuncError", "cannot handle 6", {"subtotal": 6}),
        ("on_pipeline_error", "RunnerError"),
    ]
    assert "after_pipeline_run" not in recorder.hooks_called()
    (pipeline_error,) = recorder.args["on_pipeline_error"]
    assert pipeline_error["error"] is exc.value


def test_on_node_error_receives_the_error_and_run_id(executor: str) -> None:
    recorder = Recorder()

    with pytest.raises(RunnerError):
        run_on(executor, failing_pipeline(), numbers_catalog(), [recorder])

    (node_error,) = recorder.args["on_node_error"]
    (pipeline_error,) = recorder.args["on_pipeline_error"]
    assert isinstance(node_error["error"], hook_funcs.HookFuncError)
    assert node_error["run_id"] == pipeline_error["run_params"]["run_id"]


def test_an_input_that_fails_to_load_fires_on_node_error(executor: str) -> None:
    recorder = Recorder()
    catalog = DataCatalog({"numbers": UnreadableDataset()}, parameters={"factor": 10})

    with pytest.raises(RunnerError) as exc:
        run_on(executor, two_step_pipeline(), catalog, [recorder])

    assert exc.value.node_name == "total"
    (node_error,) = recorder.args["on_node_error"]
    error = node_error["error"]
    assert isinstance(error, DatasetError)
    assert error.dataset_name == "numbers"
    assert recorder.hooks_called()[2:] == [
        "before_dataset_loaded",
        "on_node_error",
        "on_pipeline_error",
    ]


def test_an_error_raised_by_an_after_node_run_hook_fails_the_node(executor: str) -> None:
    class Breaks:
        @hook_impl
        def after_node_run(self, node: Node) -> None:
            if node.name == "scale":
                raise RuntimeError("hook broke")

    recorder = Recorder()

    with pytest.raises(RunnerError, match="hook broke") as exc:
        run_on(executor, two_step_pipeline(), numbers_catalog(), [recorder, Breaks()])

    assert exc.value.node_name == "scale"
    assert recorder.events[-2:] == [
        (
            "on_node_error",
            "scale",
            "RuntimeError",
            "hook broke",
            {"subtotal": 6, "params:factor": 10},
        ),
        ("on_pipeline_error", "RunnerError"),
    ]
    assert ("before_dataset_saved", "scaled", 60, "scale") not in recorder.events


# -- before_node_run replacing inputs -------------------------------------------------------


def test_before_node_run_returning_a_dict_replaces_inputs(executor: str) -> None:
    recorder = Recorder()
    hooks: list[object] = [recorder, Replace("scale", {"subtotal": 7})]

    outputs = run_on(executor, two_step_pipeline(), numbers_catalog(), hooks)

    assert outputs == {"scaled": 70}
    replaced = {"subtotal": 7, "params:factor": 10}
    assert ("after_node_run", "scale", replaced, {"scaled": 70}) in recorder.events


def test_replacements_apply_in_registration_order() -> None:
    hooks: list[object] = [Replace("scale", {"subtotal": 1}), Replace("scale", {"subtotal": 2})]

    outputs = run(two_step_pipeline(), numbers_catalog(), hooks=hooks)

    assert outputs == {"scaled": 20}


def test_replacements_from_several_hooks_combine() -> None:
    hooks: list[object] = [
        Replace("scale", {"subtotal": 3}),
        Replace("scale", {"params:factor": 100}),
    ]

    assert run(two_step_pipeline(), numbers_catalog(), hooks=hooks) == {"scaled": 300}


def test_before_node_run_returning_none_keeps_the_inputs() -> None:
    outputs = run(two_step_pipeline(), numbers_catalog(), hooks=[Replace("scale", None)])

    assert outputs == {"scaled": 60}


def test_before_node_run_returning_a_non_dict_fails_the_node(executor: str) -> None:
    recorder = Recorder()
    hooks: list[object] = [recorder, Replace("scale", ["subtotal", 7])]

    with pytest.raises(RunnerError) as exc:
        run_on(executor, two_step_pipeline(), numbers_catalog(), hooks)

    assert exc.value.node_name == "scale"
    cause = exc.value.__cause__
    assert isinstance(cause, RunnerError)
    assert cause.node_name == "scale"
    assert str(cause) == (
        "A before_node_run hook returned list for node 'scale'; it must return None or a dict "
        "of input names to new values."
    )
    assert not any(e[:2] == ("after_node_run", "scale") for e in recorder.events)
    assert recorder.hooks_called()[-2:] == ["on_node_error", "on_pipeline_error"]


def test_before_node_run_replacing_an_unknown_input_fails_the_node(executor: str) -> None:
    hooks: list[object] = [Replace("scale", {"subtotl": 7})]

    with pytest.raises(RunnerError) as exc:
        run_on(executor, two_step_pipeline(), numbers_catalog(), hooks)

    assert exc.value.node_name == "scale"
    cause = exc.value.__cause__
    assert isinstance(cause, RunnerError)
    assert str(cause) == (
        "A before_node_run hook replaced 'subtotl', which is not an input of node 'scale' "
        "(its inputs: 'subtotal', 'params:factor')."
    )


def test_replacing_several_unknown_inputs_names_them_all() -> None:
    hooks: list[object] = [Replace("scale", {"a": 1, "b": 2})]

    with pytest.raises(RunnerError) as exc:
        run(two_step_pipeline(), numbers_catalog(), hooks=hooks)

    assert "replaced 'a', 'b', which are not an input of node 'scale'" in str(exc.value)


# -- hooks taking a subset of the arguments ------------------------------------------------


class Partial:
    """Hooks that each take only some of their spec's arguments (or none)."""

    def __init__(self) -> None:
        self.seen: list[object] = []

    @hook_impl
    def before_pipeline_run(self) -> None:
        self.seen.append("start")

    @hook_impl
    def before_node_run(self, node: Node) -> None:
        self.seen.append(node.name)

    @hook_impl
    def after_dataset_saved(self, dataset_name: str) -> None:
        self.seen.append(dataset_name)

    @hook_impl
    def after_dataset_loaded(self, data: Any) -> None:
        self.seen.append(data)

    @hook_impl
    def after_pipeline_run(self, outputs: dict[str, Any]) -> None:
        self.seen.append(dict(outputs))


def test_hooks_taking_a_subset_of_arguments_fire(executor: str) -> None:
    partial = Partial()

    run_on(executor, two_step_pipeline(), numbers_catalog(), [partial])

    assert partial.seen == [
        "start",
        [1, 2, 3],
        "total",
        "subtotal",
        6,
        10,
        "scale",
        "scaled",
        {"scaled": 60},
    ]
