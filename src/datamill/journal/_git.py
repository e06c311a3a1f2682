"""The git commit of a project and whether its working tree has uncommitted changes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Final

__all__ = ["GIT_TIMEOUT", "git_state"]

GIT_TIMEOUT: Final = 5.0
"""Seconds each git command may take before the state is reported as unknown."""


def git_state(path: str | os.PathLike[str]) -> tuple[str | None, bool | None]:
    """Return the commit checked out at ``path`` and whether the working tree is dirty.

    Runs one ``git status --porcelain=v2 --branch`` in ``path`` (git 2.11 or later): its
    header names the commit, and any other line is a change. Untracked files that are not
    ignored count as changes. Never raises for a missing or broken git: the journal records
    what it can.

    Args:
        path: A folder inside the project (usually its root).

    Returns:
        ``(commit, dirty)``; ``(None, None)`` when ``path`` is not in a git repository, git
        is not installed or does not answer within `GIT_TIMEOUT` seconds. In a repository
        without any commit yet, the commit is ``None`` and ``dirty`` is known.

    Example:
        >>> git_state(".")  # doctest: +SKIP
        ('9f2c1e4b7a...', False)
    """
    status = _git(path, "status", "--porcelain=v2", "--branch")
    if status is None:
        return None, None
    commit: str | None = None
    dirty = False
    for line in status.splitlines():
        if line.startswith(_COMMIT):
            found = line.removeprefix(_COMMIT).strip()
            commit = None if found == "(initial)" else found
        elif line and not line.startswith("#"):
            dirty = True
    return commit, dirty


_COMMIT: Final = "# branch.oid "


def _git(path: str | os.PathLike[str], *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=Path(path),
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):  # git missing, path missing, timeout
        return None
    return done.stdout if done.returncode == 0 else None
