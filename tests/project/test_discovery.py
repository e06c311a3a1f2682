"""Finding a project from any folder inside it, and the errors of a bad pyproject.toml."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from datamill.errors import DatamillError, ProjectError
from datamill.project import ProjectMetadata, ensure_importable, find_project
from tests.project.conftest import PACKAGE, Project, build_project


def test_found_from_a_nested_folder(project: Project) -> None:
    found = find_project(project.package_dir / "pipelines" / "reporting")
    assert found == ProjectMetadata(
        root=project.root.resolve(),
        package_name=PACKAGE,
        source_dir=project.root.resolve() / "src",
        conf_source=project.root.resolve() / "conf",
        project_name="mill-demo",
    )
    assert found.package_dir == project.root.resolve() / "src" / PACKAGE


def test_found_from_a_file_and_a_string(project: Project) -> None:
    assert find_project(str(project.root / "conf" / "base" / "catalog.yml")).package_name == (
        PACKAGE
    )


def test_a_pyproject_without_the_table_is_passed_over(project: Project) -> None:
    project.write("tools/pyproject.toml", '[project]\nname = "tools"\n')
    assert find_project(project.root / "tools").root == project.root.resolve()


def test_custom_folders_and_name(project: Project) -> None:
    (project.root / "src").rename(project.root / "code")
    project.write(
        "pyproject.toml",
        f"""\
        [tool.datamill]
        package_name = "{PACKAGE}"
        source_dir = "code"
        conf_source = "settings/conf"
        project_name = "Demo"
        """,
    )
    found = find_project(project.root)
    assert found.source_dir == project.root.resolve() / "code"
    assert found.conf_source == project.root.resolve() / "settings" / "conf"
    assert found.project_name == "Demo"


def test_the_root_folder_names_a_project_without_a_name(project: Project) -> None:
    project.write("pyproject.toml", f'[tool.datamill]\npackage_name = "{PACKAGE}"\n')
    assert find_project(project.root).project_name == "demo"


def test_outside_a_project(tmp_path: Path) -> None:
    with pytest.raises(ProjectError) as info:
        find_project(tmp_path)
    assert str(info.value) == (
        f"No datamill project found in {tmp_path.resolve()} or its parents: no pyproject.toml "
        "with a [tool.datamill] table. Create one with 'datamill new NAME' or cd into a project."
    )
    assert info.value.path == str(tmp_path.resolve())
    assert isinstance(info.value, DatamillError)


@pytest.mark.parametrize("name", ["my-proj", "1proj", "class", ""])
def test_package_name_must_be_an_identifier(project: Project, name: str) -> None:
    project.write("pyproject.toml", f'[tool.datamill]\npackage_name = "{name}"\n')
    with pytest.raises(ProjectError, match=r"package_name is .* not an importable") as info:
        find_project(project.root)
    assert str(project.root / "pyproject.toml") in str(info.value)
    assert info.value.path == str(project.root.resolve() / "pyproject.toml")


def test_package_name_is_required(project: Project) -> None:
    project.write("pyproject.toml", '[tool.datamill]\nsource_dir = "src"\n')
    with pytest.raises(ProjectError, match=r"package_name is missing; add package_name = "):
        find_project(project.root)


def test_unknown_key_suggests_the_closest(project: Project) -> None:
    project.write(
        "pyproject.toml", f'[tool.datamill]\npackage_name = "{PACKAGE}"\nsource_dri = "src"\n'
    )
    with pytest.raises(ProjectError, match=r"source_dri is not a datamill setting\. Did you mean"):
        find_project(project.root)


def test_missing_source_dir(project: Project) -> None:
    project.write(
        "pyproject.toml", f'[tool.datamill]\npackage_name = "{PACKAGE}"\nsource_dir = "lib"\n'
    )
    with pytest.raises(ProjectError, match=r"source_dir: folder .*lib does not exist") as info:
        find_project(project.root)
    assert info.value.path == str(project.root.resolve() / "lib")


def test_missing_package_folder(project: Project) -> None:
    project.write("pyproject.toml", '[tool.datamill]\npackage_name = "other"\n')
    with pytest.raises(ProjectError, match=r"package_name: no package folder .*other"):
        find_project(project.root)


def test_wrong_value_type(project: Project) -> None:
    project.write(
        "pyproject.toml", f'[tool.datamill]\npackage_name = "{PACKAGE}"\nsource_dir = 3\n'
    )
    with pytest.raises(ProjectError, match="source_dir must be a folder path as a string, got 3"):
        find_project(project.root)


def test_invalid_toml_names_the_file(project: Project) -> None:
    path = project.write("pyproject.toml", "[tool.datamill\n")
    with pytest.raises(ProjectError, match=re.escape(f"{path.resolve()}: cannot read it as TOML")):
        find_project(project.root)


def test_source_dir_goes_on_sys_path_once(project: Project) -> None:
    metadata = find_project(project.root)
    ensure_importable(metadata)
    ensure_importable(metadata)
    assert sys.path.count(str(metadata.source_dir)) == 1


def test_a_package_of_the_same_name_imported_elsewhere(project: Project, tmp_path: Path) -> None:
    other = build_project(tmp_path / "other")
    ensure_importable(find_project(other.root))
    __import__(PACKAGE)
    with pytest.raises(ProjectError, match=f"Package '{PACKAGE}' is already imported from"):
        ensure_importable(find_project(project.root))
