"""Which installed distribution provides a library module, found without parsing every
distribution's metadata."""

from __future__ import annotations

import importlib.metadata
import re
import sys
from pathlib import Path

import pytest

from datamill.runner._fingerprint_origins import Origins, installed_packages


def normalised(names: list[str]) -> list[str]:
    return sorted(re.sub(r"[-_.]+", "-", name).lower() for name in names)


def test_installed_packages_agree_with_importlib_metadata_for_this_environment() -> None:
    expected = importlib.metadata.packages_distributions()
    found = installed_packages()

    assert len(expected) > 20  # the dev environment: pandas, pyarrow, fsspec, yaml, ...
    assert {top: normalised(found.get(top, [])) for top in expected} == {
        top: normalised(names) for top, names in expected.items()
    }


def write_distribution(site: Path, folder: str, files: dict[str, str]) -> None:
    (site / folder).mkdir(parents=True)
    for name, text in files.items():
        (site / folder / name).write_text(text, encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A site folder on sys.path holding hand-written distribution metadata."""
    site = tmp_path / "site-packages"
    write_distribution(site, "PyFancy-2.0.dist-info", {"top_level.txt": "fancy\n_fancy\n"})
    record = (
        "toolkit/__init__.py,sha256=x,10\n"
        "toolkit/sub/mod.py,sha256=y,20\n"
        "onefile.py,sha256=z,30\n"
        "_speedups.cpython-311-x86_64-linux-gnu.so,sha256=w,40\n"
        "tool_kit-1.3.dist-info/RECORD,,\n"
        "../../bin/toolkit,sha256=v,50\n"
    )
    write_distribution(site, "tool_kit-1.3.dist-info", {"RECORD": record})
    write_distribution(site, "Legacy-0.9-py3.11.egg-info", {"top_level.txt": "legacy"})
    write_distribution(site, "empty-1.0.dist-info", {})
    monkeypatch.setattr(sys, "path", [str(site), str(site / "missing"), *sys.path])
    return site


def test_top_levels_come_from_top_level_txt_else_from_the_record(site: Path) -> None:
    found = installed_packages()

    assert found["fancy"] == ["PyFancy"]
    assert found["_fancy"] == ["PyFancy"]
    assert found["toolkit"] == ["tool_kit"]
    assert found["onefile"] == ["tool_kit"]
    assert found["_speedups"] == ["tool_kit"]
    assert found["legacy"] == ["Legacy"]
    assert "sub" not in found
    assert ".." not in found
    assert not [top for top in found if "dist-info" in top]


def test_a_library_is_found_without_reading_every_distributions_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # yaml is provided by PyYAML: the distribution is not named after the package.
    def everything() -> None:
        raise AssertionError("packages_distributions() parses every distribution's metadata")

    monkeypatch.setattr(importlib.metadata, "packages_distributions", everything)

    assert Origins().libraries("yaml.loader") == (
        ("lib:pyyaml", importlib.metadata.version("PyYAML")),
    )


def test_a_package_without_readable_metadata_falls_back_to_importlib_metadata(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def everything() -> dict[str, list[str]]:
        calls.append(1)
        return {"zipped": ["PyYAML"]}

    monkeypatch.setattr(importlib.metadata, "packages_distributions", everything)
    origins = Origins()

    assert origins.libraries("zipped.part") == (
        ("lib:pyyaml", importlib.metadata.version("PyYAML")),
    )
    assert origins.libraries("other") == (("lib:other", "unknown"),)
    assert calls == [1]
