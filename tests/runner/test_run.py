"""The behavioural suite of datamill.run, run against every executor."""

from __future__ import annotations

import multiprocessing
import re
import threading
from collections.abc import Iterator
from functools import partial
from multiprocessing.managers import SyncManager
from typing import Any

import pytest

from datamill import DataCatalog, MemoryDataset, Node, Pipeline, hook_impl, node, run
from datamill.errors import RunnerError
from datamill.runner import RemoteTraceback
from tests.resources import runner_funcs as f

EXECUTORS = ["sequential", "thread", "process"]


@pytest.fixture(params=EXECUTORS)
def executor(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def run_on(executor: str, pipe: Pipeline, catalog: DataCatalog | None = None, **kw: Any) -> Any:
    workers = None if executor == "sequential" else 2
    return run(pipe, catalog, executor=executor, workers=workers, **kw)


def memory(**values: Any) -> DataCatalog:
    return DataCatalog({name: MemoryDataset(value) for name, value in values.items()})


@pytest.fixture(scope="module")
def manager() -> Iterator[SyncManager]:
    with multiprocessing.get_context("spawn").Manager() as m:
        yield m


def chain(length: int) -> Pipeline:
    return Pipeline(
        [node(f.inc, "d0" if i == 0 else f"d{i}", f"d{i + 1}", name=f"n{i}") for i in range(length)]
    )


class Recorder:
    """Records the nodes that started and finished, in order."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: list[str] = []

    @hook_impl
    def before_node_run(self, node: Node) -> None:
        self.started.append(node.name)

    @hook_impl
    def after_node_run(self, node: Node) -> None:
        self.finished.append(node.name)


# -- results -------------------------------------------------------------------------------


def test_chain_returns_its_free_output(executor: str) -> None:
    assert run_on(executor, chain(50), memory(d0=0)) == {"d50": 50}


def test_fan_out_and_in_combines_every_branch(executor: str) -> None:
    middles = [node(f.inc, "src", f"m{i}", name=f"mid{i}") for i in range(20)]
    sink = node(f.total, [f"m{i}" for i in range(20)], "sum")
    assert run_on(executor, Pipeline([*middles, sink]), memory(src=1)) == {"sum": 40}


def test_every_input_and_output_style_binds_correctly(executor: str) -> None:
    pipe = Pipeline(
        [
            node(f.split, "x", ["half", "rest"]),
            node(
                f.divmod_dict,
                {"x": "rest", "by": "params:div.by"},
                {"quotient": "q", "remainder": "r"},
            ),
            node(f.describe, {"value": "q", "label": "params:div.label"}, "text"),
            node(f.add, ["half", "r"], "sum"),
        ]
    )
    catalog = DataCatalog({"x": MemoryDataset(11)}, parameters={"div": {"by": 4, "label": "q"}})
    assert run_on(executor, pipe, catalog) == {"text": "q=1", "sum": 7}


def test_whole_parameters_mapping_is_an_input(executor: str) -> None:
    pipe = Pipeline([node(len, "parameters", "count")])
    assert run_on(executor, pipe, DataCatalog(parameters={"a": 1, "b": 2})) == {"count": 2}


def test_declared_outputs_are_saved_to_the_catalog_not_returned(executor: str) -> None:
    catalog = DataCatalog({"d0": MemoryDataset(1), "d2": MemoryDataset()})
    assert run_on(executor, chain(2), catalog) == {}
    assert catalog.load("d2") == 3


def test_nodes_without_inputs_or_outputs_run(executor: str) -> None:
    pipe = Pipeline([node(f.pid, "params:x", None), node(partial(f.inc, 1), None, "two")])
    assert run_on(executor, pipe, DataCatalog(parameters={"x": 0})) == {"two": 2}


def test_a_large_pipeline_completes(executor: str) -> None:
    assert run_on(executor, chain(1000), memory(d0=0)) == {"d1000": 1000}


def test_sequential_executor_follows_the_topological_order() -> None:
    recorder = Recorder()
    pipe = chain(5) + Pipeline([node(f.inc, "d2", "side", name="side")])
    run(pipe, memory(d0=0), hooks=[recorder])
    assert recorder.started == [n.name for n in pipe.nodes]


def test_thread_executor_runs_independent_nodes_at_the_same_time() -> None:
    barrier = threading.Barrier(2)
    pipe = Pipeline([node(f.meet, ["barrier", "a"], "x"), node(f.meet, ["barrier", "b"], "y")])
    outputs = run(pipe, memory(barrier=barrier, a=1, b=2), executor="thread", workers=2)
    assert outputs == {"x": 1, "y": 2}


def test_process_executor_runs_independent_nodes_at_the_same_time(manager: SyncManager) -> None:
    barrier = manager.Barrier(2)
    pipe = Pipeline([node(f.meet, ["barrier", "a"], "x"), node(f.meet, ["barrier", "b"], "y")])
    outputs = run(pipe, memory(barrier=barrier, a=1, b=2), executor="process", workers=2)
    assert outputs == {"x": 1, "y": 2}


def test_process_executor_runs_functions_in_other_processes() -> None:
    outputs = run(Pipeline([node(f.pid, "a", "p")]), memory(a=0), executor="process")
    assert outputs["p"] != multiprocessing.current_process().pid


def test_memory_copy_modes_protect_inputs(executor: str) -> None:
    original = [1, 2]
    catalog = DataCatalog({"a": MemoryDataset(original, copy_mode="deepcopy")})
    outputs = run_on(executor, Pipeline([node(list.copy, "a", "b")]), catalog)
    assert outputs == {"b": [1, 2]}
    assert catalog.load("a") is not original


# -- data release --------------------------------------------------------------------------


class ExistenceProbe:
    """Records, before each node, whether the watched datasets hold data."""

    def __init__(self, *names: str) -> None:
        self.names = names
        self.seen: dict[str, dict[str, bool]] = {}

    @hook_impl
    def before_node_run(self, node: Node, catalog: DataCatalog) -> None:
        self.seen[node.name] = {n: catalog.exists(n) for n in self.names}


def test_intermediate_data_is_released_after_its_last_consumer() -> None:
    pipe = Pipeline(
        [
            node(f.inc, "a", "x", name="make_x"),
            node(f.inc, "x", "y", name="first_use"),
            node(f.add, ["x", "y"], "z", name="last_use"),
            node(f.inc, "z", "out", name="after"),
        ]
    )
    probe = ExistenceProbe("x", "a")
    catalog = memory(a=0)
    assert run(pipe, catalog, hooks=[probe]) == {"out": 4}
    assert probe.seen["last_use"]["x"] is True
    assert probe.seen["after"] == {"x": False, "a": True}  # the run's own input is kept
    assert not catalog.exists("x")


def test_released_intermediates_do_not_affect_results(executor: str) -> None:
    pipe = Pipeline([node(f.inc, "a", "x"), node(f.add, ["x", "x"], "y"), node(f.inc, "x", "z")])
    assert run_on(executor, pipe, memory(a=1)) == {"y": 4, "z": 3}


# -- failures ------------------------------------------------------------------------------


def test_failure_names_the_node_and_chains_the_original_error(executor: str) -> None:
    pipe = Pipeline([node(f.inc, "a", "b", name="ok"), node(f.fail, "b", "c", name="broken")])
    with pytest.raises(RunnerError, match="Node 'broken' failed: Boom: cannot handle 2") as info:
        run_on(executor, pipe, memory(a=1))
    assert info.value.node_name == "broken"
    assert isinstance(info.value.__cause__, f.Boom)
    assert info.value.nodes_to_rerun == ("ok", "broken")  # 'b' lived in memory only
    assert "pipeline.from_nodes('ok')" in str(info.value)


def test_process_failure_carries_the_worker_traceback() -> None:
    pipe = Pipeline([node(f.fail, "a", "b", name="broken")])
    with pytest.raises(RunnerError) as info:
        run(pipe, memory(a=1), executor="process")
    remote = info.value.remote_traceback
    assert remote is not None
    assert 'raise Boom(f"cannot handle {x}")' in remote
    assert isinstance(info.value.__cause__, f.Boom)
    assert isinstance(info.value.__cause__.__cause__, RemoteTraceback)


def test_rerun_suggestion_skips_persisted_inputs(executor: str) -> None:
    class Stored(MemoryDataset):
        persistent = True

    pipe = Pipeline(
        [
            node(f.inc, "a", "b", name="first"),
            node(f.inc, "b", "c", name="second"),
            node(f.fail, "c", "d", name="broken"),
        ]
    )
    catalog = DataCatalog({"a": MemoryDataset(0), "c": Stored()})
    with pytest.raises(RunnerError) as info:
        run_on(executor, pipe, catalog)
    assert info.value.nodes_to_rerun == ("broken",)
    assert "pipeline.from_nodes('broken')" in str(info.value)


def test_no_node_starts_after_a_failure() -> None:
    recorder = Recorder()
    pipe = Pipeline(
        [
            node(f.fail, "a", "b", name="a_broken"),
            node(f.inc, "a", "c", name="b_independent"),
            node(f.inc, "c", "d", name="c_downstream"),
        ]
    )
    with pytest.raises(RunnerError) as info:
        run(pipe, memory(a=0), hooks=[recorder])
    assert recorder.started == ["a_broken"]
    assert info.value.nodes_to_rerun == ("a_broken", "b_independent", "c_downstream")


class ReleaseOnError:
    """Sets an event when a node fails, letting a blocked node finish afterwards."""

    def __init__(self, event: Any) -> None:
        self.event = event

    @hook_impl
    def on_node_error(self) -> None:
        self.event.set()


@pytest.mark.parametrize("parallel", ["thread", "process"])
def test_running_nodes_finish_after_a_failure(parallel: str, manager: SyncManager) -> None:
    event = threading.Event() if parallel == "thread" else manager.Event()
    recorder = Recorder()
    pipe = Pipeline(
        [
            node(f.wait_for, ["event", "a"], "slow_out", name="a_slow"),
            node(f.fail, "a", "b", name="b_broken"),
            node(f.inc, "a", "c", name="c_queued"),
        ]
    )
    catalog = DataCatalog({"event": MemoryDataset(event), "a": MemoryDataset(1)})
    catalog.add("slow_out", MemoryDataset())
    with pytest.raises(RunnerError, match="'b_broken'"):
        run(pipe, catalog, executor=parallel, workers=2, hooks=[recorder, ReleaseOnError(event)])
    assert catalog.load("slow_out") == 1  # the running node finished and was saved
    assert "c_queued" not in recorder.started


def test_several_failures_are_all_reported() -> None:
    barrier = threading.Barrier(2)
    pipe = Pipeline(
        [
            node(f.meet_then_fail, ["barrier", "a"], "x", name="fail_x"),
            node(f.meet_then_fail, ["barrier", "a"], "y", name="fail_y"),
        ]
    )
    with pytest.raises(RunnerError, match=r"1 other node\(s\) failed too: 'fail_[xy]'") as info:
        run(pipe, memory(barrier=barrier, a=1), executor="thread", workers=2)
    assert info.value.node_name in {"fail_x", "fail_y"}
    assert set(info.value.nodes_to_rerun) == {"fail_x", "fail_y"}


@pytest.mark.parametrize(
    ("func", "outputs", "message"),
    [
        (f.returns_none, "b", "Node 'n' returned None for its output 'b'"),
        (f.wrong_length, ["b", "c"], "must return a list or tuple of 2 values"),
        (f.inc, ["b", "c"], "returned a int"),
        (
            f.wrong_keys,
            {"quotient": "b", "remainder": "c"},
            "missing 'remainder'; unexpected 'extra'",
        ),
        (f.inc, {"quotient": "b"}, "must return a dict with keys 'quotient'"),
    ],
)
def test_results_of_the_wrong_shape_are_rejected(
    executor: str, func: Any, outputs: Any, message: str
) -> None:
    pipe = Pipeline([node(func, "a", outputs, name="n")])
    with pytest.raises(RunnerError, match=message) as info:
        run_on(executor, pipe, memory(a=1))
    assert info.value.node_name == "n"


# -- checks before running -----------------------------------------------------------------


def test_missing_inputs_are_all_reported_before_anything_runs(executor: str) -> None:
    recorder = Recorder()
    pipe = Pipeline([node(f.add, ["alpha", "beta"], "c"), node(f.inc, "params:gama", "d")])
    catalog = DataCatalog({"alpah": MemoryDataset(1)}, parameters={"gamma": 1})
    with pytest.raises(RunnerError) as info:
        run_on(executor, pipe, catalog, hooks=[recorder])
    message = str(info.value)
    assert "3 problems" in message
    assert "input 'alpha' (needed by 'add__c')" in message
    assert "Did you mean 'alpah'?" in message
    assert "input 'beta'" in message
    assert "input 'params:gama'" in message
    assert recorder.started == []


def test_a_memory_input_without_data_is_reported() -> None:
    catalog = DataCatalog({"d0": MemoryDataset()})
    with pytest.raises(RunnerError, match="input 'd0' is a MemoryDataset with no data"):
        run(chain(1), catalog)


def test_unknown_executor_suggests_the_closest() -> None:
    with pytest.raises(
        RunnerError, match=re.escape("Unknown executor 'threads'. Did you mean 'thread'?")
    ):
        run(chain(1), memory(d0=0), executor="threads")


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_invalid_worker_counts_are_rejected(workers: Any) -> None:
    with pytest.raises(RunnerError, match="workers must be a whole number"):
        run(chain(1), memory(d0=0), executor="thread", workers=workers)


def test_sequential_executor_rejects_workers() -> None:
    with pytest.raises(RunnerError, match="runs one node at a time; got workers=4"):
        run(chain(1), memory(d0=0), workers=4)


def test_run_needs_a_pipeline() -> None:
    with pytest.raises(TypeError, match="run\\(\\) needs a Pipeline, got list"):
        run([node(f.inc, "a", "b")])  # type: ignore[arg-type]


# -- the process executor's own checks -----------------------------------------------------


def test_unpicklable_functions_are_reported_before_anything_runs() -> None:
    recorder = Recorder()

    def local(x: int) -> int:
        return x

    pipe = Pipeline(
        [node(local, "a", "b", name="local_fn"), node(lambda x: x, "b", "c", name="lam")]
    )
    with pytest.raises(RunnerError) as info:
        run(pipe, memory(a=1), executor="process", hooks=[recorder])
    message = str(info.value)
    assert "node 'local_fn' cannot be sent to a worker process" in message
    assert "node 'lam' cannot be sent to a worker process" in message
    assert "Define it at module level" in message
    assert recorder.started == []


def test_unpicklable_result_names_the_node() -> None:
    pipe = Pipeline(
        [node(f.make_lock, "a", "lock", name="maker"), node(f.pid, "lock", "p", name="user")]
    )
    with pytest.raises(RunnerError, match="cannot be sent") as info:
        run(pipe, memory(a=1), executor="process")
    assert info.value.node_name == "maker"
    assert "result cannot be sent back" in str(info.value)


def test_unpicklable_input_value_is_named() -> None:
    pipe = Pipeline([node(f.pid, "lock", "p", name="user")])
    with pytest.raises(RunnerError, match="input 'lock' cannot be pickled") as info:
        run(pipe, memory(lock=threading.Lock()), executor="process")
    assert info.value.node_name == "user"


def test_unpicklable_exception_is_reported_by_its_text() -> None:
    pipe = Pipeline([node(f.fail_unpicklably, "a", "b", name="weird")])
    with pytest.raises(RunnerError, match="UnpicklableError: holds a lock"):
        run(pipe, memory(a=1), executor="process")


def test_a_killed_worker_is_reported() -> None:
    pipe = Pipeline([node(f.die, "a", "b", name="victim")])
    with pytest.raises(RunnerError, match="worker process running node 'victim' died"):
        run(pipe, memory(a=1), executor="process", workers=1)


# -- generator nodes -----------------------------------------------------------------------


def test_generator_output_to_memory_is_refused_before_running(executor: str) -> None:
    pipe = Pipeline([node(f.chunks, "params:n", "parts", name="gen")])
    with pytest.raises(RunnerError, match="node 'gen' yields chunks, but its output 'parts'"):
        run_on(executor, pipe, DataCatalog(parameters={"n": 3}))


def test_generator_chunks_are_saved_in_order(executor: str) -> None:
    sink = f.ChunkList()
    catalog = DataCatalog({"parts": sink}, parameters={"n": 4})
    run_on(executor, Pipeline([node(f.chunks, "params:n", "parts")]), catalog)
    assert sink.chunks == [0, 1, 2, 3]


class FailingBeforeRun:
    """Fails in before_pipeline_run and records the pipeline error hook."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []

    @hook_impl
    def before_pipeline_run(self) -> None:
        raise RuntimeError("hook refused")

    @hook_impl
    def on_pipeline_error(self, error: BaseException) -> None:
        self.errors.append(error)


def test_a_failing_before_pipeline_run_hook_fires_the_error_hook() -> None:
    hooks = FailingBeforeRun()
    with pytest.raises(RuntimeError, match="hook refused"):
        run(chain(1), memory(d0=0), hooks=[hooks])
    assert [str(e) for e in hooks.errors] == ["hook refused"]


def test_a_catalog_serves_several_runs_unchanged(executor: str) -> None:
    catalog = memory(d0=0)
    assert run_on(executor, chain(3), catalog) == {"d3": 3}
    assert run_on(executor, chain(3), catalog) == {"d3": 3}
    assert catalog.list() == ["d0"]


def test_a_persistent_catch_all_stores_intermediates_and_feeds_later_slices(
    tmp_path: Any,
) -> None:
    config = {"{name}": {"type": "json.JSONDataset", "filepath": f"{tmp_path}/{{name}}.json"}}
    pipe = Pipeline([node(f.inc, "a", "b", name="first"), node(f.inc, "b", "c", name="second")])

    def catalog() -> DataCatalog:
        built = DataCatalog.from_config(config)
        built.add("a", MemoryDataset(1))
        return built

    assert run(pipe, catalog()) == {}  # stored by the catch-all, not returned from memory
    assert (tmp_path / "c.json").read_text() == "3"
    assert run(pipe.from_nodes("second"), catalog()) == {}  # 'b' exists on disk
    with pytest.raises(RunnerError, match="input 'x'"):
        run(Pipeline([node(f.inc, "x", "y")]), catalog())
