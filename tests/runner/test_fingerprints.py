"""Code and parameter fingerprints: what changes them, what does not, and how changes read.

Each test writes a throwaway package into ``tmp_path``, imports it, fingerprints its
functions, rewrites a file and imports it afresh, as a developer editing a project would.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import importlib
import importlib.metadata
import json
import logging
import os
import pickle
import subprocess
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datamill.runner._fingerprint_values import MAX_PARTS, parameter_parts
from datamill.runner._fingerprints import (
    FORMAT,
    CodeFingerprint,
    CodeFingerprinter,
    describe_changes,
    parameter_fingerprints,
)
from datamill.runner._incremental import CodeIdentity, Decision, _changed_parameter
from tests.resources.imports import forgetting_imports

PACKAGE = "fpproj"


class Sources:
    """A throwaway package written into a folder; every load imports fresh copies."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / PACKAGE).mkdir(parents=True, exist_ok=True)
        self.write("__init__", "")

    def write(self, module: str, text: str) -> None:
        path = self.root / PACKAGE / f"{module}.py"
        path.write_text(textwrap.dedent(text), encoding="utf-8")

    def load(self, module: str) -> types.ModuleType:
        for name in [n for n in sys.modules if n.partition(".")[0] == PACKAGE]:
            del sys.modules[name]
        importlib.invalidate_caches()  # the import system caches folder listings
        return importlib.import_module(f"{PACKAGE}.{module}")

    def fingerprints(
        self, module: str, names: list[str], fingerprinter: CodeFingerprinter | None = None
    ) -> dict[str, CodeFingerprint]:
        loaded = self.load(module)
        fingerprinter = fingerprinter or CodeFingerprinter()
        return {name: fingerprinter.fingerprint(getattr(loaded, name)) for name in names}

    def fingerprint(self, module: str, name: str) -> CodeFingerprint:
        return self.fingerprints(module, [name])[name]


@pytest.fixture
def sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sources]:
    # A file rewritten within the same second must never be read back from a stale .pyc.
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    with forgetting_imports({PACKAGE}):
        sys.path.insert(0, str(tmp_path))
        yield Sources(tmp_path)


def changes(before: CodeFingerprint, after: CodeFingerprint) -> list[str]:
    return describe_changes(before.components, after.components)


# -- the function itself ---------------------------------------------------------------------

NODE = '''\
def clean(rows):
    """Drop the empty rows."""
    kept = [row for row in rows if row]  # keep what has content
    return kept
'''

LAYOUT_EDITS = {
    "comment": NODE.replace("# keep what has content", "# rows without content go"),
    "blank lines": NODE.replace("\n    return", "\n\n\n    return"),
    "moved down": "import os\n\n\ndef first():\n    return os.sep\n\n\n" + NODE,
    "docstring edited": NODE.replace("Drop the empty rows.", "Remove every row that is empty."),
    "docstring removed": NODE.replace('    """Drop the empty rows."""\n', ""),
}


def test_editing_the_body_changes_the_fingerprint(sources: Sources) -> None:
    sources.write("nodes", NODE)
    before = sources.fingerprint("nodes", "clean")
    sources.write("nodes", NODE.replace("if row]", "if row is not None]"))
    after = sources.fingerprint("nodes", "clean")

    assert after.digest != before.digest
    assert changes(before, after) == ["clean() in fpproj/nodes.py changed"]


@pytest.mark.parametrize("edited", LAYOUT_EDITS.values(), ids=LAYOUT_EDITS.keys())
def test_layout_comments_and_docstrings_do_not_count(sources: Sources, edited: str) -> None:
    sources.write("nodes", NODE)
    before = sources.fingerprint("nodes", "clean")
    sources.write("nodes", edited)

    assert sources.fingerprint("nodes", "clean") == before


def test_a_default_argument_counts(sources: Sources) -> None:
    sources.write("nodes", "def clean(rows, limit=3):\n    return rows[:limit]\n")
    before = sources.fingerprint("nodes", "clean")
    sources.write("nodes", "def clean(rows, limit=4):\n    return rows[:limit]\n")

    assert sources.fingerprint("nodes", "clean") != before


def test_the_components_name_the_function_the_interpreter_and_the_format(
    sources: Sources,
) -> None:
    sources.write("nodes", NODE)
    components = sources.fingerprint("nodes", "clean").components

    assert set(components) == {"fpproj.nodes:clean", "root", "python", "format"}
    assert components["root"] == "fpproj.nodes:clean"
    assert components["python"] == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert components["format"] == FORMAT
    assert components["fpproj.nodes:clean"].startswith("function:")


# -- helpers elsewhere in the project --------------------------------------------------------

HELPERS = """\
def direct(x):
    return x + 1


def by_attribute(x):
    return x + 2


def in_lambda(x):
    return x + 3


def in_comprehension(x):
    return x + 4


def in_inner(x):
    return x + 5


class Scaler:
    def scale(self, x):
        return x * 6


class Tools:
    @staticmethod
    def shift(x):
        return x + 7


def unused(x):
    return x + 8
"""

NODES = """\
from fpproj import helpers
from fpproj.helpers import Scaler, Tools, direct, in_comprehension, in_inner, in_lambda


def uses_direct(x):
    return direct(x)


def uses_attribute(x):
    return helpers.by_attribute(x)


def uses_lambda(xs):
    return list(map(lambda x: in_lambda(x), xs))


def uses_comprehension(xs):
    return [in_comprehension(x) for x in xs]


def uses_inner(xs):
    def step(x):
        return in_inner(x)

    return [step(x) for x in xs]


def uses_method(x):
    return Scaler().scale(x)


def uses_static_method(x):
    return Tools.shift(x)


def uses_nothing(x):
    return x
"""

NODE_NAMES = [
    "uses_direct",
    "uses_attribute",
    "uses_lambda",
    "uses_comprehension",
    "uses_inner",
    "uses_method",
    "uses_static_method",
    "uses_nothing",
]

HELPER_EDITS = {  # helper: (its body edited, the nodes using it, how the change reads)
    "direct": ("x + 1", {"uses_direct"}, "helper direct()"),
    "by_attribute": ("x + 2", {"uses_attribute"}, "helper by_attribute()"),
    "in_lambda": ("x + 3", {"uses_lambda"}, "helper in_lambda()"),
    "in_comprehension": ("x + 4", {"uses_comprehension"}, "helper in_comprehension()"),
    "in_inner": ("x + 5", {"uses_inner"}, "helper in_inner()"),
    "method": ("x * 6", {"uses_method"}, "helper Scaler.scale()"),
    "static method": ("x + 7", {"uses_static_method"}, "helper Tools.shift()"),
    "unused": ("x + 8", set(), ""),
}


@pytest.mark.parametrize(
    ("body", "users", "wording"), HELPER_EDITS.values(), ids=HELPER_EDITS.keys()
)
def test_editing_a_helper_changes_exactly_the_nodes_that_use_it(
    sources: Sources, body: str, users: set[str], wording: str
) -> None:
    sources.write("helpers", HELPERS)
    sources.write("nodes", NODES)
    before = sources.fingerprints("nodes", NODE_NAMES)
    sources.write("helpers", HELPERS.replace(body, body.replace("x", "(x - 1)")))
    after = sources.fingerprints("nodes", NODE_NAMES)

    changed = {name for name in NODE_NAMES if after[name] != before[name]}
    assert changed == users
    for name in users:
        assert changes(before[name], after[name]) == [f"{wording} in fpproj/helpers.py changed"]


def test_a_node_lists_the_helpers_it_uses_and_no_others(sources: Sources) -> None:
    sources.write("helpers", HELPERS)
    sources.write("nodes", NODES)
    found = sources.fingerprints("nodes", ["uses_attribute", "uses_method", "uses_nothing"])

    assert "fpproj.helpers:by_attribute" in found["uses_attribute"].components
    assert "fpproj.helpers:direct" not in found["uses_attribute"].components
    assert {"fpproj.helpers:Scaler", "fpproj.helpers:Scaler.scale"} <= set(
        found["uses_method"].components
    )
    assert not [key for key in found["uses_nothing"].components if "helpers" in key]


def test_a_node_switching_helpers_reads_as_added_and_removed(sources: Sources) -> None:
    sources.write("helpers", HELPERS)
    sources.write("nodes", NODES)
    before = sources.fingerprint("nodes", "uses_direct")
    sources.write("nodes", NODES.replace("return direct(x)", "return in_inner(x)"))
    after = sources.fingerprint("nodes", "uses_direct")

    assert changes(before, after) == [
        "uses_direct() in fpproj/nodes.py changed",
        "added in_inner() in fpproj/helpers.py",
        "removed direct() in fpproj/helpers.py",
    ]


def test_rebinding_names_counts_even_when_the_code_is_the_same(sources: Sources) -> None:
    sources.write("helpers", HELPERS)
    body = "\n\ndef f(x):\n    return a(b(x))\n"
    sources.write("nodes", "from fpproj.helpers import direct as a, in_inner as b" + body)
    before = sources.fingerprint("nodes", "f")
    sources.write("nodes", "from fpproj.helpers import direct as b, in_inner as a" + body)

    assert sources.fingerprint("nodes", "f") != before


# -- module-level constants ------------------------------------------------------------------

CONSTANTS = """\
from fpproj import settings

THRESHOLD = 10
UNUSED = 1
COLUMNS = {"id": int, "names": ("first", "last")}


def keep(rows):
    return [row for row in rows if row > THRESHOLD and row < settings.LIMIT]


def columns():
    return list(COLUMNS)
"""


@dataclasses.dataclass(frozen=True)
class ConstantEdit:
    module: str
    old: str
    new: str
    changes_keep: bool
    changes_columns: bool
    wording: str = ""


CONSTANT_EDITS = {
    "used": ConstantEdit(
        "nodes", "THRESHOLD = 10", "THRESHOLD = 11", True, False,
        "constant THRESHOLD in fpproj/nodes.py changed",
    ),
    "unused": ConstantEdit("nodes", "UNUSED = 1", "UNUSED = 2", False, False),
    "in a container": ConstantEdit("nodes", '"last"', '"family"', False, True),
    "type in a container": ConstantEdit("nodes", '"id": int', '"id": str', False, True),
    "through a module": ConstantEdit(
        "settings", "LIMIT = 100", "LIMIT = 99", True, False,
        "constant LIMIT in fpproj/settings.py changed",
    ),
}  # fmt: skip


@pytest.mark.parametrize("edit", CONSTANT_EDITS.values(), ids=CONSTANT_EDITS.keys())
def test_constants_count_when_used(sources: Sources, edit: ConstantEdit) -> None:
    files = {"nodes": CONSTANTS, "settings": "LIMIT = 100\nOTHER = 5\n"}
    for name, text in files.items():
        sources.write(name, text)
    before = sources.fingerprints("nodes", ["keep", "columns"])
    sources.write(edit.module, files[edit.module].replace(edit.old, edit.new))
    after = sources.fingerprints("nodes", ["keep", "columns"])

    assert (after["keep"] != before["keep"]) is edit.changes_keep
    assert (after["columns"] != before["columns"]) is edit.changes_columns
    if edit.wording:
        assert changes(before["keep"], after["keep"]) == [edit.wording]


def test_module_bookkeeping_names_do_not_count(sources: Sources, tmp_path: Path) -> None:
    # __file__ differs between two checkouts of one project.
    text = "import os\n\ndef here():\n    return os.path.dirname(__file__)\n"
    sources.write("nodes", text)
    first = sources.fingerprint("nodes", "here")
    elsewhere = Sources(tmp_path / "elsewhere")
    elsewhere.write("nodes", text)
    sys.path.insert(0, str(elsewhere.root))

    assert elsewhere.fingerprint("nodes", "here") == first
    assert set(first.components) == {"fpproj.nodes:here", "root", "python", "format"}


def test_a_constant_with_more_items_than_are_read_counts_by_its_type(sources: Sources) -> None:
    sources.write("nodes", "TABLE = list(range(200_000))\n\ndef f():\n    return TABLE\n")
    fingerprint = sources.fingerprint("nodes", "f")

    assert fingerprint.components["fpproj.nodes:TABLE"] == "opaque:builtins.list"


LOGGED = """\
import logging

log = logging.getLogger("fpproj.jobs")
audit = logging.LoggerAdapter(logging.getLogger("fpproj.audit"), {"team": "data"})


def work(x):
    log.info("working on %s", x)
    audit.info("done")
    return x
"""


def test_loggers_count_by_name_not_by_their_configured_level(sources: Sources) -> None:
    # A logger's repr shows its effective level: configuring logging (--verbose, a
    # logging.yml) must not make every node that logs run again.
    sources.write("nodes", LOGGED)
    before = sources.fingerprint("nodes", "work")
    levels = {name: logging.getLogger(name).level for name in ("", "fpproj.jobs")}
    try:
        logging.getLogger().setLevel(logging.CRITICAL)
        logging.getLogger("fpproj.jobs").setLevel(logging.DEBUG)
        reconfigured = sources.fingerprint("nodes", "work")
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    sources.write("nodes", LOGGED.replace('"fpproj.jobs"', '"fpproj.tasks"'))
    renamed = sources.fingerprint("nodes", "work")
    sources.write("nodes", LOGGED.replace('"data"', '"ml"'))
    other_extra = sources.fingerprint("nodes", "work")

    assert reconfigured == before
    assert changes(before, renamed) == ["constant log in fpproj/nodes.py changed"]
    assert changes(before, other_extra) == ["constant audit in fpproj/nodes.py changed"]
    assert before.components["fpproj.nodes:log"].startswith("constant:")


CLASSES = """\
import dataclasses

from pydantic import BaseModel, Field


@dataclasses.dataclass
class Split:
    test_size: float = 0.2


class Model(BaseModel):
    alpha: float = Field(default=0.1, gt=0)


class Limits:
    HIGH = 10


def node(x):
    return Split(), Model(), Limits.HIGH, x
"""

CLASS_EDITS = {
    "dataclass default": ("0.2", "0.3", "class Split in fpproj/nodes.py changed"),
    "pydantic constraint": ("gt=0", "ge=0", "class Model in fpproj/nodes.py changed"),
    "class constant": ("HIGH = 10", "HIGH = 11", "class Limits in fpproj/nodes.py changed"),
}


@pytest.mark.parametrize(("old", "new", "wording"), CLASS_EDITS.values(), ids=CLASS_EDITS.keys())
def test_class_attributes_count(sources: Sources, old: str, new: str, wording: str) -> None:
    sources.write("nodes", CLASSES)
    before = sources.fingerprint("nodes", "node")
    sources.write("nodes", CLASSES.replace(old, new))
    after = sources.fingerprint("nodes", "node")

    assert after != before
    assert wording in changes(before, after)
    assert before.components["lib:pydantic"] == importlib.metadata.version("pydantic")


# -- how code is reached ---------------------------------------------------------------------

CALLABLES = """\
import functools


def even(n):
    return n == 0 or odd(n - 1)


def odd(n):
    return n != 0 and even(n - 1)


def scale(x, factor):
    return x * factor


class Multiply:
    def __init__(self, factor):
        self.factor = factor

    def __call__(self, x):
        return x * self.factor


def logged(func):
    @functools.wraps(func)
    def wrapper(*args):
        return func(*args)

    return wrapper


@logged
def decorated(x):
    return x + 1


@functools.lru_cache
def cached(x):
    return x + 2
"""


def test_mutual_recursion_is_walked_once(sources: Sources) -> None:
    sources.write("nodes", CALLABLES)
    before = sources.fingerprint("nodes", "even")
    sources.write("nodes", CALLABLES.replace("even(n - 1)", "even(n - 2)"))
    after = sources.fingerprint("nodes", "even")

    assert {"fpproj.nodes:even", "fpproj.nodes:odd"} <= set(before.components)
    assert changes(before, after) == ["helper odd() in fpproj/nodes.py changed"]


def test_a_partial_counts_by_its_function_and_arguments(sources: Sources) -> None:
    sources.write("nodes", CALLABLES)
    nodes = sources.load("nodes")
    fingerprinter = CodeFingerprinter()
    double = fingerprinter.fingerprint(functools.partial(nodes.scale, factor=2))
    triple = fingerprinter.fingerprint(functools.partial(nodes.scale, factor=3))

    assert double != triple
    assert fingerprinter.fingerprint(functools.partial(nodes.scale, factor=2)) == double
    assert double.components["root"] == "fpproj.nodes:scale"
    assert "fpproj.nodes:scale" in double.components
    assert changes(double, triple) == ["the arguments bound to scale() in fpproj/nodes.py changed"]


def test_a_callable_object_counts_by_its_class_and_attributes(sources: Sources) -> None:
    sources.write("nodes", CALLABLES)
    nodes = sources.load("nodes")
    fingerprinter = CodeFingerprinter()
    double = fingerprinter.fingerprint(nodes.Multiply(2))
    bound = fingerprinter.fingerprint(nodes.Multiply(2).__call__)

    assert fingerprinter.fingerprint(nodes.Multiply(3)) != double
    assert fingerprinter.fingerprint(nodes.Multiply(2)) == double
    assert {"fpproj.nodes:Multiply", "fpproj.nodes:Multiply.__call__"} <= set(double.components)
    assert changes(double, fingerprinter.fingerprint(nodes.Multiply(3))) == [
        "the Multiply object (fpproj/nodes.py) changed"
    ]
    assert fingerprinter.fingerprint(nodes.Multiply(3).__call__) != bound
    assert bound.components["root"] == "fpproj.nodes:Multiply.__call__"

    sources.write("nodes", CALLABLES.replace("x * self.factor", "self.factor * x"))
    assert CodeFingerprinter().fingerprint(sources.load("nodes").Multiply(2)) != double


def test_a_decorated_function_counts_with_its_decorator(sources: Sources) -> None:
    sources.write("nodes", CALLABLES)
    before = sources.fingerprint("nodes", "decorated")
    sources.write("nodes", CALLABLES.replace("x + 1", "x - 1"))
    body_edited = sources.fingerprint("nodes", "decorated")
    sources.write("nodes", CALLABLES.replace("return func(*args)", "return func(*args[::-1])"))
    decorator_edited = sources.fingerprint("nodes", "decorated")

    assert before.components["root"] == "fpproj.nodes:decorated"
    assert changes(before, body_edited) == ["decorated() in fpproj/nodes.py changed"]
    assert changes(before, decorator_edited) == [
        "helper logged.<locals>.wrapper() in fpproj/nodes.py changed"
    ]


def test_a_function_wrapped_by_a_standard_decorator_is_followed(sources: Sources) -> None:
    sources.write("nodes", CALLABLES)
    before = sources.fingerprint("nodes", "cached")
    sources.write("nodes", CALLABLES.replace("x + 2", "x - 2"))
    after = sources.fingerprint("nodes", "cached")

    assert before.components["root"] == "fpproj.nodes:cached"
    assert after != before


def test_a_builtin_counts_by_its_name() -> None:
    fingerprinter = CodeFingerprinter()
    length = fingerprinter.fingerprint(len)

    assert length.components["root"] == "builtins:len"
    assert fingerprinter.fingerprint(sorted) != length
    assert set(length.components) == {"builtins:len", "root", "python", "format"}


# -- libraries -------------------------------------------------------------------------------

LIBRARY = """\
import yaml
from yaml import safe_dump


def parse(text):
    return yaml.safe_load(text)


def dump(data):
    return safe_dump(data)
"""


@pytest.mark.parametrize("name", ["parse", "dump"])
def test_a_library_counts_by_its_version_and_is_not_walked(sources: Sources, name: str) -> None:
    sources.write("nodes", LIBRARY)
    components = sources.fingerprint("nodes", name).components

    assert components["lib:pyyaml"] == importlib.metadata.version("PyYAML")
    assert set(components) == {f"fpproj.nodes:{name}", "lib:pyyaml", "root", "python", "format"}


def test_datamill_itself_counts_as_a_library(sources: Sources) -> None:
    sources.write(
        "nodes", "from datamill import node\n\ndef build(f):\n    return node(f, 'a', 'b')\n"
    )
    components = sources.fingerprint("nodes", "build").components

    assert components["lib:datamill"] == importlib.metadata.version("datamill")
    assert not [key for key in components if key.startswith("datamill")]


def test_the_standard_library_counts_through_the_python_version(sources: Sources) -> None:
    text = "import json\nfrom collections import Counter\n\ndef f(x):\n"
    sources.write("nodes", text + "    return json.dumps(Counter(x))\n")

    assert set(sources.fingerprint("nodes", "f").components) == {
        "fpproj.nodes:f",
        "root",
        "python",
        "format",
    }


# -- which code is the project's own ---------------------------------------------------------


def test_own_code_can_be_given_as_a_predicate(sources: Sources) -> None:
    sources.write("helpers", HELPERS)
    sources.write("nodes", NODES)
    only_nodes = CodeFingerprinter(lambda module: module == "fpproj.nodes")
    before = sources.fingerprints("nodes", ["uses_direct"], only_nodes)["uses_direct"]
    sources.write("helpers", HELPERS.replace("x + 1", "x - 1"))
    only_nodes = CodeFingerprinter(lambda module: module == "fpproj.nodes")
    after = sources.fingerprints("nodes", ["uses_direct"], only_nodes)["uses_direct"]

    assert after == before
    assert "lib:fpproj" in before.components
    assert "fpproj.helpers:direct" not in before.components


def test_own_code_can_be_given_as_source_folders(sources: Sources, tmp_path: Path) -> None:
    sources.write("helpers", HELPERS)
    sources.write("nodes", NODES)
    inside = CodeFingerprinter([tmp_path])
    outside = CodeFingerprinter([tmp_path / "elsewhere"])
    nodes = sources.load("nodes")

    assert "fpproj.helpers:direct" in inside.fingerprint(nodes.uses_direct).components
    assert set(outside.fingerprint(nodes.uses_direct).components) == {
        "fpproj.nodes:uses_direct",
        "lib:fpproj",
        "root",
        "python",
        "format",
    }


def test_a_single_folder_is_refused_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"pass \[PosixPath|pass \[WindowsPath"):
        CodeFingerprinter(tmp_path)  # type: ignore[arg-type]


# -- robustness, caching, determinism --------------------------------------------------------

ODD_GLOBALS = """\
import threading


class Trap:
    @property
    def __class__(self):
        raise RuntimeError("no class for you")

    def __call__(self):
        return 1


LOCK = threading.Lock()
TRAP = Trap()


def f(x):
    with LOCK:
        return TRAP, x + 1
"""


def test_objects_that_cannot_be_read_count_by_their_type(sources: Sources) -> None:
    sources.write("nodes", ODD_GLOBALS)
    before = sources.fingerprint("nodes", "f")
    sources.write("nodes", ODD_GLOBALS.replace("x + 1", "x + 2"))
    after = sources.fingerprint("nodes", "f")

    assert before.components["fpproj.nodes:LOCK"] == "opaque:_thread.lock"
    assert before.components["fpproj.nodes:f"].startswith("function:")
    assert changes(before, after) == ["f() in fpproj/nodes.py changed"]


def test_a_callable_that_cannot_be_read_is_counted_by_its_type(sources: Sources) -> None:
    sources.write("nodes", ODD_GLOBALS)
    components = sources.fingerprint("nodes", "TRAP").components

    assert components["root"] == "fpproj.nodes:Trap"
    assert components["fpproj.nodes:Trap"] == "opaque:fpproj.nodes.Trap"


def test_fingerprints_are_cached_per_object_and_helpers_analysed_once(
    sources: Sources, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources.write("helpers", HELPERS)
    sources.write("nodes", NODES + "\n\ndef also_direct(x):\n    return direct(x) + 1\n")
    nodes = sources.load("nodes")
    fingerprinter = CodeFingerprinter()
    analysed: list[str] = []
    original = CodeFingerprinter._function

    def counting(self: CodeFingerprinter, func: Any) -> Any:
        analysed.append(func.__name__)
        return original(self, func)

    monkeypatch.setattr(CodeFingerprinter, "_function", counting)
    first = fingerprinter.fingerprint(nodes.uses_direct)
    fingerprinter.fingerprint(nodes.also_direct)

    assert fingerprinter.fingerprint(nodes.uses_direct) is first
    assert sorted(analysed) == ["also_direct", "direct", "uses_direct"]


def test_clear_forgets_what_was_learnt(sources: Sources) -> None:
    sources.write("settings", "LIMIT = 100\n")
    sources.write("nodes", CONSTANTS)
    nodes = sources.load("nodes")
    fingerprinter = CodeFingerprinter()
    before = fingerprinter.fingerprint(nodes.keep)
    vars(nodes)["THRESHOLD"] = 12

    assert fingerprinter.fingerprint(nodes.keep) is before
    fingerprinter.clear()
    assert fingerprinter.fingerprint(nodes.keep) != before


def test_a_fingerprint_pickles_and_compares_by_digest(sources: Sources) -> None:
    sources.write("nodes", NODE)
    fingerprint = sources.fingerprint("nodes", "clean")
    copy = pickle.loads(pickle.dumps(fingerprint))

    assert copy == fingerprint
    assert hash(copy) == hash(fingerprint)
    assert dict(copy.components) == dict(fingerprint.components)
    with pytest.raises(TypeError):
        fingerprint.components["root"] = "changed"  # type: ignore[index]


DETERMINISM = """\
import dataclasses
import enum

from pydantic import BaseModel

NAMES = {"alpha", "beta", "gamma", "delta", "epsilon"}
FROZEN = frozenset(NAMES)
MAPPING = {"b": 2, "a": 1, "nested": {"x", "y", "z"}}


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass(frozen=True)
class Options:
    names: frozenset = FROZEN
    limit: int = 3


class Settings(BaseModel):
    names: set[str] = {"alpha", "beta", "gamma"}
    colour: Colour = Colour.BLUE


def node(x):
    if x in {"one", "two", "three", "four"}:
        return NAMES, MAPPING, Colour.RED
    return [Options(), Settings(), lambda y: y in FROZEN]
"""

SCRIPT = """\
import json
import logging
import sys
from datamill.runner._fingerprints import CodeFingerprinter, parameter_fingerprints
from fpproj import nodes

parameters = {
    "parameters": {"b": [1, 2.5, True], "a": {"x", "y", "z"}, "c": None},
    "params:names": frozenset(["alpha", "beta", "gamma"]),
}
json.dump(
    {
        "code": dict(CodeFingerprinter().fingerprint(nodes.node).components),
        "parameters": parameter_fingerprints(parameters),
    },
    sys.stdout,
)
"""


def test_fingerprints_are_the_same_in_every_process(sources: Sources) -> None:
    sources.write("nodes", DETERMINISM)
    results = []
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(sources.root)}
        completed = subprocess.run(
            [sys.executable, "-c", SCRIPT], env=env, capture_output=True, check=True, text=True
        )
        results.append(json.loads(completed.stdout))

    code = dict(sources.fingerprint("nodes", "node").components)
    assert results[0] == results[1] == results[2]
    assert results[0]["code"] == code
    expected = {"Colour", "Options", "NAMES", "MAPPING", "Settings", "FROZEN"}
    assert {f"fpproj.nodes:{name}" for name in expected} <= set(code)
    assert None not in results[0]["parameters"].values()


# -- digests stay put ------------------------------------------------------------------------

PINNED = '''\
import collections.abc
import functools
import http
import pathlib
import typing

LIMIT = 10
TABLE = {"x": (1, 2.5, None, b"raw"), "y": frozenset({"b", "a"}), "z": [True, ...]}
ROOT = pathlib.PurePosixPath("data")


class Point:
    """A class of the project: its methods and attributes count."""

    dimensions = 1

    def __init__(self, x: int = 0) -> None:
        self.x = x

    def moved(self, by: int) -> "Point":
        return Point(self.x + by)

    @property
    def norm(self) -> int:
        return abs(self.x)

    @staticmethod
    def parse(text: str) -> "Point":
        return Point(int(text))


ORIGIN = Point(0)


def helper(rows: list[int]) -> int:
    """Docstrings do not count."""
    return sum(rows) + LIMIT


SCALED = functools.partial(helper, [1, 2])


def node(
    rows: list[int],
    table: dict[str, typing.Any],
    names: typing.List[str],
    pick: typing.Optional[int] = None,
    limit: int | None = 3,
    check: collections.abc.Callable[[int], bool] = bool,
    *,
    status: http.HTTPStatus = http.HTTPStatus.OK,
    key=lambda row: -row,
) -> tuple["Point", ...]:
    total = helper([row for row in sorted(rows, key=key) if check(row)]) + len(TABLE)

    def inner(y):
        return y + total + ORIGIN.x

    return (Point(inner(LIMIT)).moved(2), Point.parse("4"), ROOT / str(pick), status, SCALED)


# A function loading more than 256 constants: their indexes need EXTENDED_ARG.
exec("def wide():\\n" + "".join(f"    x = {i}.5\\n" for i in range(300)) + "    return x\\n")
'''

PINNED_DIGESTS = {  # Python version: the digest of each function, under FORMAT "1"
    "3.11": {
        "node": "28818d501bb03934e8292de4832c73b9",
        "wide": "260385bef1d7fb8b1518be3e3c862e06",
        "SCALED": "58f0fcd123a21e5fbfb128c94db568a7",
    },
    "3.12": {
        "node": "f062519dbf8383d8431d5111cb555967",
        "wide": "a33fd5813554fca46b1523d850be159a",
        "SCALED": "9b0af65b119313215846f682d1a7aac1",
    },
    "3.13": {
        "node": "eb940945b1ae6f6735c175a183055ad2",
        "wide": "e112d197481bef1fad25d879eb304cba",
        "SCALED": "02b72e6418f867b0af959d8e1803cd86",
    },
}


PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.mark.skipif(
    sys.implementation.name != "cpython" or PYTHON not in PINNED_DIGESTS,
    reason="digests are pinned for the CPython versions datamill supports",
)
def test_the_digest_of_unchanged_code_never_changes(sources: Sources) -> None:
    # Journals store these digests: if they change, every node of every project reruns.
    # A deliberate change of the rules bumps FORMAT and pins the new digests.
    sources.write("pinned", PINNED)
    names = list(PINNED_DIGESTS[PYTHON])
    found = {name: fp.digest for name, fp in sources.fingerprints("pinned", names).items()}

    assert FORMAT == "1"
    assert found == PINNED_DIGESTS[PYTHON]


# -- describing changes ----------------------------------------------------------------------

OLD = {
    "root": "pkg.nodes:clean_companies",
    "pkg.nodes:clean_companies": "function:1",
    "pkg.nodes:THRESHOLD": "constant:1",
    "pkg.nodes:Cleaner": "class:1",
    "pkg.utils:normalise": "function:1",
    "pkg.utils:old_helper": "function:1",
    "pkg.__init__:setup": "function:1",
    "lib:pandas": "2.2.2",
    "lib:scipy": "1.13.0",
    "python": "3.11",
    "format": "1",
}


def test_describe_changes_words_each_kind_of_change() -> None:
    new = {
        **OLD,
        "pkg.nodes:clean_companies": "function:2",
        "pkg.nodes:THRESHOLD": "constant:2",
        "pkg.nodes:Cleaner": "class:2",
        "pkg.utils:normalise": "function:2",
        "pkg.__init__:setup": "constant:1",
        "pkg.utils:parse_dates": "function:1",
        "lib:pandas": "2.2.3",
        "lib:pyyaml": "6.0.2",
    }
    del new["pkg.utils:old_helper"], new["lib:scipy"]

    assert describe_changes(OLD, new) == [
        "pandas 2.2.2 -> 2.2.3",
        "added library pyyaml 6.0.2",
        "removed library scipy 1.13.0",
        "clean_companies() in pkg/nodes.py changed",
        "constant setup in pkg/__init__.py changed (it was a function)",
        "class Cleaner in pkg/nodes.py changed",
        "constant THRESHOLD in pkg/nodes.py changed",
        "helper normalise() in pkg/utils.py changed",
        "added parse_dates() in pkg/utils.py",
        "removed old_helper() in pkg/utils.py",
    ]


def test_describe_changes_is_empty_for_equal_fingerprints() -> None:
    assert describe_changes(OLD, dict(OLD)) == []


def test_a_new_python_version_is_named_instead_of_every_function() -> None:
    new = {key: value.replace(":1", ":9") for key, value in OLD.items()}
    new["python"] = "3.12"

    assert describe_changes(OLD, new) == ["python 3.11 -> 3.12"]


def test_describe_changes_words_wrapped_callables_and_unreadable_objects() -> None:
    old = {
        "pkg.nodes:scale partial": "partial:1",
        "pkg.nodes:Multiply instance": "instance:1",
        "pkg.nodes:Multiply.__call__ bound": "bound:1",
        "pkg.nodes:clean wrapper": "wrapper:1",
        "pkg.nodes:helper#2": "function:1",
    }
    new = {key: value.replace(":1", ":2") for key, value in old.items()}
    new["pkg.nodes:LOCK"] = "opaque:_thread.lock"

    assert describe_changes(old, new) == [
        "the Multiply object (pkg/nodes.py) changed",
        "the object bound to Multiply.__call__() in pkg/nodes.py changed",
        "the decorator around clean() in pkg/nodes.py changed",
        "helper helper() in pkg/nodes.py#2 changed",
        "the arguments bound to scale() in pkg/nodes.py changed",
        "added LOCK in pkg/nodes.py (not analysed: a _thread.lock)",
    ]


# -- parameters ------------------------------------------------------------------------------


@dataclasses.dataclass
class Split:
    test_size: float
    seed: int = 0


class Shade(enum.Enum):
    DARK = 1


def digest_of(value: object) -> str | None:
    return parameter_fingerprints({"params:x": value})["params:x"]


def test_parameters_are_fingerprinted_by_value() -> None:
    found = parameter_fingerprints({"params:alpha": 0.5, "parameters": {"alpha": 0.5}})

    assert set(found) == {"params:alpha", "parameters"}
    assert all(isinstance(d, str) and len(d) == 32 for d in found.values())
    assert found["params:alpha"] != found["parameters"]


def test_mapping_key_order_does_not_count() -> None:
    assert digest_of({"a": 1, "b": {"c": 2, "d": 3}}) == digest_of({"b": {"d": 3, "c": 2}, "a": 1})


@pytest.mark.parametrize(
    "values",
    [
        [1, 1.0, True, "1", b"1", None],
        [0, 0.0, False, -0.0, ""],
        [[1, 2], (1, 2), {1, 2}, {1: 2}],
        [Split(0.2), Split(0.2, seed=1), {"test_size": 0.2, "seed": 0}],
        [Shade.DARK, 1],
    ],
    ids=["one", "zero", "containers", "dataclasses", "enum"],
)
def test_values_of_different_kinds_differ(values: list[object]) -> None:
    digests = [digest_of(value) for value in values]

    assert None not in digests
    assert len(set(digests)) == len(values)


def test_sets_count_by_their_members_not_their_order() -> None:
    assert digest_of({"x", "y", "z"}) == digest_of({"z", "y", "x"})
    assert digest_of(frozenset(range(50))) == digest_of(frozenset(reversed(range(50))))


@pytest.mark.parametrize(
    "value",
    [object(), [1, object()], {"model": lambda x: x}, types.SimpleNamespace(f=object())],
    ids=["object", "inside a list", "function", "namespace holding an object"],
)
def test_a_value_without_a_stable_text_has_no_fingerprint(value: object) -> None:
    assert digest_of(value) is None


def test_a_value_containing_itself_has_no_fingerprint() -> None:
    loop: list[object] = [1]
    loop.append(loop)

    assert digest_of(loop) is None


def test_a_mapping_parameter_has_a_fingerprint_per_leaf_by_dotted_path() -> None:
    model = {"alpha": 0.5, "layers": {"n": 3, "sizes": [8, 4]}, "empty": {}}

    parts = parameter_parts("params:model", model)

    assert list(parts) == [
        "params:model.alpha",
        "params:model.empty",
        "params:model.layers.n",
        "params:model.layers.sizes",
    ]
    assert parts["params:model.alpha"] == digest_of(0.5)
    assert parts["params:model.layers.sizes"] == digest_of([8, 4])
    assert parameter_parts("parameters", {"model": {"alpha": 0.5}}) == {
        "params:model.alpha": digest_of(0.5)
    }


@pytest.mark.parametrize("value", [0.5, [1, 2], {}, "text"], ids=["float", "list", "empty", "str"])
def test_a_parameter_that_is_no_mapping_has_no_parts(value: object) -> None:
    assert parameter_parts("params:x", value) == {}


def test_a_huge_or_endless_mapping_parameter_keeps_its_first_level_at_most() -> None:
    wide = {f"k{i}": {"leaf": i, "other": -i} for i in range(MAX_PARTS)}
    loop: dict[str, object] = {"name": "loop"}
    loop["self"] = loop

    assert list(parameter_parts("params:wide", wide)) == sorted(f"params:wide.{k}" for k in wide)
    assert parameter_parts("params:loop", loop) == {
        "params:loop.name": digest_of("loop"),
        "params:loop.self": None,  # a value containing itself has no fingerprint
    }
    assert parameter_parts("params:odd", {1: {"a": 1}}) == {}  # keys must be names


def test_pydantic_models_and_numpy_scalars_count_by_their_values() -> None:
    pydantic = pytest.importorskip("pydantic")
    numpy = pytest.importorskip("numpy")
    model: Callable[..., Any] = pydantic.create_model("Model", alpha=(float, 0.1))

    assert digest_of(model(alpha=0.5)) == digest_of(model(alpha=0.5))
    assert digest_of(model(alpha=0.5)) != digest_of(model(alpha=0.6))
    assert digest_of(numpy.float64(0.5)) == digest_of(0.5)
    assert digest_of(numpy.array([1, 2])) != digest_of(numpy.array([1.0, 2.0]))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=6))
def test_any_configuration_mapping_is_fingerprinted_whatever_its_order(
    value: dict[str, object],
) -> None:
    reordered = dict(reversed(list(value.items())))

    assert digest_of(value) is not None
    assert digest_of(reordered) == digest_of(value)


# -- naming what changed in a parameter ----------------------------------------------------


def decision_with(params: dict[str, object]) -> Decision:
    top = parameter_fingerprints(params)
    parts = {
        k: v for name, value in params.items() for k, v in parameter_parts(name, value).items()
    }
    return Decision(True, "", CodeIdentity("code"), top, {}, parts)


def test_a_reason_names_at_most_three_changed_parts_of_a_parameter() -> None:
    before = decision_with({"params:m": {f"k{i}": i for i in range(5)}})
    now = decision_with({"params:m": {f"k{i}": i + 1 for i in range(5)}})

    assert _changed_parameter("params:m", now, {**before.params, **before.param_parts}) == (
        "parameters m.k0, m.k1, m.k2 and 2 more changed"
    )


def test_a_reason_names_the_whole_parameter_when_the_last_run_kept_no_parts() -> None:
    before = decision_with({"params:m": {"a": 1}})
    now = decision_with({"params:m": {"a": 2}})

    assert _changed_parameter("params:m", now, before.params) == "parameter m changed"


def test_a_part_added_or_removed_is_named_too() -> None:
    before = decision_with({"parameters": {"m": {"a": 1, "b": 2}}})
    now = decision_with({"parameters": {"m": {"a": 1, "c": 2}}})

    assert _changed_parameter("parameters", now, {**before.params, **before.param_parts}) == (
        "parameters m.b, m.c changed"
    )
