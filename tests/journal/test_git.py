"""`git_state` in a real repository, outside one, and without git."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from datamill.journal import git_state

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

IDENTITY = ("-c", "user.name=Test", "-c", "user.email=test@example.invalid")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *IDENTITY, *args], cwd=repo, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A new git repository with one commit, isolated from the user's git configuration."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "--quiet")
    (root / "nodes.py").write_text("def clean(x):\n    return x\n")
    git(root, "add", "nodes.py")
    git(root, "commit", "--quiet", "-m", "first")
    return root


def test_a_clean_checkout_reports_its_commit(repo: Path) -> None:
    assert git_state(repo) == (git(repo, "rev-parse", "HEAD"), False)


def test_a_subfolder_reports_the_repository_state(repo: Path) -> None:
    (repo / "conf").mkdir()
    (repo / "conf" / "catalog.yml").write_text("{}\n")
    git(repo, "add", "conf")
    git(repo, "commit", "--quiet", "-m", "conf")
    assert git_state(repo / "conf") == (git(repo, "rev-parse", "HEAD"), False)


@pytest.mark.parametrize("change", ["modify", "untracked"])
def test_uncommitted_changes_make_the_tree_dirty(repo: Path, change: str) -> None:
    if change == "modify":
        (repo / "nodes.py").write_text("def clean(x):\n    return x.strip()\n")
    else:
        (repo / "features.py").write_text("")
    commit, dirty = git_state(repo)
    assert commit == git(repo, "rev-parse", "HEAD")
    assert dirty is True


def test_ignored_files_do_not_make_the_tree_dirty(repo: Path) -> None:
    (repo / ".gitignore").write_text(".datamill/\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "--quiet", "-m", "ignore")
    (repo / ".datamill").mkdir()
    (repo / ".datamill" / "journal.db").write_bytes(b"")
    assert git_state(repo)[1] is False


def test_a_repository_without_commits_has_no_commit(tmp_path: Path, repo: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "--quiet")
    assert git_state(empty) == (None, False)


def test_outside_a_repository_nothing_is_known(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    folder = tmp_path / "not-a-repo"
    folder.mkdir()
    assert git_state(folder) == (None, None)


def test_a_missing_folder_or_a_missing_git_tell_nothing(
    tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert git_state(tmp_path / "missing") == (None, None)
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    assert git_state(repo) == (None, None)


def test_a_detached_head_reports_its_commit(repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD")
    (repo / "nodes.py").write_text("def clean(x):\n    return x + 1\n")
    git(repo, "commit", "--quiet", "-am", "second")
    git(repo, "checkout", "--quiet", "--detach", first)

    assert git_state(repo) == (first, False)
