"""Plot and image datasets: matplotlib (write-only), plotly (JSON and HTML), pillow."""

from __future__ import annotations

import io
import os
import pickle
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fsspec
import matplotlib
import plotly.graph_objects as go  # type: ignore[import-untyped]
import pytest
import yaml
from matplotlib.figure import Figure
from PIL import Image

from datamill._processes import MACHINE_TAG
from datamill.datasets.matplotlib import FigureDataset as MatplotlibDataset
from datamill.datasets.pillow import ImageDataset
from datamill.datasets.plotly import FigureDataset as PlotlyDataset
from datamill.errors import DatasetError
from datamill.io import AbstractDataset, TypeRegistry, discard_abandoned_writes
from datamill.testing import DatasetFactory, FileDatasetContract
from tests.io.test_abandoned_writes import dead_pid, kill_while_saving, temp_name
from tests.resources.docs import yaml_example

SIGNATURES = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-", "svg": b"<?xml"}


def read_bytes(url: str) -> bytes:
    with fsspec.open(url, "rb") as stream:
        data: bytes = stream.read()
    return data


def listing(url: str) -> list[str]:
    fs, path = fsspec.core.url_to_fs(url)
    return sorted(os.path.relpath(p, path) for p in fs.find(path))


def line_figure(values: tuple[float, ...] = (1, 3, 2), **kwargs: Any) -> Figure:
    """A matplotlib figure made without pyplot (nothing global is touched)."""
    figure = Figure(**kwargs)
    figure.add_subplot().plot(values)
    return figure


class BrokenFigure(Figure):
    """A figure whose rendering fails, as a bad label or a full disk would make it."""

    def savefig(self, *args: Any, **kwargs: Any) -> None:
        raise ValueError("cannot render this figure")


# -- matplotlib: saving ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["png", "pdf", "svg"])
def test_matplotlib_saves_in_the_format_of_the_extension(root: str, fmt: str) -> None:
    dataset = MatplotlibDataset(f"{root}/plot.{fmt}")
    dataset.save(line_figure())

    assert read_bytes(f"{root}/plot.{fmt}").startswith(SIGNATURES[fmt])
    assert dataset.exists() is True


def test_matplotlib_save_args_reach_savefig(tmp_path: Path) -> None:
    path = tmp_path / "plot.png"
    MatplotlibDataset(str(path), save_args={"dpi": 50}).save(line_figure(figsize=(4, 2)))

    with Image.open(path) as image:
        assert image.size == (200, 100)


def test_matplotlib_format_can_be_given_with_a_matching_extension(tmp_path: Path) -> None:
    path = tmp_path / "plot.jpeg"
    MatplotlibDataset(str(path), save_args={"format": "JPG"}).save(line_figure())

    assert path.read_bytes().startswith(b"\xff\xd8")


def test_matplotlib_format_contradicting_the_extension_is_refused() -> None:
    with pytest.raises(DatasetError, match=r"format 'svg' contradicts the file extension '\.png'"):
        MatplotlibDataset("plot.png", save_args={"format": "svg"})


def test_matplotlib_unknown_format_suggests_the_closest() -> None:
    with pytest.raises(DatasetError, match=r"unknown save_args format 'pnj'\. Did you mean 'png'"):
        MatplotlibDataset("plots", save_args={"format": "pnj"})


def test_matplotlib_close_must_be_a_boolean() -> None:
    with pytest.raises(DatasetError, match=r"close must be true or false, got 'yes'"):
        MatplotlibDataset("plot.png", save_args={"close": "yes"})


def test_matplotlib_refuses_what_is_not_a_figure(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"saves a matplotlib Figure, got str"):
        MatplotlibDataset(str(tmp_path / "plot.png")).save("not a figure")  # type: ignore[arg-type]


def test_matplotlib_refuses_several_figures_for_one_file(tmp_path: Path) -> None:
    dataset = MatplotlibDataset(str(tmp_path / "plot.png"))

    with pytest.raises(DatasetError, match=r"one figure to one file, got 2 in a list"):
        dataset.save([line_figure(), line_figure()])
    assert not dataset.exists()


# -- matplotlib: folders of figures ----------------------------------------------------------


def test_matplotlib_saves_a_dict_as_named_files(root: str) -> None:
    MatplotlibDataset(f"{root}/plots").save({"loss": line_figure(), "accuracy": line_figure()})

    assert listing(f"{root}/plots") == ["accuracy.png", "loss.png"]
    assert read_bytes(f"{root}/plots/loss.png").startswith(SIGNATURES["png"])


def test_matplotlib_saves_a_list_as_numbered_files_in_the_format_given(root: str) -> None:
    dataset = MatplotlibDataset(f"{root}/plots", save_args={"format": "svg"})
    dataset.save([line_figure(), line_figure(), line_figure()])

    assert listing(f"{root}/plots") == ["0.svg", "1.svg", "2.svg"]
    assert read_bytes(f"{root}/plots/2.svg").startswith(SIGNATURES["svg"])


def test_matplotlib_folder_refuses_a_single_figure(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"folder of figures .* got a single Figure"):
        MatplotlibDataset(str(tmp_path / "plots")).save(line_figure())


@pytest.mark.parametrize("name", ["", ".hidden", "a/b", "..", 3])
def test_matplotlib_folder_refuses_names_that_are_not_file_names(tmp_path: Path, name: Any) -> None:
    with pytest.raises(DatasetError, match="cannot name files after"):
        MatplotlibDataset(str(tmp_path / "plots")).save({name: line_figure()})
    assert not (tmp_path / "plots").exists()


def test_matplotlib_folder_refuses_an_empty_collection(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no figure to save"):
        MatplotlibDataset(str(tmp_path / "plots")).save({})


def test_matplotlib_folder_refuses_values_that_are_not_figures(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"saves matplotlib Figures, got int"):
        MatplotlibDataset(str(tmp_path / "plots")).save({"a": 1})  # type: ignore[dict-item]


# -- matplotlib: atomic writes ---------------------------------------------------------------


def test_matplotlib_a_failed_save_keeps_the_previous_file(root: str) -> None:
    MatplotlibDataset(f"{root}/plot.png").save(line_figure())
    before = read_bytes(f"{root}/plot.png")

    with pytest.raises(DatasetError, match="cannot render this figure"):
        MatplotlibDataset(f"{root}/plot.png").save(BrokenFigure())
    assert read_bytes(f"{root}/plot.png") == before


def test_matplotlib_a_failed_save_leaves_no_temporary_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError):
        MatplotlibDataset(str(tmp_path / "plot.png")).save(BrokenFigure())
    assert os.listdir(tmp_path) == []


def test_matplotlib_one_broken_figure_changes_no_file_of_the_folder(root: str) -> None:
    MatplotlibDataset(f"{root}/plots").save({"a": line_figure(), "b": line_figure()})
    before = {name: read_bytes(f"{root}/plots/{name}") for name in ("a.png", "b.png")}

    with pytest.raises(DatasetError, match="cannot render this figure"):
        MatplotlibDataset(f"{root}/plots").save({"a": line_figure((9, 9)), "b": BrokenFigure()})
    assert {name: read_bytes(f"{root}/plots/{name}") for name in before} == before


def test_matplotlib_a_failed_folder_write_is_reported_against_the_dataset(
    tmp_path: Path,
) -> None:
    (tmp_path / "plots").write_text("a file where the folder should be")

    with pytest.raises(DatasetError, match=r"Failed to save to FigureDataset\(filepath="):
        MatplotlibDataset(str(tmp_path / "plots")).save([line_figure()])


# A save of a versioned folder of three figures, stopped (waiting for stdin) once the second
# figure's file is written, before the version is complete.
STALLED_FOLDER_SAVE = """
import os, sys
from matplotlib.figure import Figure
from datamill.datasets.matplotlib import FigureDataset

synced = 0
real_fsync = os.fsync

def fsync(fd):
    global synced
    real_fsync(fd)
    synced += 1
    if synced == 2:
        print("writing", flush=True)
        sys.stdin.read()  # until the test kills this process

os.fsync = fsync
figures = {}
for name in "abc":
    figures[name] = Figure()
    figures[name].add_subplot().plot([1, 2])
FigureDataset(sys.argv[1], versioned=True, save_version="v2").save(figures)
"""


def hidden_entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_matplotlib_a_killed_versioned_folder_save_leaves_no_version(tmp_path: Path) -> None:
    plots = tmp_path / "plots"
    MatplotlibDataset(str(plots), versioned=True, save_version="v1").save({"a": line_figure()})
    pid = kill_while_saving(plots, script=STALLED_FOLDER_SAVE)

    dataset = MatplotlibDataset(str(plots), versioned=True)
    [leftover] = hidden_entries(plots)
    assert leftover.startswith(f".plots.{MACHINE_TAG}.{pid}.")
    assert sorted(os.listdir(plots / leftover)) == ["a.png", "b.png"]  # the third never came
    assert dataset.list_versions() == ["v1"]
    assert listing(str(plots)) == [f"{leftover}/a.png", f"{leftover}/b.png", "v1/plots/a.png"]

    assert discard_abandoned_writes([dataset]) == [str(plots / leftover)]
    assert listing(str(plots)) == ["v1/plots/a.png"]
    assert dataset.current_version() == "v1"


def test_matplotlib_a_failed_versioned_folder_save_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plots = tmp_path / "plots"
    MatplotlibDataset(str(plots), versioned=True, save_version="v1").save({"a": line_figure()})
    real_fsync, synced = os.fsync, []

    def disk_full_on_the_second_file(fd: int) -> None:
        synced.append(fd)
        if len(synced) == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", disk_full_on_the_second_file)
    with pytest.raises(DatasetError, match="No space left on device"):
        MatplotlibDataset(str(plots), versioned=True, save_version="v2").save(
            {"a": line_figure(), "b": line_figure()}
        )

    assert listing(str(plots)) == ["v1/plots/a.png"]
    assert hidden_entries(plots) == []


def test_matplotlib_a_version_saved_meanwhile_by_another_process_is_never_overwritten(
    tmp_path: Path,
) -> None:
    class Racing(MatplotlibDataset):
        """Another process saves the same version after this save checked it was free."""

        def _new_save_path(self) -> str:
            path = super()._new_save_path()
            os.makedirs(path)
            Path(path, "theirs.png").write_bytes(b"their figure")
            return path

    plots = tmp_path / "plots"
    with pytest.raises(DatasetError, match="versions are never overwritten"):
        Racing(str(plots), versioned=True, save_version="v1").save({"mine": line_figure()})

    assert listing(str(plots)) == ["v1/plots/theirs.png"]
    assert hidden_entries(plots) == []


def test_matplotlib_a_killed_save_into_a_plain_folder_is_swept_from_that_folder(
    tmp_path: Path,
) -> None:
    plots = tmp_path / "plots"
    dataset = MatplotlibDataset(str(plots))
    dataset.save({"a": line_figure()})
    abandoned = plots / temp_name("b.png", dead_pid())
    abandoned.write_bytes(b"half a figure")

    assert dataset.scratch_folders() == [str(plots)]
    assert discard_abandoned_writes([dataset]) == [str(abandoned)]
    assert listing(str(plots)) == ["a.png"]


@pytest.mark.parametrize("fmt", ["png", "pdf", "svg"])
def test_matplotlib_the_same_figure_gives_the_same_bytes_at_any_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    dataset = MatplotlibDataset(str(tmp_path / f"plot.{fmt}"))
    saved = []
    for epoch in ("1000000000", "2000000000"):  # matplotlib dates files from this, if set
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
        dataset.save(line_figure())
        saved.append((tmp_path / f"plot.{fmt}").read_bytes())

    assert saved[0] == saved[1]
    assert matplotlib.rcParams["svg.hashsalt"] is None  # the setting is put back


@pytest.mark.parametrize(
    ("fmt", "metadata", "key"),
    [
        ("pdf", {"CreationDate": datetime(2026, 11, 22, tzinfo=UTC)}, b"/CreationDate"),
        ("svg", {"Date": "2026-11-22"}, b"<dc:date>2026-11-22</dc:date>"),
    ],
)
def test_matplotlib_a_date_given_in_metadata_is_written(
    tmp_path: Path, fmt: str, metadata: dict[str, Any], key: bytes
) -> None:
    MatplotlibDataset(str(tmp_path / f"plain.{fmt}")).save(line_figure())
    dated = MatplotlibDataset(str(tmp_path / f"dated.{fmt}"), save_args={"metadata": metadata})
    dated.save(line_figure())

    assert key.split(b">")[0] not in (tmp_path / f"plain.{fmt}").read_bytes()
    assert key in (tmp_path / f"dated.{fmt}").read_bytes()


def test_matplotlib_svg_ids_follow_a_salt_the_user_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = MatplotlibDataset(str(tmp_path / "plot.svg"))
    monkeypatch.setitem(matplotlib.rcParams, "svg.hashsalt", "mine")
    dataset.save(line_figure())
    mine = (tmp_path / "plot.svg").read_bytes()
    monkeypatch.setitem(matplotlib.rcParams, "svg.hashsalt", "theirs")
    dataset.save(line_figure())

    assert (tmp_path / "plot.svg").read_bytes() != mine
    assert matplotlib.rcParams["svg.hashsalt"] == "theirs"


# -- matplotlib: versions, fingerprints, description, pickling -------------------------------


def test_matplotlib_versions_of_a_file(root: str) -> None:
    def make(version: str | None) -> MatplotlibDataset:
        return MatplotlibDataset(f"{root}/plot.png", versioned=True, save_version=version)

    make("v1").save(line_figure())
    make("v2").save(line_figure((5, 1)))

    assert make(None).list_versions() == ["v1", "v2"]
    assert read_bytes(f"{root}/plot.png/v2/plot.png").startswith(SIGNATURES["png"])
    with pytest.raises(DatasetError, match="never overwritten"):
        make("v2").save(line_figure())


def test_matplotlib_versions_of_a_folder(root: str) -> None:
    def make(version: str | None) -> MatplotlibDataset:
        return MatplotlibDataset(f"{root}/plots", versioned=True, save_version=version)

    make("v1").save({"a": line_figure()})
    make("v2").save({"b": line_figure()})

    assert make(None).list_versions() == ["v1", "v2"]
    assert listing(f"{root}/plots") == ["v1/plots/a.png", "v2/plots/b.png"]
    with pytest.raises(DatasetError, match="never overwritten"):
        make("v1").save({"c": line_figure()})


@pytest.mark.parametrize("filepath", ["plot.png", "plots"])
def test_matplotlib_fingerprint_follows_the_content(root: str, filepath: str) -> None:
    dataset = MatplotlibDataset(f"{root}/{filepath}")
    one = line_figure((1, 2)) if filepath.endswith(".png") else [line_figure((1, 2))]
    two = line_figure((2, 1)) if filepath.endswith(".png") else [line_figure((2, 1))]

    assert dataset.fingerprint() is None
    dataset.save(one)
    first = dataset.fingerprint()
    dataset.save(one)
    assert dataset.fingerprint() == first
    dataset.save(two)
    assert dataset.fingerprint() not in (None, first)


def test_matplotlib_versioned_folder_without_versions_has_no_fingerprint(root: str) -> None:
    assert MatplotlibDataset(f"{root}/plots", versioned=True).fingerprint() is None


def test_matplotlib_describe_and_repr(tmp_path: Path) -> None:
    path = str(tmp_path / "plot.png")
    dataset = MatplotlibDataset(path, save_args={"dpi": 72}, credentials={"token": "s3cr3t"})

    assert dataset.describe()["save_args"] == {"dpi": 72}
    assert repr(dataset).startswith(f"FigureDataset(filepath={path!r}")
    assert "s3cr3t" not in repr(dataset)


def test_matplotlib_pickled_dataset_still_saves(root: str) -> None:
    dataset = MatplotlibDataset(f"{root}/plots", save_args={"format": "pdf", "close": False})
    restored = pickle.loads(pickle.dumps(dataset))
    restored.save({"a": line_figure()})

    assert type(restored) is MatplotlibDataset
    assert restored.describe() == dataset.describe()
    assert read_bytes(f"{root}/plots/a.pdf").startswith(SIGNATURES["pdf"])


# -- matplotlib: loading is refused ----------------------------------------------------------


@pytest.mark.parametrize(
    ("filepath", "hint"),
    [("plot.png", "pillow.ImageDataset with the same filepath"), ("plots", "PartitionedDataset")],
)
def test_matplotlib_load_says_figures_are_write_only(
    tmp_path: Path, filepath: str, hint: str
) -> None:
    dataset = MatplotlibDataset(str(tmp_path / filepath))
    dataset.save(line_figure() if filepath.endswith(".png") else [line_figure()])

    with pytest.raises(DatasetError, match="is write-only") as caught:
        dataset.load()
    assert hint in str(caught.value)


def test_a_saved_figure_reads_back_with_the_image_dataset(root: str) -> None:
    MatplotlibDataset(f"{root}/plot.png", save_args={"dpi": 10}).save(line_figure((1, 2)))

    image = ImageDataset(f"{root}/plot.png").load()
    assert image.size == (64, 48)  # matplotlib's default 6.4 x 4.8 inches at 10 dpi


# -- matplotlib: pyplot and backends ---------------------------------------------------------


@pytest.fixture
def pyplot() -> Iterator[Any]:
    """matplotlib.pyplot on the non-interactive Agg backend, with every figure closed after."""
    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_matplotlib_closes_pyplot_figures_after_saving_by_default(
    tmp_path: Path, pyplot: Any
) -> None:
    figure, axes = pyplot.subplots()
    axes.plot([1, 2])
    MatplotlibDataset(str(tmp_path / "plot.png")).save(figure)

    assert figure.number not in pyplot.get_fignums()
    assert (tmp_path / "plot.png").exists()


def test_matplotlib_keeps_pyplot_figures_open_when_asked(tmp_path: Path, pyplot: Any) -> None:
    figures = {"a": pyplot.figure(), "b": pyplot.figure()}
    MatplotlibDataset(str(tmp_path / "plots"), save_args={"close": False}).save(figures)

    assert {f.number for f in figures.values()} <= set(pyplot.get_fignums())


def test_matplotlib_keeps_figures_open_when_the_save_fails(tmp_path: Path, pyplot: Any) -> None:
    figure = pyplot.figure()
    with pytest.raises(DatasetError):
        MatplotlibDataset(str(tmp_path / "plots")).save([figure, BrokenFigure()])

    assert figure.number in pyplot.get_fignums()


def test_importing_the_matplotlib_dataset_imports_no_pyplot() -> None:
    code = textwrap.dedent(
        """
        import sys
        import datamill.datasets.matplotlib
        print("matplotlib.pyplot" in sys.modules, "matplotlib" in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.split() == ["False", "True"]


# -- plotly ----------------------------------------------------------------------------------


def bar_chart(values: tuple[int, ...] = (3, 1, 2), title: str = "sales") -> Any:
    return go.Figure(go.Bar(x=["a", "b", "c"], y=list(values)), layout={"title": {"text": title}})


class TestPlotlyJSONDataset(FileDatasetContract):
    @pytest.fixture
    def make_versioned(self, root: str) -> Callable[..., Any]:
        return lambda **kw: PlotlyDataset(f"{root}/chart.json", versioned=True, **kw)

    @pytest.fixture
    def make_dataset(self, root: str) -> DatasetFactory:
        return lambda: PlotlyDataset(f"{root}/chart.json")

    @pytest.fixture
    def sample_data(self) -> Any:
        return bar_chart()

    @pytest.fixture
    def other_data(self) -> Any:
        return go.Figure(go.Scatter(x=[1.5, 2.5], y=[0.1, 0.2], mode="lines"))

    def assert_same_data(self, loaded: Any, expected: Any) -> None:
        assert isinstance(loaded, go.Figure)
        assert loaded.to_plotly_json() == expected.to_plotly_json()


def test_plotly_json_args_reach_plotly(tmp_path: Path) -> None:
    path = tmp_path / "chart.json"
    dataset = PlotlyDataset(str(path), save_args={"pretty": True})
    dataset.save(bar_chart())

    assert path.read_text().startswith("{\n")


def test_plotly_html_is_a_page_that_works_offline(root: str) -> None:
    PlotlyDataset(f"{root}/chart.html").save(bar_chart())
    page = read_bytes(f"{root}/chart.html").decode("utf-8")

    assert page.lstrip().lower().startswith("<!doctype html>")
    assert "Plotly.newPlot" in page
    assert re.search(r"<script[^>]*\ssrc=", page) is None  # nothing fetched from a server
    assert len(page) > 1_000_000  # plotly.js itself is embedded


def test_plotly_html_can_load_plotly_js_from_a_cdn(tmp_path: Path) -> None:
    path = tmp_path / "chart.htm"
    PlotlyDataset(str(path), save_args={"include_plotlyjs": "cdn"}).save(bar_chart())
    page = path.read_text()

    assert "https://cdn.plot.ly/" in page
    assert len(page) < 100_000


def test_plotly_html_of_an_unchanged_figure_is_identical(tmp_path: Path) -> None:
    dataset = PlotlyDataset(str(tmp_path / "chart.html"), save_args={"include_plotlyjs": False})
    dataset.save(bar_chart())
    first = dataset.fingerprint()
    dataset.save(bar_chart())
    assert dataset.fingerprint() == first
    dataset.save(bar_chart(title="other"))
    assert dataset.fingerprint() != first


def test_plotly_html_keeps_a_div_id_that_is_given(tmp_path: Path) -> None:
    path = tmp_path / "chart.html"
    options = {"include_plotlyjs": False, "div_id": "sales"}
    PlotlyDataset(str(path), save_args=options).save(bar_chart())

    assert 'id="sales"' in path.read_text()


def test_plotly_html_is_write_only(tmp_path: Path) -> None:
    dataset = PlotlyDataset(str(tmp_path / "chart.html"), save_args={"include_plotlyjs": False})
    dataset.save(bar_chart())

    assert dataset.exists() is True
    with pytest.raises(DatasetError, match=r"HTML page, which is write-only.*ends in \.json"):
        dataset.load()


def test_plotly_html_versions(root: str) -> None:
    def make(**kw: Any) -> PlotlyDataset:
        options = {"include_plotlyjs": False}
        return PlotlyDataset(f"{root}/chart.html", versioned=True, save_args=options, **kw)

    make(save_version="v1").save(bar_chart())
    make(save_version="v2").save(bar_chart((1, 1, 1)))

    assert make().list_versions() == ["v1", "v2"]


def test_plotly_needs_a_json_or_html_extension() -> None:
    with pytest.raises(DatasetError, match=r"in a '\.png' file\. End the filepath in \.json"):
        PlotlyDataset("chart.png")


def test_plotly_refuses_what_is_not_a_figure(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"saves a plotly Figure, got dict"):
        PlotlyDataset(str(tmp_path / "chart.json")).save({"data": []})
    assert not (tmp_path / "chart.json").exists()


# -- pillow ----------------------------------------------------------------------------------


def gradient(size: tuple[int, int] = (16, 8)) -> Image.Image:
    """An RGB image whose every pixel differs from its neighbours."""
    image = Image.new("RGB", size)
    image.putdata(
        [(x * 16 % 256, y * 32 % 256, 128) for y in range(size[1]) for x in range(size[0])]
    )
    return image


def same_image(loaded: Any, expected: Image.Image) -> bool:
    assert isinstance(loaded, Image.Image)
    return (loaded.mode, loaded.size, loaded.tobytes()) == (
        expected.mode,
        expected.size,
        expected.tobytes(),
    )


class TestImageDataset(FileDatasetContract):
    @pytest.fixture
    def make_versioned(self, root: str) -> Callable[..., Any]:
        return lambda **kw: ImageDataset(f"{root}/photo.png", versioned=True, **kw)

    @pytest.fixture
    def make_dataset(self, root: str) -> DatasetFactory:
        return lambda: ImageDataset(f"{root}/photo.png")

    @pytest.fixture
    def sample_data(self) -> Any:
        return gradient()

    @pytest.fixture
    def other_data(self) -> Any:
        return Image.new("L", (3, 5), color=200)

    def assert_same_data(self, loaded: Any, expected: Any) -> None:
        assert same_image(loaded, expected)


def test_pillow_format_from_the_extension(tmp_path: Path) -> None:
    dataset = ImageDataset(str(tmp_path / "photo.jpg"), save_args={"quality": 95})
    dataset.save(gradient())
    loaded = dataset.load()

    assert (loaded.format, loaded.size, loaded.mode) == ("JPEG", (16, 8), "RGB")


def test_pillow_format_from_save_args(tmp_path: Path) -> None:
    path = tmp_path / "photo.img"
    ImageDataset(str(path), save_args={"format": "webp", "lossless": True}).save(gradient())

    assert path.read_bytes()[8:12] == b"WEBP"
    assert same_image(ImageDataset(str(path)).load(), gradient())


def test_pillow_without_a_format_says_how_to_give_one(tmp_path: Path) -> None:
    dataset = ImageDataset(str(tmp_path / "photo.img"))

    with pytest.raises(DatasetError, match=r"cannot tell the image format.*format: PNG"):
        dataset.save(gradient())
    assert os.listdir(tmp_path) == []


def test_pillow_format_contradicting_the_extension_is_refused() -> None:
    with pytest.raises(DatasetError, match=r"format 'JPEG' contradicts .* means PNG"):
        ImageDataset("photo.png", save_args={"format": "JPEG"})


def test_pillow_unknown_format_suggests_the_closest() -> None:
    with pytest.raises(DatasetError, match=r"cannot write format 'pngg'\. Did you mean 'PNG'"):
        ImageDataset("photo", save_args={"format": "pngg"})


def test_pillow_refuses_to_write_a_read_only_format(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"Pillow reads PSD files but cannot write them"):
        ImageDataset(str(tmp_path / "art.psd")).save(gradient())


def test_pillow_refuses_what_is_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"saves a PIL\.Image\.Image, got bytes"):
        ImageDataset(str(tmp_path / "photo.png")).save(b"\x89PNG")  # type: ignore[arg-type]


def test_pillow_load_args_restrict_the_formats(tmp_path: Path) -> None:
    ImageDataset(str(tmp_path / "photo.png")).save(gradient())

    with pytest.raises(DatasetError, match="cannot identify image file"):
        ImageDataset(str(tmp_path / "photo.png"), load_args={"formats": ["JPEG"]}).load()


def test_pillow_loads_every_frame_of_an_animation(root: str) -> None:
    frames = [Image.new("RGB", (4, 4), color=c) for c in ("red", "lime", "blue")]
    options = {"save_all": True, "append_images": frames[1:], "duration": 100}
    ImageDataset(f"{root}/anim.gif", save_args=options).save(frames[0])

    loaded = ImageDataset(f"{root}/anim.gif").load()
    assert getattr(loaded, "n_frames", 1) == 3
    loaded.seek(2)
    assert loaded.convert("RGB").getpixel((0, 0)) == (0, 0, 255)


def test_pillow_reports_a_damaged_file_on_load(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    gradient(size=(16, 64)).save(buffer, format="PNG")
    (tmp_path / "photo.png").write_bytes(buffer.getvalue()[:-40])

    with pytest.raises(DatasetError, match=r"Failed to load ImageDataset"):
        ImageDataset(str(tmp_path / "photo.png")).load()


# -- documentation ---------------------------------------------------------------------------

DOCUMENTED = [MatplotlibDataset, PlotlyDataset, ImageDataset]


@pytest.mark.parametrize("cls", DOCUMENTED, ids=lambda cls: cls.__module__)
def test_the_docstring_yaml_example_is_a_valid_catalog_entry(cls: type) -> None:
    entry = yaml_example(cls)

    assert TypeRegistry().resolve(entry.pop("type"), "example") is cls
    dataset = cls(**entry)
    assert isinstance(dataset, AbstractDataset)
    assert dataset.describe()["filepath"] == entry["filepath"]


GUIDE = Path(__file__).parents[2] / "docs" / "datasets" / "plots-images.md"


def test_every_catalog_entry_in_the_user_guide_builds_a_dataset() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)
    entries = {name: e for block in blocks for name, e in yaml.safe_load(block).items()}

    assert len(entries) >= 8
    for name, entry in entries.items():
        cls = TypeRegistry().resolve(entry.pop("type"), name)
        assert isinstance(cls(**entry), AbstractDataset), name
