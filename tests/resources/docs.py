"""Helpers for testing what the documentation shows."""

from __future__ import annotations

import inspect
import itertools
import textwrap
from typing import Any

import yaml


def yaml_example(cls: type) -> dict[str, Any]:
    """The catalog entry shown under ``Example YAML::`` in a class's docstring."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    _, marker, rest = doc.partition("Example YAML::\n")
    assert marker, f"{cls.__qualname__} has no 'Example YAML::' block"
    block = itertools.takewhile(lambda line: not line or line[0] == " ", rest.splitlines())
    entries = yaml.safe_load(textwrap.dedent("\n".join(block)))
    assert isinstance(entries, dict)
    assert len(entries) == 1
    entry = next(iter(entries.values()))
    assert isinstance(entry, dict)
    return entry
