"""The pipeline layer: nodes, pipelines, slicing and modular reuse (standard library only)."""

from datamill.pipeline._graph import PipelineGraph
from datamill.pipeline._grouping import NodeGroup, group_by_namespace
from datamill.pipeline._modular import pipeline
from datamill.pipeline._node import PARAMETERS, PARAMS_PREFIX, Node, is_parameter, node
from datamill.pipeline._pipeline import Pipeline
from datamill.pipeline._retry import Retry

__all__ = [
    "PARAMETERS",
    "PARAMS_PREFIX",
    "Node",
    "NodeGroup",
    "Pipeline",
    "PipelineGraph",
    "Retry",
    "group_by_namespace",
    "is_parameter",
    "node",
    "pipeline",
]
