"""Helpers to build throwaway ``conf/`` trees."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

WriteConf = Callable[[str, str], Path]


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    """An empty ``conf/`` with a ``base`` environment."""
    root = tmp_path / "conf"
    (root / "base").mkdir(parents=True)
    return root


@pytest.fixture
def write(conf: Path) -> WriteConf:
    """Write ``text`` (dedented) to ``conf/<relative>``, creating folders; return the path."""

    def _write(relative: str, text: str) -> Path:
        path = conf / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write
