"""Options shared by the commands: name lists, ``--params``, ``--load-versions``, ``--config``.

``--params`` values are typed the way ``parameters.yml`` types them: each value is read as
YAML (``1`` is an int, ``0.5`` a float, ``true`` a bool, ``null`` None, ``[1, 2]`` a list,
``"a,b"`` a string holding a comma). Pairs are split on the commas that are outside quotes
and brackets, so lists and quoted strings may contain commas.

A ``--config`` file holds the same options as YAML (``tags: [a, b]``,
``params: {model.alpha: 1}``); options given on the command line win, and parameters and
load versions are merged key by key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Final, TypeVar

import click

from datamill._text import did_you_mean, quoted
from datamill.errors import ConfigError

__all__ = [
    "RunOptions",
    "collect_run_options",
    "conf_source_option",
    "env_option",
    "merge_options",
    "parse_load_versions",
    "parse_params",
    "read_run_config",
    "run_options",
    "split_names",
]

F = TypeVar("F", bound=Callable[..., Any])

_PARAMS_FORM: Final = (
    "expected key=value pairs separated by commas, e.g. "
    '--params model.alpha=0.1,name="a,b",layers=[1,2]'
)
_VERSIONS_FORM: Final = (
    "expected dataset=version pairs separated by commas, e.g. "
    "--load-versions model=2026-01-02T10.15.00.000000Z"
)
_CLOSERS: Final = {"[": "]", "{": "}", "(": ")"}


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Everything ``datamill run`` is asked to do, from the command line and ``--config``.

    ``None`` means "not given": the session's default applies. Names are tuples.
    """

    pipeline: str | None = None
    nodes: tuple[str, ...] | None = None
    from_nodes: tuple[str, ...] | None = None
    to_nodes: tuple[str, ...] | None = None
    from_inputs: tuple[str, ...] | None = None
    to_outputs: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None
    namespaces: tuple[str, ...] | None = None
    executor: str | None = None
    workers: int | None = None
    env: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    load_versions: dict[str, str] = field(default_factory=dict)
    conf_source: Path | None = None

    def session_arguments(self) -> dict[str, Any]:
        """The keyword arguments of `Session.run` and `Session.check` these options give."""
        return {
            "node_names": self.nodes,
            "from_nodes": self.from_nodes,
            "to_nodes": self.to_nodes,
            "from_inputs": self.from_inputs,
            "to_outputs": self.to_outputs,
            "tags": self.tags,
            "namespaces": self.namespaces,
            "executor": self.executor,
            "workers": self.workers,
            "load_versions": self.load_versions or None,
        }


_LIST_KEYS: Final = frozenset(
    {"nodes", "from_nodes", "to_nodes", "from_inputs", "to_outputs", "tags", "namespaces"}
)
_STRING_KEYS: Final = frozenset({"pipeline", "executor", "env"})
RUN_CONFIG_KEYS: Final = tuple(f.name for f in fields(RunOptions))


# -- click options shared by several commands ---------------------------------------------------


def run_options(func: F) -> F:
    """Every option of ``datamill run`` that says what to run and how (shared by ``check``).

    The command receives them as keyword arguments; `collect_run_options` turns them into
    a `RunOptions`.
    """
    decorators = [
        click.option("-p", "--pipeline", default=None, help="Pipeline (default: __default__)."),
        click.option("-n", "--nodes", multiple=True, help="Only these nodes (comma-separated)."),
        click.option("--from-nodes", multiple=True, help="These nodes and everything downstream."),
        click.option("--to-nodes", multiple=True, help="These nodes and everything upstream."),
        click.option("--from-inputs", multiple=True, help="The nodes depending on these datasets."),
        click.option("--to-outputs", multiple=True, help="The nodes needed for these datasets."),
        click.option("-t", "--tags", multiple=True, help="The nodes with any of these tags."),
        click.option("--namespaces", multiple=True, help="The nodes in any of these namespaces."),
        click.option(
            "--executor", default=None, help="sequential, thread or process (default: settings)."
        ),
        click.option(
            "-w", "--workers", type=click.IntRange(min=1), default=None, help="Parallelism."
        ),
        env_option,
        click.option(
            "--params", multiple=True, help="Parameter overrides: key=value,... (YAML values)."
        ),
        click.option(
            "--load-versions", multiple=True, help="Versions to load: dataset=version,..."
        ),
        click.option(
            "-c",
            "--config",
            "config_file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            default=None,
            help="YAML file of run options; command-line options win.",
        ),
        conf_source_option,
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def collect_run_options(values: dict[str, Any]) -> RunOptions:
    """The `RunOptions` of a command decorated with `run_options`, ``--config`` merged in.

    Raises:
        ConfigError: A ``--params``, ``--load-versions`` or ``--config`` value is malformed.
    """
    conf_source = values["conf_source"]
    given = RunOptions(
        pipeline=values["pipeline"],
        nodes=split_names(values["nodes"]),
        from_nodes=split_names(values["from_nodes"]),
        to_nodes=split_names(values["to_nodes"]),
        from_inputs=split_names(values["from_inputs"]),
        to_outputs=split_names(values["to_outputs"]),
        tags=split_names(values["tags"]),
        namespaces=split_names(values["namespaces"]),
        executor=values["executor"],
        workers=values["workers"],
        env=values["env"],
        params=parse_params(values["params"]),
        load_versions=parse_load_versions(values["load_versions"]),
        conf_source=conf_source.resolve() if conf_source is not None else None,
    )
    config_file = values["config_file"]
    return given if config_file is None else merge_options(read_run_config(config_file), given)


def env_option(func: F) -> F:
    """The ``--env`` option: the configuration environment."""
    option = click.option(
        "-e",
        "--env",
        default=None,
        help="Configuration environment (default: the project's DEFAULT_ENV, 'local').",
    )
    return option(func)


def conf_source_option(func: F) -> F:
    """The ``--conf-source`` option: another configuration folder."""
    option = click.option(
        "--conf-source",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Configuration folder to use instead of the project's conf/.",
    )
    return option(func)


# -- values ----------------------------------------------------------------------------------


def split_names(values: Iterable[str]) -> tuple[str, ...] | None:
    """Names from repeated, comma-separated option values; ``None`` when none were given.

    Example:
        >>> split_names(["a,b", " c "])
        ('a', 'b', 'c')
    """
    names = tuple(name.strip() for value in values for name in value.split(","))
    names = tuple(name for name in names if name)
    return names or None


def parse_params(values: Iterable[str]) -> dict[str, Any]:
    """Parse ``--params`` values into typed values by dotted key (later pairs win).

    Raises:
        ConfigError: A pair is malformed or its value is not valid YAML; the error names it.

    Example:
        >>> parse_params(["model.alpha=0.5,tags=[a,b]", "debug=true"])
        {'model.alpha': 0.5, 'tags': ['a', 'b'], 'debug': True}
    """
    params: dict[str, Any] = {}
    for value in values:
        for pair in _split_top_level(value, "--params"):
            key, typed = _param(pair)
            params[key] = typed
    return params


def parse_load_versions(values: Iterable[str]) -> dict[str, str]:
    """Parse ``--load-versions`` values into versions by dataset name.

    Raises:
        ConfigError: A pair is malformed; the error names it.
    """
    versions: dict[str, str] = {}
    for value in values:
        for pair in (p.strip() for p in value.split(",")):
            if not pair:
                continue
            name, equals, version = (part.strip() for part in pair.partition("="))
            if not equals or not name or not version:
                raise ConfigError(f"Invalid --load-versions item {pair!r}: {_VERSIONS_FORM}.")
            versions[name] = version
    return versions


def _param(pair: str) -> tuple[str, Any]:
    key, equals, raw = pair.partition("=")
    key, raw = key.strip(), raw.strip()
    if not equals or not key:
        raise ConfigError(f"Invalid --params item {pair!r}: {_PARAMS_FORM}.", key=key or None)
    if any(not part or part.strip() != part for part in key.split(".")):
        raise ConfigError(
            f"Invalid --params key {key!r} in {pair!r}: a key is dotted names without blanks, "
            "e.g. model.alpha.",
            key=key,
        )
    if not raw:
        raise ConfigError(
            f"Invalid --params item {pair!r}: the value is empty. Write {key}=null for None "
            f'or {key}="" for an empty string.',
            key=key,
        )
    return key, _yaml_value(raw, pair, key)


def _yaml_value(raw: str, pair: str, key: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(
            f"Invalid --params value in {pair!r}: {problem}. Values are read as YAML; quote "
            f"a string that is not meant as YAML, e.g. {key}='{raw}'.",
            key=key,
        ) from exc


def _split_top_level(text: str, option: str) -> list[str]:
    """Split ``text`` on the commas outside quotes and brackets; drop empty pieces."""
    pieces: list[str] = []
    current: list[str] = []
    stack: list[str] = []
    quote: str | None = None
    for char in text:
        if quote is not None:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in _CLOSERS:
            stack.append(_CLOSERS[char])
        elif stack and char == stack[-1]:
            stack.pop()
        elif char == "," and not stack:
            pieces.append("".join(current))
            current = []
            continue
        current.append(char)
    if quote is not None or stack:
        missing = quote or stack[-1]
        raise ConfigError(f"Invalid {option} {text!r}: missing a closing {missing!r}.")
    pieces.append("".join(current))
    return [piece.strip() for piece in pieces if piece.strip()]


# -- the --config file ------------------------------------------------------------------------


def read_run_config(path: Path) -> RunOptions:
    """Read a ``--config`` YAML file of run options.

    Keys are the option names, with ``_`` or ``-`` (``from_nodes`` or ``from-nodes``). A
    relative ``conf_source`` is relative to the file's folder.

    Raises:
        ConfigError: The file cannot be read, is not a mapping, has an unknown key (with the
            closest known one) or a value of the wrong type.
    """
    data = _read_mapping(path)
    values: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = str(raw_key).replace("-", "_")
        if key not in RUN_CONFIG_KEYS:
            raise ConfigError(
                f"{path}: unknown run option {raw_key!r}.{did_you_mean(key, RUN_CONFIG_KEYS)} "
                f"Known options: {quoted(RUN_CONFIG_KEYS, limit=20)}.",
                path=str(path),
                key=str(raw_key),
            )
        values[key] = _config_value(path, key, value)
    if values.get("conf_source") is not None:
        values["conf_source"] = path.parent / values["conf_source"]
    return RunOptions(**values)


def merge_options(from_file: RunOptions, given: RunOptions) -> RunOptions:
    """Options from the command line (``given``) over those of a ``--config`` file.

    Parameters and load versions are merged key by key, the command line winning.
    """
    changes: dict[str, Any] = {
        name: getattr(given, name)
        for name in RUN_CONFIG_KEYS
        if getattr(given, name) is not None and name not in {"params", "load_versions"}
    }
    changes["params"] = {**from_file.params, **given.params}
    changes["load_versions"] = {**from_file.load_versions, **given.load_versions}
    return replace(from_file, **changes)


def _read_mapping(path: Path) -> dict[Any, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        message = f"Cannot read the run configuration {path}: {exc}"
        raise ConfigError(message, path=str(path)) from exc
    except yaml.YAMLError as exc:
        message = f"{path}: invalid YAML: {exc}".replace("\n", " ")
        raise ConfigError(message, path=str(path)) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: a run configuration must be a mapping of options (e.g. 'pipeline: "
            f"training'), found a {type(data).__name__}.",
            path=str(path),
        )
    return data


def _config_value(path: Path, key: str, value: Any) -> Any:
    if key in _LIST_KEYS:
        return _names_value(path, key, value)
    if key in _STRING_KEYS or key == "conf_source":
        return _expect(path, key, value, isinstance(value, str) and bool(value), "a string")
    if key == "workers":
        ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
        return _expect(path, key, value, ok, "a positive integer")
    if key == "params":
        return _params_value(path, value)
    return _versions_value(path, value)


def _names_value(path: Path, key: str, value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return split_names([value])
    ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    return split_names(_expect(path, key, value, ok, "a list of names or a comma-separated string"))


def _params_value(path: Path, value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return parse_params([value])
    mapping = _expect(path, "params", value, isinstance(value, dict), "a mapping of parameters")
    return {str(k): v for k, v in mapping.items()}


def _versions_value(path: Path, value: Any) -> dict[str, str]:
    if isinstance(value, str):
        return parse_load_versions([value])
    ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    mapping = _expect(path, "load_versions", value, ok, "a mapping of dataset names to versions")
    return {str(k): v for k, v in mapping.items()}


def _expect(path: Path, key: str, value: Any, ok: bool, expected: str) -> Any:
    if not ok:
        raise ConfigError(
            f"{path}: option {key!r} must be {expected}, got {value!r}.", path=str(path), key=key
        )
    return value
