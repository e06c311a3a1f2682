"""Modular reuse: copy a pipeline under a namespace, remapping its datasets and parameters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from datamill._text import did_you_mean
from datamill.errors import PipelineError
from datamill.pipeline._node import PARAMETERS, PARAMS_PREFIX, Node
from datamill.pipeline._pipeline import Pipeline

__all__ = ["pipeline"]

Remapping = str | Iterable[str] | Mapping[str, str] | None


def pipeline(
    pipe: Pipeline | Iterable[Node | Pipeline],
    *,
    namespace: str | None = None,
    inputs: Remapping = None,
    outputs: Remapping = None,
    parameters: Remapping = None,
    tags: str | Iterable[str] | None = None,
) -> Pipeline:
    """Return a copy of ``pipe`` for reuse, under a namespace and with datasets remapped.

    With a namespace, every node name and dataset gets the ``namespace.`` prefix and every
    parameter ``params:x`` becomes ``params:namespace.x``, except the datasets and parameters
    named in ``inputs``, ``outputs`` and ``parameters``: those keep their name (given as a
    name or a set) or take the new one (given as a ``{old: new}`` mapping).

    Args:
        pipe: The pipeline (or nodes) to copy.
        namespace: Dotted namespace to put the copy in.
        inputs: Free inputs of ``pipe`` to keep or rename.
        outputs: Outputs of ``pipe`` to keep or rename.
        parameters: Parameters to keep or rename, with or without the ``params:`` prefix.
            A name also maps the keys below it (``model`` maps ``params:model.alpha``).
        tags: Tags added to every node.

    Raises:
        PipelineError: A name to remap is not an input, output or parameter of ``pipe``.

    Example:
        >>> from datamill import node
        >>> base = Pipeline([node(len, "raw", "size")])
        >>> sorted(pipeline(base, namespace="a", inputs="raw").outputs())
        ['a.size']
    """
    pipe = pipe if isinstance(pipe, Pipeline) else Pipeline(pipe)
    input_map = _as_mapping(inputs)
    output_map = _as_mapping(outputs)
    param_map = {_strip_params(k): _strip_params(v) for k, v in _as_mapping(parameters).items()}
    _validate_remapping(pipe, input_map, output_map, param_map)
    data_map = {**input_map, **output_map}

    def rename(name: str) -> str:
        if name in data_map:
            return data_map[name]
        if name == PARAMETERS:
            return name
        if name.startswith(PARAMS_PREFIX):
            return PARAMS_PREFIX + _rename_param(name[len(PARAMS_PREFIX) :], param_map, namespace)
        return name if namespace is None else f"{namespace}.{name}"

    extra_tags = () if tags is None else ([tags] if isinstance(tags, str) else list(tags))
    return Pipeline(
        [n.with_changes(rename=rename, namespace=namespace, tags=extra_tags) for n in pipe.nodes]
    )


def _rename_param(key: str, param_map: Mapping[str, str], namespace: str | None) -> str:
    head = key
    while True:
        if head in param_map:
            return param_map[head] + key[len(head) :]
        if "." not in head:
            break
        head = head.rsplit(".", 1)[0]
    return key if namespace is None else f"{namespace}.{key}"


def _as_mapping(value: Remapping) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {value: value}
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    return {str(v): str(v) for v in value}


def _strip_params(name: str) -> str:
    return name[len(PARAMS_PREFIX) :] if name.startswith(PARAMS_PREFIX) else name


def _validate_remapping(
    pipe: Pipeline,
    input_map: Mapping[str, str],
    output_map: Mapping[str, str],
    param_map: Mapping[str, str],
) -> None:
    free_inputs = {d for d in pipe.inputs() if not d.startswith(PARAMS_PREFIX)}
    outputs = pipe.all_outputs()
    param_keys = {p[len(PARAMS_PREFIX) :] for p in pipe.parameters() if p != PARAMETERS}
    param_prefixes = {k.rsplit(".", i)[0] for k in param_keys for i in range(k.count(".") + 1)}
    problems = [
        *_unknown("input", input_map, free_inputs, "free inputs"),
        *_unknown("output", output_map, outputs, "outputs"),
        *_unknown("parameter", param_map, param_prefixes, "parameters"),
    ]
    if problems:
        raise PipelineError("Cannot remap the pipeline: " + " ".join(problems), problems=problems)


def _unknown(role: str, mapping: Mapping[str, str], known: set[str], what: str) -> list[str]:
    return [
        f"{role.capitalize()} {name!r} is not one of the pipeline's {what}."
        f"{did_you_mean(name, known)}"
        for name in mapping
        if name not in known
    ]
