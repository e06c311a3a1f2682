"""Hook specifications: what plugins can observe and change in the run lifecycle.

An implementation takes any subset of a spec's arguments, by name. All hooks fire in the
process that runs the scheduler, whatever the executor: with the process executor, node
hooks fire in the main process around the worker's call, so a hook's state stays visible to
the code that registered it.
"""

from __future__ import annotations

from typing import Any, TypedDict

from datamill.hooks._markers import hook_spec
from datamill.io import DataCatalog
from datamill.pipeline import Node, Pipeline

__all__ = ["CatalogSpecs", "DatasetSpecs", "NodeSpecs", "PipelineSpecs", "RunParams"]


class RunParams(TypedDict):
    """What a pipeline hook learns about the run."""

    run_id: str
    executor: str
    workers: int
    node_count: int


class CatalogSpecs:
    """Hooks about the data catalog."""

    @hook_spec
    def after_catalog_created(self, catalog: DataCatalog) -> None:
        """Called once the catalog a run will use is ready."""


class PipelineSpecs:
    """Hooks around a whole pipeline run."""

    @hook_spec
    def before_pipeline_run(
        self, run_params: RunParams, pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        """Called before the first node runs."""

    @hook_spec
    def after_pipeline_run(
        self,
        run_params: RunParams,
        outputs: dict[str, Any],
        pipeline: Pipeline,
        catalog: DataCatalog,
    ) -> None:
        """Called after every node has run; ``outputs`` are the free outputs returned."""

    @hook_spec
    def on_pipeline_error(
        self,
        error: BaseException,
        run_params: RunParams,
        pipeline: Pipeline,
        catalog: DataCatalog,
    ) -> None:
        """Called when the run fails, before the error propagates."""


class NodeSpecs:
    """Hooks around each node."""

    @hook_spec
    def before_node_run(
        self, node: Node, inputs: dict[str, Any], catalog: DataCatalog, run_id: str
    ) -> dict[str, Any] | None:
        """Called with the loaded inputs before the node's function runs.

        Returns:
            Optionally, a mapping of input dataset names to values that replace the loaded
            ones for this call.
        """

    @hook_spec
    def after_node_run(
        self,
        node: Node,
        inputs: dict[str, Any],
        outputs: dict[str, Any],
        catalog: DataCatalog,
        run_id: str,
    ) -> None:
        """Called after the function returned, before its outputs are saved.

        For a generator node, called once the last chunk has been produced, with an empty
        ``outputs`` (the chunks were saved as they came).
        """

    @hook_spec
    def on_node_error(
        self,
        error: BaseException,
        node: Node,
        inputs: dict[str, Any],
        catalog: DataCatalog,
        run_id: str,
    ) -> None:
        """Called when the node's function (or its input or output handling) raised."""

    @hook_spec
    def after_node_skipped(
        self, node: Node, reason: str, catalog: DataCatalog, run_id: str
    ) -> None:
        """Called when a node that was to run is skipped during the run instead: with early
        cutoff, once the inputs it would have run for came out unchanged (``reason`` says
        so). Nodes skipped when the run was planned are not announced: they are not in
        ``run_params["node_count"]``, and the journal records them."""


class DatasetSpecs:
    """Hooks around each dataset load and save made by a run."""

    @hook_spec
    def before_dataset_loaded(self, dataset_name: str, node: Node) -> None:
        """Called before ``dataset_name`` is loaded as an input of ``node``."""

    @hook_spec
    def after_dataset_loaded(self, dataset_name: str, data: Any, node: Node) -> None:
        """Called after ``dataset_name`` was loaded as an input of ``node``."""

    @hook_spec
    def before_dataset_saved(self, dataset_name: str, data: Any, node: Node) -> None:
        """Called before an output of ``node`` is saved to ``dataset_name``."""

    @hook_spec
    def after_dataset_saved(self, dataset_name: str, data: Any, node: Node) -> None:
        """Called after an output of ``node`` was saved to ``dataset_name``."""


ALL_SPECS = (CatalogSpecs, PipelineSpecs, NodeSpecs, DatasetSpecs)
