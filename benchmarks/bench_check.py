"""How long the pre-run check takes on a 1,000-node project (target: well under a second).

Usage::

    .venv/bin/python benchmarks/bench_check.py [--nodes 1000]

Writes a throwaway project whose 1,000 nodes are distinct, annotated functions in 20
modules, each taking the previous node's output and a parameter, with every dataset
declared in the catalog, then times ``Session.check()`` (the checks ``datamill run`` makes
before its first node: names, catalog, missing inputs, parameters and annotations) and the
whole ``datamill check`` command (Python start-up and project import included). Prints one
JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODULES = 20


def write_project(root: Path, nodes: int) -> None:
    """A project with ``nodes`` chained nodes spread over :data:`MODULES` modules."""
    package = root / "src" / "checkbench"
    pipeline = package / "pipelines" / "chain"
    pipeline.mkdir(parents=True)
    (root / "conf" / "base").mkdir(parents=True)
    (root / "conf" / "local").mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "checkbench"\n[tool.datamill]\npackage_name = "checkbench"\n',
        encoding="utf-8",
    )
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "pipelines" / "__init__.py").write_text("", encoding="utf-8")
    per_module = nodes // MODULES
    for m in range(MODULES):
        functions = "".join(
            f"\n\ndef step_{i}(rows: list[int], factor: float) -> list[int]:\n"
            f"    return [int(x * factor) + {i} for x in rows]\n"
            for i in range(m * per_module, (m + 1) * per_module)
        )
        (pipeline / f"nodes_{m:02d}.py").write_text(functions.lstrip(), encoding="utf-8")
    imports = "".join(f"from . import nodes_{m:02d}\n" for m in range(MODULES))
    modules = ", ".join(f"nodes_{m:02d}" for m in range(MODULES))
    source = (
        f"from datamill import Pipeline, node\n{imports}\nMODULES = [{modules}]\n\n\n"
        "def create_pipeline(**kwargs):\n"
        "    return Pipeline(\n"
        "        [\n"
        "            node(\n"
        f"                getattr(MODULES[i // {per_module}], f'step_{{i}}'),\n"
        "                [f'd{i}', 'params:factor'],\n"
        "                f'd{i + 1}',\n"
        "                name=f'n{i}',\n"
        "            )\n"
        f"            for i in range({nodes})\n"
        "        ]\n"
        "    )\n"
    )
    (pipeline / "__init__.py").write_text(source, encoding="utf-8")
    catalog = "".join(
        f"d{i}:\n  type: json.JSONDataset\n  filepath: data/d{i}.json\n" for i in range(nodes + 1)
    )
    (root / "conf" / "base" / "catalog.yml").write_text(catalog, encoding="utf-8")
    (root / "conf" / "base" / "parameters.yml").write_text("factor: 1.5\n", encoding="utf-8")


def time_session_check(root: Path, repeats: int) -> list[float]:
    """Seconds per ``Session.check()`` of the ``chain`` pipeline (pipeline built once)."""
    from datamill.project import Session

    times = []
    with Session.create(root) as session:
        session.pipelines["chain"]  # import and build outside the timing
        for _ in range(repeats):
            start = time.perf_counter()
            report = session.check("chain")
            times.append(time.perf_counter() - start)
            assert report.ok, report.problems
    return times


def time_command(root: Path, repeats: int) -> list[float]:
    """Wall seconds of ``datamill check --pipeline chain`` in a fresh process."""
    command = [str(Path(sys.executable).parent / "datamill"), "check", "--pipeline", "chain"]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, cwd=root, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    """Write the project, time both measurements, print JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_project(root, args.nodes)
        for case, times in (
            ("session_check", time_session_check(root, args.repeats)),
            ("datamill_check_command", time_command(root, args.repeats)),
        ):
            print(
                json.dumps(
                    {
                        "case": case,
                        "nodes": args.nodes,
                        "median_s": round(statistics.median(times), 4),
                        "min_s": round(min(times), 4),
                    }
                )
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
