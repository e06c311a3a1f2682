"""Nodes: a pure function bound to named datasets.

A :class:`Node` is a frozen value object. :func:`node` normalises the many ways of naming
inputs and outputs into one canonical form and checks them against the function's
signature, so every error about a node surfaces where the node is defined, not when it runs.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import types
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from datamill._text import quoted
from datamill.errors import PipelineError
from datamill.pipeline._retry import Retry

__all__ = ["PARAMETERS", "PARAMS_PREFIX", "Node", "NodeInputs", "NodeOutputs", "node"]

PARAMS_PREFIX = "params:"
"""Inputs named ``params:<dotted key>`` receive one parameter value."""

PARAMETERS = "parameters"
"""The input named ``parameters`` receives every parameter as one mapping."""

NodeInputs = str | Sequence[str] | Mapping[str, str] | None
NodeOutputs = str | Sequence[str] | Mapping[str, str] | None
OutputStyle = Literal["none", "single", "sequence", "mapping"]

_NAMESPACE_RE = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")
_TAG_RE = re.compile(r"^[A-Za-z0-9_\-.]+$")


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Node:
    """A function with named inputs and outputs; build one with :func:`node`.

    Nodes are immutable and compare by value: two nodes are equal when they wrap the same
    function with the same inputs, outputs, name, tags, namespace and retry policy.

    Attributes:
        func: The wrapped function.
        inputs: Names of the datasets the function receives, in binding order.
        outputs: Names of the datasets the function produces.
        name: Unique name, prefixed by the namespace (``"ns.train"``).
        tags: Labels used to select nodes.
        namespace: Dotted namespace, or ``None``.
        input_keywords: Argument names for keyword-bound inputs (aligned with ``inputs``), or
            ``None`` when inputs are passed positionally.
        output_style: How the function's return value maps onto ``outputs``.
        output_keys: Keys of the returned mapping (aligned with ``outputs``) for mapping style.
        is_generator: The function yields chunks instead of returning once.
        retry: How the function is retried when it raises, or ``None`` to follow the run's
            default (no retry unless the project sets one).
        partitionwise: The function is called once per partition of the first input, and
            each result is committed as one partition of the output (see :func:`node`).
    """

    func: Callable[..., Any]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    name: str
    tags: frozenset[str] = frozenset()
    namespace: str | None = None
    input_keywords: tuple[str, ...] | None = None
    output_style: OutputStyle = "single"
    output_keys: tuple[str, ...] | None = None
    is_generator: bool = False
    retry: Retry | None = None
    partitionwise: bool = False
    _hash: int = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash(self._key()))

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild through __init__ so the cached hash is recomputed in the new process.
        return (Node, tuple(getattr(self, f) for f in _FIELDS))

    def _key(self) -> tuple[object, ...]:
        return (
            _hashable(self.func),
            self.inputs,
            self.outputs,
            self.name,
            self.tags,
            self.namespace,
            self.input_keywords,
            self.output_style,
            self.output_keys,
            self.retry,
            self.partitionwise,
        )

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Node):
            return NotImplemented
        return self._hash == other._hash and self._key() == other._key()

    def __repr__(self) -> str:
        return f"Node({self.name!r}, inputs={list(self.inputs)}, outputs={list(self.outputs)})"

    @property
    def func_name(self) -> str:
        """The name of the wrapped function (``"<lambda>"`` for a lambda)."""
        return _callable_name(self.func)

    @property
    def parameters(self) -> tuple[str, ...]:
        """The inputs that are parameters (``params:...`` or ``parameters``)."""
        return tuple(i for i in self.inputs if is_parameter(i))

    def argument_names(self) -> tuple[str | None, ...]:
        """The name of the argument receiving each input (``None`` for ``*args`` or unknown)."""
        if self.input_keywords is not None:
            return self.input_keywords
        sig = _signature(self.func)
        positional = sig.positional if sig is not None else ()
        return tuple(
            positional[i] if i < len(positional) else None for i in range(len(self.inputs))
        )

    def bind(self, values: Sequence[Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Arrange input values (aligned with ``inputs``) as call arguments."""
        if self.input_keywords is None:
            return tuple(values), {}
        return (), dict(zip(self.input_keywords, values, strict=True))

    def with_changes(
        self,
        *,
        rename: Callable[[str], str] | None = None,
        namespace: str | None = None,
        tags: Iterable[str] = (),
    ) -> Node:
        """Return a copy with datasets renamed, a namespace prefixed and tags added."""
        new_ns = _join_namespace(namespace, self.namespace)
        name = self.name if namespace is None else f"{namespace}.{self.name}"
        inputs = self.inputs if rename is None else tuple(rename(i) for i in self.inputs)
        outputs = self.outputs if rename is None else tuple(rename(o) for o in self.outputs)
        problems = _check_names(inputs, outputs) if rename is not None else []
        if problems:
            raise PipelineError(
                f"Renaming the datasets of node {name!r} makes it invalid: " + " ".join(problems),
                problems=problems,
                node_names=[name],
            )
        return dataclasses.replace(
            self,
            inputs=inputs,
            outputs=outputs,
            name=name,
            tags=self.tags | _normalise_tags(tags),
            namespace=new_ns,
        )


_FIELDS = (
    "func",
    "inputs",
    "outputs",
    "name",
    "tags",
    "namespace",
    "input_keywords",
    "output_style",
    "output_keys",
    "is_generator",
    "retry",
    "partitionwise",
)


def _hashable(func: Callable[..., Any]) -> object:
    """The function itself, or its identity for callable objects that are not hashable."""
    try:
        hash(func)
    except TypeError:
        return ("unhashable callable", id(func))
    return func


def is_parameter(name: str) -> bool:
    """Tell whether a dataset name refers to parameters rather than data."""
    return name == PARAMETERS or name.startswith(PARAMS_PREFIX)


def node(
    func: Callable[..., Any],
    inputs: NodeInputs,
    outputs: NodeOutputs,
    *,
    name: str | None = None,
    tags: str | Iterable[str] = (),
    namespace: str | None = None,
    retry: Retry | int | None = None,
    partitionwise: bool = False,
) -> Node:
    """Wrap a function into a pipeline node.

    Args:
        func: A plain function. It receives its inputs and returns its outputs; it does no I/O.
        inputs: ``None``; a dataset name; a list of names passed positionally; or a dict
            mapping argument names to dataset names. ``"params:a.b"`` passes one parameter,
            ``"parameters"`` all of them.
        outputs: ``None``; a dataset name (the return value); a list of names (the function
            returns a sequence of that length); or a dict mapping keys of the returned
            mapping to dataset names.
        name: Node name; by default derived from the function and output names.
        tags: One tag or several, for selecting nodes.
        namespace: Dotted namespace; the node name is prefixed with it.
        retry: How to retry the function when it raises: a :class:`Retry`, or a number of
            retries (``retry=3`` is ``Retry(3)``: waits of 1, 2 and 4 seconds). ``None``
            follows the run's default (the project's ``RETRY`` setting, else no retry);
            ``0`` never retries, whatever the default.
        partitionwise: Call the function once per partition of the first input (a
            partitioned dataset, or a mapping of partition id to data), as
            ``func(partition_data, *other_inputs)``, and save each result as the partition of
            the same id of the single output, one at a time: memory holds one partition, and
            a crash loses at most the partition in flight. In a recorded run, a partition
            already committed from the same input partition, code, parameters and other
            inputs is not computed again (see "Long nodes: partition by partition" in
            ``docs/incremental.md``).

    Raises:
        PipelineError: The inputs do not fit the function's signature, a name is repeated,
            or a dataset is both an input and an output.
        TypeError: An argument has the wrong type.
        ValueError: ``retry`` is a negative number.

    Example:
        >>> def clean(raw, threshold):
        ...     return [x for x in raw if x > threshold]
        >>> node(clean, ["raw", "params:threshold"], "clean").inputs
        ('raw', 'params:threshold')
    """
    if not callable(func):
        raise TypeError(f"node() needs a callable as its first argument, got {func!r}.")
    in_names, keywords = _normalise_inputs(func, inputs)
    out_names, style, keys = _normalise_outputs(func, outputs)
    base_name = name if name is not None else _default_name(func, out_names)
    _validate_name(base_name)
    if namespace is not None:
        _validate_namespace(namespace)
    full_name = base_name if namespace is None else f"{namespace}.{base_name}"
    policy = _normalise_retry(retry, full_name)
    problems = _check_names(in_names, out_names) + _check_signature(func, in_names, keywords)
    if partitionwise:
        problems += _check_partitionwise(func, in_names, style)
    if problems:
        raise PipelineError(
            f"Invalid node {full_name!r} ({_callable_name(func)}): " + " ".join(problems),
            problems=problems,
            node_names=[full_name],
        )
    return Node(
        func=func,
        inputs=in_names,
        outputs=out_names,
        name=full_name,
        tags=_normalise_tags(tags),
        namespace=namespace,
        input_keywords=keywords,
        output_style=style,
        output_keys=keys,
        is_generator=_is_generator(func),
        retry=policy,
        partitionwise=partitionwise,
    )


def _check_partitionwise(
    func: Callable[..., Any], inputs: tuple[str, ...], style: OutputStyle
) -> list[str]:
    problems = []
    if not inputs or is_parameter(inputs[0]):
        problems.append(
            "A partitionwise node needs a partitioned dataset as its first input "
            f"(got {quoted(inputs[:1]) if inputs else 'no input'})."
        )
    if style != "single":
        problems.append(
            "A partitionwise node writes one partitioned output: give outputs as one name."
        )
    if _is_generator(func):
        problems.append(
            "A partitionwise node's function returns one partition's result; it must not "
            "yield (the runner does the yielding, partition by partition)."
        )
    return problems


def _normalise_retry(retry: Retry | int | None, node_name: str) -> Retry | None:
    if retry is None or isinstance(retry, Retry):
        return retry
    if not isinstance(retry, int) or isinstance(retry, bool):
        raise TypeError(
            f"retry of node {node_name!r} must be a number of retries or a Retry(...), "
            f"got {retry!r}."
        )
    if retry < 0:
        raise ValueError(
            f"retry of node {node_name!r} must be 0 or more (the retries after a failure), "
            f"got {retry}. Use retry=0 or leave it out for no retry."
        )
    return Retry(retry)


def _normalise_inputs(
    func: Callable[..., Any], inputs: NodeInputs
) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    if inputs is None:
        return (), None
    if isinstance(inputs, str):
        return (_dataset_name(inputs, func, "input"),), None
    if isinstance(inputs, Mapping):
        keywords = tuple(inputs.keys())
        for key in keywords:
            if not isinstance(key, str):
                raise TypeError(f"Input argument names must be strings, got {key!r}.")
        return tuple(_dataset_name(v, func, "input") for v in inputs.values()), keywords
    if isinstance(inputs, Sequence):
        return tuple(_dataset_name(v, func, "input") for v in inputs), None
    raise TypeError(
        f"Inputs of node for {_callable_name(func)} must be None, a name, a list or a dict, "
        f"got {type(inputs).__name__}."
    )


def _normalise_outputs(
    func: Callable[..., Any], outputs: NodeOutputs
) -> tuple[tuple[str, ...], OutputStyle, tuple[str, ...] | None]:
    if outputs is None:
        return (), "none", None
    if isinstance(outputs, str):
        return (_dataset_name(outputs, func, "output"),), "single", None
    if isinstance(outputs, Mapping):
        keys = tuple(outputs)
        for key in keys:
            if not isinstance(key, str):
                raise TypeError(f"Output keys must be strings, got {key!r}.")
        names = tuple(_dataset_name(v, func, "output") for v in outputs.values())
        return names, "mapping", keys
    if isinstance(outputs, Sequence):
        return tuple(_dataset_name(v, func, "output") for v in outputs), "sequence", None
    raise TypeError(
        f"Outputs of node for {_callable_name(func)} must be None, a name, a list or a dict, "
        f"got {type(outputs).__name__}."
    )


def _dataset_name(value: object, func: Callable[..., Any], role: str) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(
            f"Each {role} of the node for {_callable_name(func)} must be a non-empty dataset "
            f"name, got {value!r}."
        )
    return value


def _check_names(inputs: tuple[str, ...], outputs: tuple[str, ...]) -> list[str]:
    problems = []
    unique_outputs = set(outputs)
    if len(unique_outputs) != len(outputs):
        duplicated = [name for name, count in Counter(outputs).items() if count > 1]
        problems.append(f"Output {quoted(duplicated)} is listed more than once.")
    overlap = (
        [o for o in dict.fromkeys(outputs) if o in inputs] if unique_outputs & set(inputs) else []
    )
    if overlap:
        problems.append(
            f"Dataset {quoted(overlap)} is both an input and an output; a node cannot "
            "overwrite its own input. Give the output a new name."
        )
    params_out = [o for o in outputs if is_parameter(o)]
    if params_out:
        problems.append(
            f"Output {quoted(params_out)} is a parameter name; parameters come from "
            "configuration and cannot be produced by a node."
        )
    return problems


@dataclass(frozen=True, slots=True)
class _Signature:
    positional: tuple[str, ...]  # positional-or-keyword and positional-only, in order
    positional_only: int  # how many of `positional` are positional-only
    required: frozenset[str]
    keyword_only: tuple[str, ...]
    var_args: bool
    var_kwargs: bool


def _check_signature(
    func: Callable[..., Any], inputs: tuple[str, ...], keywords: tuple[str, ...] | None
) -> list[str]:
    sig = _signature(func)
    if sig is None:  # some builtins have no introspectable signature: trust the user
        return []
    if keywords is None:
        return _check_positional(sig, inputs)
    return _check_keywords(sig, keywords)


def _check_positional(sig: _Signature, inputs: tuple[str, ...]) -> list[str]:
    problems = []
    if len(inputs) > len(sig.positional) and not sig.var_args:
        extra = inputs[len(sig.positional) :]
        problems.append(
            f"The function takes {len(sig.positional)} positional argument(s) but "
            f"{len(inputs)} inputs are given; extra: {quoted(extra)}."
        )
    missing = [p for p in sig.positional[len(inputs) :] if p in sig.required]
    missing += [k for k in sig.keyword_only if k in sig.required]
    if missing:
        problems.append(
            f"Argument {quoted(missing)} has no input and no default; add it to the inputs."
        )
    return problems


def _check_keywords(sig: _Signature, keywords: tuple[str, ...]) -> list[str]:
    problems = []
    accepted = set(sig.positional[sig.positional_only :]) | set(sig.keyword_only)
    positional_only = set(sig.positional[: sig.positional_only])
    unknown = [k for k in keywords if k not in accepted and not sig.var_kwargs]
    if unknown:
        problems.append(
            f"Argument {quoted(unknown)} is not a parameter of the function "
            f"(it accepts {quoted(sorted(accepted))})."
        )
    pos_only = [k for k in keywords if k in positional_only]
    if pos_only:
        problems.append(f"Argument {quoted(pos_only)} is positional-only; pass inputs as a list.")
    missing = [p for p in (*sig.positional, *sig.keyword_only) if p in sig.required]
    missing = [p for p in missing if p not in keywords]
    if missing:
        problems.append(
            f"Argument {quoted(missing)} has no input and no default; add it to the inputs."
        )
    return problems


def _signature(func: Callable[..., Any]) -> _Signature | None:
    if hasattr(func, "__wrapped__"):  # a decorated function: check the wrapped signature
        return _inspect_signature(func)
    target: Any = func
    skip = 0
    if isinstance(target, types.MethodType):
        target, skip = target.__func__, 1
    if isinstance(target, types.FunctionType):
        return _code_signature(target, skip)
    return _inspect_signature(func)


def _code_signature(func: types.FunctionType, skip: int) -> _Signature:
    # Reading the code object directly is ~30x faster than inspect.signature, which matters
    # when building pipelines of 10,000 nodes.
    code = func.__code__
    n_pos = code.co_argcount
    names = code.co_varnames
    positional = names[skip:n_pos]
    keyword_only = names[n_pos : n_pos + code.co_kwonlyargcount]
    n_defaults = len(func.__defaults__ or ())
    required = set(names[skip : n_pos - n_defaults])
    kwdefaults = func.__kwdefaults__ or {}
    required.update(k for k in keyword_only if k not in kwdefaults)
    return _Signature(
        positional=positional,
        positional_only=max(code.co_posonlyargcount - skip, 0),
        required=frozenset(required),
        keyword_only=keyword_only,
        var_args=bool(code.co_flags & inspect.CO_VARARGS),
        var_kwargs=bool(code.co_flags & inspect.CO_VARKEYWORDS),
    )


def _inspect_signature(func: Callable[..., Any]) -> _Signature | None:
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return None
    kind = inspect.Parameter
    positional = [p for p in params if p.kind in (kind.POSITIONAL_ONLY, kind.POSITIONAL_OR_KEYWORD)]
    return _Signature(
        positional=tuple(p.name for p in positional),
        positional_only=sum(p.kind is kind.POSITIONAL_ONLY for p in positional),
        required=frozenset(
            p.name
            for p in params
            if p.default is kind.empty and p.kind not in (kind.VAR_POSITIONAL, kind.VAR_KEYWORD)
        ),
        keyword_only=tuple(p.name for p in params if p.kind is kind.KEYWORD_ONLY),
        var_args=any(p.kind is kind.VAR_POSITIONAL for p in params),
        var_kwargs=any(p.kind is kind.VAR_KEYWORD for p in params),
    )


def _is_generator(func: Callable[..., Any]) -> bool:
    target: Any = func
    while isinstance(target, functools.partial):
        target = target.func
    if isinstance(target, types.MethodType):
        target = target.__func__
    if not isinstance(target, types.FunctionType | type):
        target = type(target).__call__  # a callable object: look at its __call__ method
    return inspect.isgeneratorfunction(inspect.unwrap(target))


def _callable_name(func: Callable[..., Any]) -> str:
    target: Any = func
    while isinstance(target, functools.partial):
        target = target.func
    name = getattr(target, "__name__", None) or type(target).__name__
    return str(name)


def _default_name(func: Callable[..., Any], outputs: tuple[str, ...]) -> str:
    base = _callable_name(func).strip("<>")
    return "__".join((base, *outputs))


def _validate_name(name: object) -> None:
    if not isinstance(name, str) or not name.strip():
        raise TypeError(f"A node name must be a non-empty string, got {name!r}.")


def _validate_namespace(namespace: object) -> None:
    if not isinstance(namespace, str) or not _NAMESPACE_RE.match(namespace):
        raise ValueError(
            f"Namespace {namespace!r} is invalid: use dot-separated words of letters, digits, "
            "'_' or '-' (e.g. 'training.candidate')."
        )


def _normalise_tags(tags: str | Iterable[str] | None) -> frozenset[str]:
    if tags is None:
        return frozenset()
    result = frozenset([tags] if isinstance(tags, str) else tags)
    for tag in result:
        if not isinstance(tag, str) or not _TAG_RE.match(tag):
            raise ValueError(
                f"Tag {tag!r} is invalid: use letters, digits, '_', '-' or '.' (no spaces)."
            )
    return result


def _join_namespace(outer: str | None, inner: str | None) -> str | None:
    if outer is None:
        return inner
    _validate_namespace(outer)
    return outer if inner is None else f"{outer}.{inner}"
