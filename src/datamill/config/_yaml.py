"""Reading one YAML configuration file, with the line of every key.

A file is read once: PyYAML (with libyaml when available) composes the node tree, which
carries the position of every key; we walk it to record the 1-based line of each dotted key
path, then construct the plain Python data from the same tree. The line map powers
duplicate-key messages and ``ConfigLoader.explain``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from datamill.errors import ConfigError

KeyPath = tuple[str, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"

# libyaml's reader is several times faster than PyYAML's pure-Python one and gives the same
# nodes and positions; PyYAML built without libyaml falls back to the Python reader.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class YamlFile:
    """The content of one configuration file.

    Attributes:
        path: Where the file is.
        data: Its top-level mapping, as plain Python data (unresolved).
        lines: The 1-based line of every mapping key, by key path.
        has_interpolation: Whether the text contains ``${``, so needs resolving.
    """

    path: Path
    data: dict[str, Any]
    lines: dict[KeyPath, int]
    has_interpolation: bool


def read_yaml(path: Path) -> YamlFile:
    """Read and parse ``path``; raise `ConfigError` naming the file and line if malformed."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read configuration file {path}: {exc}", path=str(path)) from exc
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        lines: dict[KeyPath, int] = {}
        if node is not None:
            _record_lines(node, (), lines, path)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        raise _malformed(path, exc) from exc
    finally:
        loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: a configuration file must hold a mapping of keys at the top level, "
            f"found a {type(data).__name__}.",
            path=str(path),
            line=1,
        )
    return YamlFile(path, data, lines, "${" in text)


def _malformed(path: Path, exc: yaml.MarkedYAMLError) -> ConfigError:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    where = f"{path}:{line}" if line is not None else str(path)
    problem = exc.problem or exc.context or "invalid syntax"
    return ConfigError(
        f"{where}: invalid YAML ({problem}). Fix the syntax at that line.",
        path=str(path),
        line=line,
    )


def _record_lines(node: yaml.Node, prefix: KeyPath, out: dict[KeyPath, int], path: Path) -> None:
    if not isinstance(node, yaml.MappingNode):
        return
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
            continue
        key, line = str(key_node.value), key_node.start_mark.line + 1
        if key in seen:
            dotted = ".".join((*prefix, key))
            raise ConfigError(
                f"{path}: key {dotted!r} is defined twice in the same mapping, at lines "
                f"{seen[key]} and {line}. Remove one of them.",
                path=str(path),
                key=dotted,
                line=line,
            )
        seen[key] = line
        out[(*prefix, key)] = line
        _record_lines(value_node, (*prefix, key), out, path)
