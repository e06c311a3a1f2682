"""Plugin commands found without importing ``importlib.metadata``.

``datamill --help`` must list the commands that installed packages add through the
``datamill.commands`` entry-point group. ``importlib.metadata`` takes longer to import
(about 15 ms) than the rest of the help screen takes to print, so this module reads the
installed distributions' ``entry_points.txt`` files directly: one folder listing per
``sys.path`` entry and one small file per distribution that has entry points. As
``importlib.metadata`` does, the first distribution of a name on ``sys.path`` wins.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from dataclasses import dataclass
from typing import Final

__all__ = ["PluginEntryPoint", "find_entry_points"]

_METADATA_SUFFIXES: Final = (".dist-info", ".egg-info")
_SEPARATORS: Final = re.compile(r"[-_.]+")


@dataclass(frozen=True, slots=True)
class PluginEntryPoint:
    """One entry point: ``name = module.path:attribute [extras]``."""

    name: str
    value: str
    group: str

    def load(self) -> object:
        """Import the module and return the attribute the entry point names."""
        target = self.value.partition("[")[0].strip()
        module_name, _, attributes = target.partition(":")
        found: object = importlib.import_module(module_name.strip())
        for attribute in filter(None, attributes.strip().split(".")):
            found = getattr(found, attribute)
        return found


def find_entry_points(group: str) -> dict[str, PluginEntryPoint]:
    """The entry points of ``group`` in the installed distributions, by name."""
    found: dict[str, PluginEntryPoint] = {}
    seen: set[str] = set()
    for entry in sys.path:
        for folder in _metadata_folders(entry or "."):
            distribution = _distribution_name(folder)
            if distribution in seen:
                continue
            seen.add(distribution)
            for name, value in _read_group(os.path.join(entry or ".", folder), group):
                found.setdefault(name, PluginEntryPoint(name, value, group))
    return found


def _metadata_folders(path: str) -> list[str]:
    try:
        names = os.listdir(path)
    except OSError:  # missing folders, zip files, files
        return []
    return sorted(name for name in names if name.endswith(_METADATA_SUFFIXES))


def _distribution_name(folder: str) -> str:
    stem = folder.rsplit(".", 1)[0]
    return _SEPARATORS.sub("_", stem.partition("-")[0]).lower()


def _read_group(folder: str, group: str) -> list[tuple[str, str]]:
    try:
        with open(os.path.join(folder, "entry_points.txt"), encoding="utf-8") as file:
            text = file.read()
    except OSError:
        return []
    pairs = []
    inside = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            inside = line[1:].partition("]")[0].strip() == group
        elif inside and "=" in line:
            name, _, value = line.partition("=")
            pairs.append((name.strip(), value.strip()))
    return pairs
