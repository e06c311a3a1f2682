"""A `RunContext` for driving one job by hand, without a run around it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from datamill import DataCatalog, Retry
from datamill.io import AbstractDataset
from datamill.runner._job import RunContext

Dataset = AbstractDataset[Any, Any]


def one_job_context(
    inputs: Mapping[str, Dataset],
    outputs: Mapping[str, Dataset],
    *,
    default_retry: Retry | None = None,
) -> RunContext:
    """The context of a run of one node (index 0) reading ``inputs`` and saving ``outputs``,
    with no hook and nothing to confirm."""
    return RunContext(
        catalog=DataCatalog({**inputs, **outputs}),
        run_id="run",
        hook=None,
        inputs=[tuple(inputs.items())],
        outputs=[tuple(outputs.values())],
        confirms=[()],
        typed=[{}],
        load_hooks=False,
        save_hooks=False,
        before_node_hooks=False,
        after_node_hooks=False,
        error_node_hooks=False,
        default_retry=default_retry,
    )
