"""Sessions end to end: configuration, slicing, environments, hooks, versions, load_catalog."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from datamill.errors import (
    ConfigError,
    DatamillError,
    DatasetError,
    ProjectError,
    RunnerError,
)
from datamill.project import Session, load_catalog
from tests.project.conftest import PACKAGE, Project
from tests.resources.plugins import write_distribution


def test_run_end_to_end_from_a_nested_folder(project: Project) -> None:
    with Session.create(project.package_dir / "pipelines") as session:
        outputs = session.run()
    # factor 2 from conf/base, offset 100 from conf/local (the default environment)
    assert project.read_json("data/02_intermediate/cleaned.json") == [102, 104, 106]
    assert outputs == {"total": 312}


def test_running_one_pipeline_imports_only_it(project: Project) -> None:
    with Session.create(project.root) as session:
        assert session.run("data_processing") == {"total": 312}
    assert f"{PACKAGE}.pipelines.data_processing" in sys.modules
    assert f"{PACKAGE}.pipelines.reporting" not in sys.modules


def test_env_override(project: Project) -> None:
    with Session.create(project.root, env="test") as session:
        assert session.env == "test"
        assert session.params == {"factor": 2, "offset": 7}
        assert session.run("data_processing") == {"total": 33}


def test_runtime_params_override(project: Project) -> None:
    with Session.create(project.root, runtime_params={"factor": 10}) as session:
        assert session.run("data_processing") == {"total": 360}


def test_default_env_from_settings(project: Project) -> None:
    project.write_package("settings.py", "DEFAULT_ENV = 'test'\n")
    with Session.create(project.root) as session:
        assert session.params["offset"] == 7


def test_conf_source_from_settings(project: Project) -> None:
    (project.root / "conf").rename(project.root / "config")
    project.write_package("settings.py", "CONF_SOURCE = 'config'\n")
    with Session.create(project.root) as session:
        assert session.config_loader.conf_source == project.root.resolve() / "config"
        assert session.params["offset"] == 100


def test_missing_conf_is_a_config_error(project: Project) -> None:
    (project.root / "conf").rename(project.root / "config")
    with pytest.raises(ConfigError, match="No configuration folder"):
        Session.create(project.root)


@pytest.mark.parametrize(
    ("options", "outputs", "cleaned"),
    [
        ({"node_names": ["scale"]}, {}, [102, 104, 106]),
        ({"tags": ["sum"]}, {"total": 300}, [100, 200]),
        ({"from_nodes": ["total"]}, {"total": 300}, [100, 200]),
        ({"to_nodes": ["scale"]}, {}, [102, 104, 106]),
        ({"from_inputs": ["cleaned"]}, {"total": 300}, [100, 200]),
        ({"to_outputs": ["cleaned"]}, {}, [102, 104, 106]),
        ({"tags": ["prep", "sum"], "to_nodes": ["scale"]}, {}, [102, 104, 106]),
    ],
)
def test_slicing(
    project: Project, options: dict[str, Any], outputs: dict[str, Any], cleaned: list[int]
) -> None:
    project.write("data/02_intermediate/cleaned.json", "[100, 200]")
    with Session.create(project.root) as session:
        assert session.run("data_processing", **options) == outputs
    assert project.read_json("data/02_intermediate/cleaned.json") == cleaned


def test_slicing_by_namespace(project: Project) -> None:
    project.write_package(
        "pipeline_registry.py",
        f"""\
        from datamill import pipeline
        from {PACKAGE}.pipelines import reporting


        def register_pipelines():
            qa = pipeline(reporting.create_pipeline(), namespace="qa", inputs={{"cleaned"}})
            return {{"qa": qa + pipeline(qa, namespace="extra", inputs={{"cleaned"}})}}
        """,
    )
    project.write("data/02_intermediate/cleaned.json", "[5, 9]")
    with Session.create(project.root) as session:
        assert session.run("qa", namespaces=["qa"]) == {
            "qa.metrics": {"n": 2},
            "qa.report": {"max": 9},
        }
        with pytest.raises(RunnerError, match="--namespaces: namespace 'nowhere' is not in"):
            session.run("qa", namespaces=["nowhere"])


def test_executor_from_settings_and_argument(project: Project) -> None:
    project.write_package("settings.py", "EXECUTOR = 'thread'\nWORKERS = 2\n")
    with Session.create(project.root) as session:
        assert session.run("data_processing") == {"total": 312}
        assert session.run("data_processing", executor="sequential") == {"total": 312}
        assert session.run("data_processing", workers=1) == {"total": 312}
        with pytest.raises(DatamillError, match="Unknown executor 'thred'"):
            session.run("data_processing", executor="thred")


def test_unknown_pipeline(project: Project) -> None:
    with (
        Session.create(project.root) as session,
        pytest.raises(ProjectError, match="Did you mean 'data_processing'"),
    ):
        session.run("data_procesing")


def test_hooks_from_settings_fire(project: Project) -> None:
    project.write_package(
        "settings.py", f"from {PACKAGE}.hooks import Recorder\nHOOKS = [Recorder()]\n"
    )
    with Session.create(project.root) as session:
        session.run("data_processing")
        recorder: Any = session.settings.hooks[0]
    assert recorder.events == ["catalog", "scale", "total"]


def test_one_save_version_per_run(project: Project) -> None:
    reports = project.root / "data" / "08_reporting"
    with Session.create(project.root) as session:
        session.run()
        session.run("reporting", force=True)
    report_versions = sorted(p.name for p in (reports / "report.json").iterdir())
    metrics_versions = sorted(p.name for p in (reports / "metrics.json").iterdir())
    assert len(report_versions) == 2
    assert report_versions == metrics_versions
    latest = reports / "report.json" / report_versions[-1] / "report.json"
    assert latest.read_text(encoding="utf-8").replace(" ", "").replace("\n", "") == '{"max":106}'


def test_load_versions(project: Project) -> None:
    with Session.create(project.root) as session:
        session.run()
        first = sorted(p.name for p in (project.root / "data/08_reporting/report.json").iterdir())
        catalog = session.catalog(load_versions={"report": first[0]})
    assert catalog.load("report") == {"max": 106}


def test_closed_session_refuses_to_run(project: Project) -> None:
    session = Session.create(project.root)
    session.close()
    session.close()  # idempotent
    with pytest.raises(ProjectError, match="This session is closed"):
        session.run()


def test_load_catalog(project: Project) -> None:
    catalog = load_catalog(project.root / "src")
    assert catalog.load("raw") == [1, 2, 3]
    assert catalog.load("params:offset") == 100
    assert load_catalog(project.root, env="test").load("params:offset") == 7


def test_credentials_come_from_the_environment(project: Project) -> None:
    project.write(
        "conf/base/catalog_extra.yml",
        "secure:\n  type: MemoryDataset\n  credentials: store\n",
    )
    # References are checked when the catalog is built: without conf/local/credentials.yml
    # the reference is unknown; with it, the catalog builds.
    with pytest.raises(DatasetError, match="store"):
        load_catalog(project.root)
    project.write("conf/local/credentials.yml", "store: {token: secret}\n")
    assert "secure" in load_catalog(project.root)


def test_relative_paths_resolve_against_the_project_root(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    catalog = load_catalog(project.root)
    assert catalog.load("raw") == [1, 2, 3]
    assert not (tmp_path / "data").exists()


def test_disabled_plugins_are_not_loaded(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    write_distribution(
        site,
        "millplugin_on",
        """\
        from datamill import hook_impl

        class Hooks:
            calls = []

            @hook_impl
            def before_pipeline_run(self):
                self.calls.append("on")

        hooks = Hooks()
        """,
        "datamill.hooks",
        {"on": "millplugin_on:hooks"},
    )
    write_distribution(
        site / "off",
        "millplugin_off",
        "raise RuntimeError('a disabled plugin must not be imported')\n",
        "datamill.hooks",
        {"off": "millplugin_off:hooks"},
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(site / "off"))
    project.write_package("settings.py", "DISABLE_HOOKS_FOR_PLUGINS = ['millplugin-off']\n")
    with Session.create(project.root) as session:
        session.run("data_processing")
    assert sys.modules["millplugin_on"].hooks.calls == ["on"]
    assert "millplugin_off" not in sys.modules
