"""Per-node retries, on every executor: attempts, backoff, exception filters, hooks, chunks.

No test sleeps: the policies wait 0 seconds, and the backoff is checked through a fake sleep.
"""

from __future__ import annotations

import logging
import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from datamill import DataCatalog, MemoryDataset, Node, Pipeline, Retry, hook_impl, node, run
from datamill.errors import RunnerError
from datamill.runner import Done, Executor, NodeJob, ProcessExecutor, _job, create_executor
from datamill.runner._job import RunContext
from tests.resources import retry_funcs as r
from tests.resources import runner_funcs as f
from tests.resources.datasets import FailingDataset
from tests.runner.contexts import one_job_context

EXECUTORS = ["sequential", "thread", "process"]
NOW = Retry(2, delay=0)  # two retries, no wait


@pytest.fixture(params=EXECUTORS)
def executor(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def counter(tmp_path: Path) -> str:
    return str(tmp_path / "calls")


class Recording:
    """An executor that keeps every job it reports as finished."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.name, self.workers, self.capacity = inner.name, inner.workers, inner.capacity
        self.done: list[Done] = []

    def problems(self, pipeline: Pipeline) -> list[str]:
        return self.inner.problems(pipeline)

    def start(self) -> None:
        self.inner.start()

    def submit(self, job: NodeJob, alone: bool) -> None:
        self.inner.submit(job, alone)

    def wait(self) -> list[Done]:
        finished = self.inner.wait()
        self.done.extend(finished)
        return finished

    def close(self) -> None:
        self.inner.close()

    def attempts(self) -> dict[str, int]:
        return {d.job.node.name: d.job.attempts for d in self.done}


def recording(executor: str) -> Recording:
    return Recording(create_executor(executor, None if executor == "sequential" else 2))


def flaky(counter: str, fails: int, retry: Retry | int | None = NOW, **kw: Any) -> Node:
    return node(r.Flaky(counter, fails, **kw), "x", "y", name="flaky", retry=retry)


def one_input() -> DataCatalog:
    return DataCatalog({"x": MemoryDataset(1)})


# -- retrying until success ----------------------------------------------------------------


def test_a_flaky_node_succeeds_on_its_third_attempt(executor: str, counter: str) -> None:
    chosen = recording(executor)

    assert run(Pipeline([flaky(counter, fails=2)]), one_input(), executor=chosen) == {"y": 2}
    assert r.calls(counter) == 3
    assert chosen.attempts() == {"flaky": 3}


def test_a_node_that_succeeds_at_once_makes_one_attempt(executor: str, counter: str) -> None:
    chosen = recording(executor)
    pipe = Pipeline([flaky(counter, fails=0), node(f.inc, "y", "z", name="after")])

    assert run(pipe, one_input(), executor=chosen) == {"z": 3}
    assert chosen.attempts() == {"flaky": 1, "after": 1}


def test_without_a_retry_policy_a_node_fails_at_once(executor: str, counter: str) -> None:
    with pytest.raises(RunnerError, match=r"^Node 'flaky' failed: ConnectionError: call 1 "):
        run(Pipeline([flaky(counter, fails=1, retry=None)]), one_input(), executor=executor)
    assert r.calls(counter) == 1


# -- giving up -----------------------------------------------------------------------------


def test_exhausted_retries_fail_with_the_last_error_and_the_attempt_count(
    executor: str, counter: str
) -> None:
    chosen = recording(executor)
    with pytest.raises(RunnerError) as info:
        run(Pipeline([flaky(counter, fails=5)]), one_input(), executor=chosen)

    assert str(info.value).startswith(
        "Node 'flaky' failed after 3 attempts: ConnectionError: call 3 failed\n"
    )
    cause = info.value.__cause__
    assert isinstance(cause, ConnectionError)
    assert str(cause) == "call 3 failed"
    assert cause.__notes__ == ["Node 'flaky' failed 3 attempts."]
    assert r.calls(counter) == 3
    assert chosen.attempts() == {"flaky": 3}
    assert info.value.nodes_to_rerun == ("flaky",)


def test_an_error_the_policy_does_not_name_is_not_retried(executor: str, counter: str) -> None:
    chosen = recording(executor)
    retry = Retry(3, delay=0, on=(ConnectionError, TimeoutError))
    pipe = Pipeline([flaky(counter, fails=1, retry=retry, error=KeyError)])

    with pytest.raises(RunnerError, match=r"^Node 'flaky' failed: KeyError: 'call 1 failed'"):
        run(pipe, one_input(), executor=chosen)
    assert r.calls(counter) == 1
    assert chosen.attempts() == {"flaky": 1}


def test_a_subclass_of_a_named_error_is_retried(executor: str, counter: str) -> None:
    retry = Retry(1, delay=0, on=OSError)
    pipe = Pipeline([flaky(counter, fails=1, retry=retry, error=ConnectionRefusedError)])

    assert run(pipe, one_input(), executor=executor) == {"y": 2}
    assert r.calls(counter) == 2


def test_retry_zero_never_retries(executor: str, counter: str) -> None:
    with pytest.raises(RunnerError, match=r"^Node 'flaky' failed: ConnectionError"):
        run(Pipeline([flaky(counter, fails=1, retry=0)]), one_input(), executor=executor)
    assert r.calls(counter) == 1


def test_errors_after_the_call_are_not_retried(executor: str) -> None:
    # The function returned None for its output: calling it again would not help.
    chosen = recording(executor)
    pipe = Pipeline([node(f.returns_none, "x", "y", name="none", retry=NOW)])

    with pytest.raises(RunnerError, match="returned None for its output 'y'"):
        run(pipe, one_input(), executor=chosen)
    assert chosen.attempts() == {"none": 1}


def test_a_node_failing_to_load_its_inputs_makes_no_attempt(executor: str) -> None:
    chosen = recording(executor)
    pipe = Pipeline([node(f.inc, "x", "y", name="inc", retry=NOW)])

    with pytest.raises(RunnerError, match=r"^Node 'inc' failed: DatasetError: "):
        run(pipe, DataCatalog({"x": FailingDataset(ConnectionError("gone"))}), executor=chosen)
    assert chosen.attempts() == {"inc": 0}


# -- hooks and data ------------------------------------------------------------------------


class Counting:
    """Counts the node and dataset hooks."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    @hook_impl
    def before_dataset_loaded(self, dataset_name: str) -> None:
        self.calls.append(f"load {dataset_name}")

    @hook_impl
    def before_node_run(self, node: Node) -> None:
        self.calls.append(f"before {node.name}")

    @hook_impl
    def after_node_run(self, node: Node) -> None:
        self.calls.append(f"after {node.name}")

    @hook_impl
    def on_node_error(self, node: Node, error: BaseException) -> None:
        self.calls.append(f"error {node.name}: {error}")

    @hook_impl
    def before_dataset_saved(self, dataset_name: str) -> None:
        self.calls.append(f"save {dataset_name}")


def test_inputs_load_once_and_node_hooks_fire_once(executor: str, counter: str) -> None:
    hooks = Counting()
    run(Pipeline([flaky(counter, fails=2)]), one_input(), executor=executor, hooks=[hooks])

    assert hooks.calls == ["load x", "before flaky", "after flaky", "save y"]


def test_the_error_hook_fires_once_after_the_last_attempt(executor: str, counter: str) -> None:
    hooks = Counting()
    with pytest.raises(RunnerError):
        run(Pipeline([flaky(counter, fails=9)]), one_input(), executor=executor, hooks=[hooks])

    assert hooks.calls == ["load x", "before flaky", "error flaky: call 3 failed"]


# -- generator nodes -----------------------------------------------------------------------


def chunk_catalog() -> tuple[DataCatalog, f.ChunkList]:
    sink = f.ChunkList()
    return DataCatalog({"parts": sink}, parameters={"n": 3}), sink


def test_a_generator_failing_before_its_first_chunk_is_retried(executor: str, counter: str) -> None:
    catalog, sink = chunk_catalog()
    chosen = recording(executor)
    pipe = Pipeline([node(r.FlakyChunks(counter, 2), "params:n", "parts", name="gen", retry=NOW)])

    run(pipe, catalog, executor=chosen)

    assert sink.chunks == [0, 1, 2]
    assert chosen.attempts() == {"gen": 3}


def test_a_generator_is_not_retried_once_a_chunk_was_saved(executor: str, counter: str) -> None:
    catalog, sink = chunk_catalog()
    chosen = recording(executor)
    pipe = Pipeline(
        [node(r.FailsAfterFirstChunk(counter), "params:n", "parts", name="gen", retry=NOW)]
    )

    with pytest.raises(RunnerError, match=r"^Node 'gen' failed: ConnectionError: call 1 lost"):
        run(pipe, catalog, executor=chosen)
    assert sink.chunks == [0]
    assert chosen.attempts() == {"gen": 1}


# -- waiting between attempts --------------------------------------------------------------


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []
    monkeypatch.setattr(_job, "_sleep", recorded.append)
    return recorded


@pytest.mark.parametrize("executor", ["sequential", "thread"])
def test_the_waits_grow_by_the_backoff_factor(
    executor: str, counter: str, waits: list[float]
) -> None:
    retry = Retry(3, delay=0.5, backoff=2.0)

    run(Pipeline([flaky(counter, fails=3, retry=retry)]), one_input(), executor=executor)

    assert waits == [0.5, 1.0, 2.0]


def test_no_wait_after_the_last_attempt(counter: str, waits: list[float]) -> None:
    with pytest.raises(RunnerError):
        run(Pipeline([flaky(counter, fails=9, retry=Retry(2, delay=3))]), one_input())
    assert waits == [3.0, 6.0]


def test_a_zero_delay_does_not_sleep(counter: str, waits: list[float]) -> None:
    run(Pipeline([flaky(counter, fails=2)]), one_input())
    assert waits == []


def test_each_retry_is_logged_as_a_warning(
    counter: str, waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="datamill.runner")

    run(Pipeline([flaky(counter, fails=2, retry=Retry(2, delay=2))]), one_input())

    assert [(rec.name, rec.levelno) for rec in caplog.records] == [
        ("datamill.runner", logging.WARNING)
    ] * 2
    assert caplog.messages == [
        "node flaky failed (attempt 1/3): ConnectionError: call 1 failed; retrying in 2.0s",
        "node flaky failed (attempt 2/3): ConnectionError: call 2 failed; retrying in 4.0s",
    ]


# -- the run's default policy --------------------------------------------------------------


def context(default_retry: Retry | None) -> RunContext:
    return one_job_context(
        {"x": MemoryDataset(1)}, {"y": MemoryDataset()}, default_retry=default_retry
    )


def test_the_default_policy_applies_to_nodes_without_their_own(counter: str) -> None:
    job = NodeJob(0, flaky(counter, fails=2, retry=None), context(NOW))

    assert job.retry == NOW
    assert job.run() is None
    assert job.attempts == 3


def test_a_node_s_own_policy_overrides_the_default(counter: str) -> None:
    job = NodeJob(0, flaky(counter, fails=2, retry=0), context(Retry(5, delay=0)))

    assert job.retry == Retry(0)
    assert isinstance(job.run(), ConnectionError)
    assert job.attempts == 1


def test_no_default_policy_means_no_retry(counter: str) -> None:
    job = NodeJob(0, flaky(counter, fails=1, retry=None), context(None))

    assert job.retry is None
    assert isinstance(job.run(), ConnectionError)
    assert job.attempts == 1


# -- the process executor ------------------------------------------------------------------


@pytest.mark.parametrize("method", multiprocessing.get_all_start_methods())
def test_workers_retry_whatever_their_start_method(method: str, counter: str) -> None:
    chosen = Recording(ProcessExecutor(1, start_method=method))

    assert run(Pipeline([flaky(counter, fails=2)]), one_input(), executor=chosen) == {"y": 2}
    assert chosen.attempts() == {"flaky": 3}


def test_a_policy_that_cannot_reach_a_worker_is_reported_before_running(counter: str) -> None:
    class LocalError(Exception):
        pass

    pipe = Pipeline([flaky(counter, fails=0, retry=Retry(1, on=LocalError))])

    with pytest.raises(
        RunnerError,
        match="node 'flaky' cannot be sent to a worker process: its retry policy cannot be pickled",
    ):
        run(pipe, one_input(), executor=ProcessExecutor(1))
    assert r.calls(counter) == 0
