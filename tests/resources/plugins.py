"""Real installed plugin distributions for tests: a module plus a ``*.dist-info`` folder."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_distribution(
    site: Path, module_name: str, source: str, group: str, entry_points: dict[str, str]
) -> Path:
    """Write ``source`` as ``module_name`` in ``site`` with a distribution declaring
    ``entry_points`` (name to ``"module:attribute"``) under ``group``; return ``site``.

    Put ``site`` on ``sys.path`` for ``importlib.metadata`` to find the distribution.
    """
    dist_info = site / f"{module_name}-1.0.dist-info"
    dist_info.mkdir(parents=True)
    dist_name = module_name.replace("_", "-")
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: 1.0\n", encoding="utf-8"
    )
    declared = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (dist_info / "entry_points.txt").write_text(f"[{group}]\n{declared}", encoding="utf-8")
    (site / f"{module_name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return site
