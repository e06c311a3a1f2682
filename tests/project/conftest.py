"""Throwaway datamill projects written into ``tmp_path``, and import-state isolation."""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from datamill.io import default_registry
from tests.resources.imports import forgetting_imports

PACKAGE = "millproj"

PYPROJECT = f"""\
[project]
name = "mill-demo"

[tool.datamill]
package_name = "{PACKAGE}"
"""

CATALOG = """\
raw:
  type: json.JSONDataset
  filepath: data/01_raw/raw.json
cleaned:
  type: json.JSONDataset
  filepath: data/02_intermediate/cleaned.json
report:
  type: json.JSONDataset
  filepath: data/08_reporting/report.json
  versioned: true
metrics:
  type: json.JSONDataset
  filepath: data/08_reporting/metrics.json
  versioned: true
"""

DATA_PROCESSING = """\
from datamill import Pipeline, node


def scale(raw, factor, offset):
    return [x * factor + offset for x in raw]


def total(cleaned):
    return sum(cleaned)


def create_pipeline(**kwargs):
    return Pipeline(
        [
            node(scale, ["raw", "params:factor", "params:offset"], "cleaned", name="scale",
                 tags="prep"),
            node(total, "cleaned", "total", name="total", tags="sum"),
        ]
    )
"""

REPORTING = """\
from datamill import Pipeline, node


def report(cleaned):
    return {"max": max(cleaned)}


def metrics(cleaned):
    return {"n": len(cleaned)}


def create_pipeline(**kwargs):
    return Pipeline(
        [
            node(report, "cleaned", "report", name="report", tags="report"),
            node(metrics, "cleaned", "metrics", name="metrics", tags="report"),
        ]
    )
"""

RECORDER = """\
from datamill import hook_impl


class Recorder:
    def __init__(self):
        self.events = []

    @hook_impl
    def after_catalog_created(self, catalog):
        self.events.append("catalog")

    @hook_impl
    def after_node_run(self, node):
        self.events.append(node.name)
"""


@dataclass(frozen=True)
class Project:
    """A project on disk; `write` adds or replaces one of its files."""

    root: Path

    @property
    def package_dir(self) -> Path:
        return self.root / "src" / PACKAGE

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        importlib.invalidate_caches()  # the import system caches folder listings
        return path

    def write_package(self, relative: str, text: str) -> Path:
        return self.write(f"src/{PACKAGE}/{relative}", text)

    def read_json(self, relative: str) -> object:
        return json.loads((self.root / relative).read_text(encoding="utf-8"))


def build_project(root: Path) -> Project:
    """Write a two-pipeline project (``data_processing``, ``reporting``) into ``root``."""
    project = Project(root)
    project.write("pyproject.toml", PYPROJECT)
    project.write("conf/base/catalog.yml", CATALOG)
    project.write("conf/base/parameters.yml", "factor: 2\noffset: 0\n")
    project.write("conf/local/parameters.yml", "offset: 100\n")
    project.write("conf/test/parameters.yml", "offset: 7\n")
    project.write("data/01_raw/raw.json", "[1, 2, 3]\n")
    project.write_package("__init__.py", "")
    project.write_package("hooks.py", RECORDER)
    project.write_package("pipelines/__init__.py", "")
    project.write_package("pipelines/data_processing/__init__.py", DATA_PROCESSING)
    project.write_package("pipelines/reporting/__init__.py", REPORTING)
    return project


def forget_project_modules() -> None:
    """Forget the project's imported modules, and the dataset types resolved from them, so
    that the next session imports its code afresh, as a new process would."""
    for name in [m for m in sys.modules if m.partition(".")[0] == PACKAGE]:
        del sys.modules[name]
    default_registry.clear()
    importlib.invalidate_caches()  # the import system caches folder listings


def json_catalog(names: str, folder: str = "data/02_intermediate") -> str:
    """Catalog entries of one JSON file per dataset, each named by a letter of ``names``,
    plus ``raw`` (``data/01_raw/raw.json``)."""
    entries = [(name, f"{folder}/{name}.json") for name in names]
    entries.append(("raw", "data/01_raw/raw.json"))
    return "".join(
        f"{name}:\n  type: json.JSONDataset\n  filepath: {path}\n" for name, path in entries
    )


@pytest.fixture(autouse=True)
def _isolated_imports() -> Iterator[None]:
    # Each test imports its own throwaway package under the same name: forget it afterwards,
    # with the sys.path entries the session added, so that no test sees another's modules.
    with forgetting_imports({PACKAGE, "millplugin_on", "millplugin_off"}):
        yield


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A fresh two-pipeline project in ``tmp_path/demo``."""
    return build_project(tmp_path / "demo")
