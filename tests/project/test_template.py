"""Scaffolding: projects from the starters, and pipeline folders added to a project."""

from __future__ import annotations

import ast
import importlib
import json
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from datamill import Pipeline, Session
from datamill.errors import ProjectError
from datamill.project import PipelineRegistry, find_project
from datamill.project import _template as template
from datamill.project._template import (
    DATA_LAYERS,
    create_pipeline_folder,
    create_project,
    folder_name_for,
    package_name_for,
    render,
)

PACKAGES = {"mill_empty", "mill_demo", "mill_new"}

EMPTY_FILES = {
    ".gitignore",
    "README.md",
    "pyproject.toml",
    "conf/base/catalog.yml",
    "conf/base/parameters.yml",
    "conf/base/parameters_hello.yml",
    "conf/local/.gitkeep",
    "conf/local/credentials.yml",
    "notebooks/.gitkeep",
    "src/mill_empty/__init__.py",
    "src/mill_empty/settings.py",
    "src/mill_empty/pipelines/__init__.py",
    "src/mill_empty/pipelines/hello/__init__.py",
    "src/mill_empty/pipelines/hello/nodes.py",
    "src/mill_empty/pipelines/hello/pipeline.py",
    "tests/test_project.py",
    "tests/pipelines/hello/test_pipeline.py",
    *(f"data/{layer}/.gitkeep" for layer in DATA_LAYERS),
}


@pytest.fixture(autouse=True)
def _forget_generated_packages() -> Iterator[None]:
    path = list(sys.path)
    yield
    sys.path[:] = path
    for name in [m for m in sys.modules if m.partition(".")[0] in PACKAGES]:
        del sys.modules[name]
    importlib.invalidate_caches()


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def run_generated_tests(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def empty_project(tmp_path: Path) -> Path:
    return create_project("Mill Empty", directory=tmp_path)


# -- names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "package", "folder"),
    [
        ("shop", "shop", "shop"),
        ("Space Shuttles", "space_shuttles", "space-shuttles"),
        ("my-proj.v2", "my_proj_v2", "my-proj.v2"),
        ("  Trim me  ", "trim_me", "trim-me"),
    ],
)
def test_names_derived_from_the_project_name(name: str, package: str, folder: str) -> None:
    assert (package_name_for(name), folder_name_for(name)) == (package, folder)


def test_render_replaces_known_keys_and_rejects_unknown_ones() -> None:
    assert render("a {{ x }} b {{y}}", {"x": "1", "y": "2"}) == "a 1 b 2"
    assert render("{name}", {}) == "{name}"  # catalog patterns are left alone
    with pytest.raises(KeyError, match="missing"):
        render("{{ missing }}", {})


# -- the empty starter ------------------------------------------------------------------


def test_empty_starter_writes_the_skeleton(empty_project: Path, tmp_path: Path) -> None:
    assert empty_project == tmp_path / "mill-empty"
    assert files_under(empty_project) == EMPTY_FILES
    for path in empty_project.rglob("*"):
        if path.is_file():
            assert "{{" not in path.read_text(encoding="utf-8"), path
        if path.suffix == ".py":
            ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_generated_pyproject_declares_the_project(empty_project: Path) -> None:
    content = tomllib.loads((empty_project / "pyproject.toml").read_text(encoding="utf-8"))
    assert content["tool"]["datamill"] == {
        "package_name": "mill_empty",
        "project_name": "Mill Empty",
        "source_dir": "src",
        "conf_source": "conf",
    }
    assert content["project"]["name"] == "mill-empty"
    assert content["project"]["dependencies"][0].startswith("datamill>=")
    assert content["tool"]["pytest"]["ini_options"]["pythonpath"] == ["src"]


def test_find_project_finds_the_new_project(empty_project: Path) -> None:
    meta = find_project(empty_project / "src" / "mill_empty" / "pipelines")
    assert (meta.root, meta.package_name, meta.project_name) == (
        empty_project,
        "mill_empty",
        "Mill Empty",
    )
    assert meta.conf_source == empty_project / "conf"


def test_empty_project_runs_its_hello_pipeline(empty_project: Path) -> None:
    with Session.create(empty_project) as session:
        assert session.pipelines.names() == ["__default__", "hello"]
        assert session.run() == {"greeting": "Hello, world!"}


def test_empty_project_tests_pass(empty_project: Path) -> None:
    result = run_generated_tests(empty_project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_gitignore_keeps_data_and_local_config_out(empty_project: Path) -> None:
    (empty_project / "data" / "01_raw" / "companies.csv").write_text("id\n1\n")

    def ignored(relative: str) -> bool:
        command = ["git", "check-ignore", "-q", relative]
        return subprocess.run(command, cwd=empty_project, check=False).returncode == 0

    subprocess.run(["git", "init", "-q"], cwd=empty_project, check=True)
    assert ignored("data/01_raw/companies.csv")
    assert ignored("conf/local/credentials.yml")
    assert not ignored("data/01_raw/.gitkeep")
    assert not ignored("conf/local/.gitkeep")
    assert not ignored("conf/base/catalog.yml")


# -- errors -------------------------------------------------------------------------------


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    target = tmp_path / "mill-empty"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(ProjectError, match="not an empty folder") as caught:
        create_project("Mill Empty", directory=tmp_path)
    assert caught.value.path == str(target)
    assert files_under(target) == {"notes.txt"}


def test_an_empty_existing_folder_is_used(tmp_path: Path) -> None:
    (tmp_path / "mill-empty").mkdir()
    assert (create_project("Mill Empty", directory=tmp_path) / "pyproject.toml").is_file()


@pytest.mark.parametrize(
    ("name", "package", "message"),
    [
        ("x", "1abc", "not a valid package name"),
        ("x", "class", "not a valid package name"),
        ("x", "my-pkg", "not a valid package name"),
        ("x", "json", "standard library"),
        ("x", "datamill", "would hide"),
        ("123", None, "not a valid package name"),
        ('say "hi"', None, "Project name"),
        ("", None, "Project name"),
    ],
)
def test_refuses_bad_names(tmp_path: Path, name: str, package: str | None, message: str) -> None:
    with pytest.raises(ProjectError, match=message):
        create_project(name, package_name=package, directory=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_refuses_an_unknown_starter_with_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="Did you mean 'demo'"):
        create_project("x", starter="dmeo", directory=tmp_path)


def test_a_failed_creation_removes_the_half_written_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real = template._write_new

    def failing(path: Path, text: str) -> Path:
        calls.append(path)
        if len(calls) == 5:
            raise OSError("disk full")
        return real(path, text)

    monkeypatch.setattr(template, "_write_new", failing)
    with pytest.raises(OSError, match="disk full"):
        create_project("Mill Empty", directory=tmp_path)
    assert list(tmp_path.iterdir()) == []


# -- pipeline folders ---------------------------------------------------------------------


def test_create_pipeline_folder_writes_a_working_pipeline(empty_project: Path) -> None:
    meta = find_project(empty_project)
    written = create_pipeline_folder(meta, "reporting")
    package = empty_project / "src" / "mill_empty" / "pipelines" / "reporting"
    assert written == [
        package / "__init__.py",
        package / "nodes.py",
        package / "pipeline.py",
        empty_project / "conf" / "base" / "parameters_reporting.yml",
        empty_project / "tests" / "pipelines" / "reporting" / "test_pipeline.py",
    ]
    test_text = written[-1].read_text(encoding="utf-8")
    assert "from mill_empty.pipelines.reporting import create_pipeline" in test_text
    registry = PipelineRegistry(meta)
    assert registry.names() == ["__default__", "hello", "reporting"]
    assert isinstance(registry["reporting"], Pipeline)
    with Session.create(empty_project) as session:  # the default pipeline still runs
        assert session.run() == {"greeting": "Hello, world!"}
    result = run_generated_tests(empty_project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_create_pipeline_folder_adds_a_missing_pipelines_package(empty_project: Path) -> None:
    (empty_project / "src" / "mill_empty" / "pipelines" / "__init__.py").unlink()
    written = create_pipeline_folder(find_project(empty_project), "extra")
    assert written[0] == empty_project / "src" / "mill_empty" / "pipelines" / "__init__.py"
    assert len(written) == 6


def test_create_pipeline_folder_refuses_an_existing_pipeline(empty_project: Path) -> None:
    meta = find_project(empty_project)
    (empty_project / "conf" / "base" / "parameters_report.yml").write_text("a: 1\n")
    before = files_under(empty_project)
    for name, existing in [("hello", "pipelines/hello"), ("report", "parameters_report.yml")]:
        with pytest.raises(ProjectError, match=f"Pipeline '{name}' already exists") as caught:
            create_pipeline_folder(meta, name)
        assert str(caught.value.path).endswith(existing)
    assert files_under(empty_project) == before


@pytest.mark.parametrize("name", ["1abc", "class", "_private", "__default__", "my-pipe", ""])
def test_create_pipeline_folder_refuses_invalid_names(empty_project: Path, name: str) -> None:
    with pytest.raises(ProjectError, match="not a valid pipeline name"):
        create_pipeline_folder(find_project(empty_project), name)


def test_invalid_pipeline_name_suggests_a_valid_one(empty_project: Path) -> None:
    with pytest.raises(ProjectError, match="Try 'my_pipe'"):
        create_pipeline_folder(find_project(empty_project), "My-Pipe")


# -- the demo starter ---------------------------------------------------------------------


@pytest.fixture
def demo_project(tmp_path: Path) -> Path:
    for module in ("sklearn", "pandas", "pyarrow", "openpyxl", "matplotlib"):
        pytest.importorskip(module)
    return create_project("Mill Demo", starter="demo", directory=tmp_path)


def test_demo_project_runs_end_to_end(demo_project: Path) -> None:
    with Session.create(demo_project) as session:
        assert session.pipelines.names() == [
            "__default__",
            "data_generation",
            "data_processing",
            "data_science",
        ]
        session.run()
    data = demo_project / "data"
    for raw in ("companies.csv", "reviews.csv", "shuttles.xlsx"):
        assert (data / "01_raw" / raw).is_file()
    assert (data / "05_model_input" / "model_input_table.parquet").is_file()
    for candidate in ("linear_regression", "random_forest"):
        [metrics_file] = (data / "08_reporting" / candidate).glob("metrics.json/*/metrics.json")
        metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
        assert set(metrics) == {"r2", "mae", "rmse", "test_rows"}
        assert metrics["r2"] > 0.5  # the generated price depends on the features
        assert list((data / "06_models" / candidate).glob("regressor.pkl/*/regressor.pkl"))
    [chart] = (data / "08_reporting").glob("model_comparison.png/*/model_comparison.png")
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_demo_data_is_the_same_for_the_same_seed(demo_project: Path) -> None:
    raw = demo_project / "data" / "01_raw"
    with Session.create(demo_project) as session:
        session.run("data_generation")
        first = (raw / "companies.csv").read_bytes(), (raw / "reviews.csv").read_bytes()
        session.run("data_generation")
        assert ((raw / "companies.csv").read_bytes(), (raw / "reviews.csv").read_bytes()) == first
    with Session.create(demo_project, runtime_params={"data_generation.seed": 1}) as session:
        session.run("data_generation")
    assert (raw / "reviews.csv").read_bytes() != first[1]


def test_one_demo_candidate_runs_alone(demo_project: Path) -> None:
    with Session.create(demo_project) as session:
        session.run(to_outputs=["random_forest.metrics"])
    reporting = demo_project / "data" / "08_reporting"
    assert list(reporting.glob("random_forest/metrics.json/*/metrics.json"))
    assert not (reporting / "linear_regression").exists()


def test_demo_project_tests_pass(demo_project: Path) -> None:
    result = run_generated_tests(demo_project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed" in result.stdout


# -- generated code quality ---------------------------------------------------------------

RUFF = Path(sys.executable).parent / "ruff"


@pytest.mark.skipif(not RUFF.is_file(), reason="needs ruff next to the interpreter")
@pytest.mark.parametrize("starter", ["empty", "demo"])
def test_generated_code_passes_ruff_with_its_own_settings(tmp_path: Path, starter: str) -> None:
    root = create_project("Mill New", starter=starter, directory=tmp_path)
    create_pipeline_folder(find_project(root), "reporting")
    for command in (["check", "--no-cache", "."], ["format", "--no-cache", "--check", "."]):
        result = subprocess.run(
            [str(RUFF), *command], cwd=root, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
