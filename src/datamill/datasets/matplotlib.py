"""Matplotlib figures saved as image files: a write-only dataset.

A figure is rendered with :meth:`matplotlib.figure.Figure.savefig`, which picks the canvas
of the file format (Agg for PNG, the PDF and SVG writers for those) whatever backend is
active. The module never imports :mod:`matplotlib.pyplot` and never selects a backend, so
it works headless, in worker processes and next to a notebook's interactive backend.

**One file or a folder.** The filepath decides, so a catalog entry always means the same
thing: a filepath ending in an image extension (``.png``, ``.svg``, ``.pdf``, ...) holds one
figure; any other filepath is a folder holding a dict or list of figures, one file each.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import IO, Any, Never, TypeAlias

from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.figure import Figure

from datamill._text import did_you_mean
from datamill.errors import DatasetError
from datamill.io._file import FileDataset

__all__ = ["FigureData", "FigureDataset"]

FigureData: TypeAlias = Figure | Mapping[str, Figure] | Sequence[Figure]
"""What :class:`FigureDataset` saves: one figure, or several by name or by position."""

_ALIASES = {"jpeg": "jpg", "tiff": "tif"}
_FOLDER_FORMAT = "png"
_UNDATED = {"pdf": {"CreationDate": None}, "svg": {"Date": None}}
"""The metadata that dates a file, left out by default so that a figure gives the same bytes."""
_SVG_SALT = "datamill"
"""What SVG element ids are derived from, instead of a new random value per save."""
_svg_salt_lock = threading.Lock()


class FigureDataset(FileDataset[Never, FigureData]):
    """Matplotlib figures saved as PNG, SVG, PDF or any other format ``savefig`` writes.

    The dataset is write-only: an image cannot be turned back into a figure, so ``load``
    raises :class:`~datamill.errors.DatasetError`. Read the saved file with
    :class:`~datamill.datasets.pillow.ImageDataset` if a later node needs the pixels.

    **One figure** goes to a filepath with an image extension; the extension gives the
    format. **Several figures** go to a folder: give a filepath without an image extension
    and save a ``{name: figure}`` dict (files ``<name>.<format>``) or a list (files
    ``0.<format>``, ``1.<format>``, ...). Names must be plain file names (no ``/``, no leading
    dot). All figures are rendered before any file is written, so a figure that fails to
    render changes nothing; each file is then replaced atomically. Files of earlier saves
    that the new save does not name are left in place: use ``versioned: true`` for a clean
    folder per save. On a local disk a versioned folder appears whole or not at all: its
    files are written in a hidden temporary folder renamed into place once complete, so a
    save that fails or is killed leaves no version behind. (On object stores the files of a
    version are uploaded one by one: a killed save can leave some of them.)

    **The same figure gives the same bytes** (PNG, PDF, SVG), so a figure that comes out
    unchanged keeps its fingerprint and its file does not change under version control: the
    date is left out of PDF and SVG metadata (give ``metadata`` with ``CreationDate`` or
    ``Date`` to put one in), and SVG element ids come from a fixed salt unless the
    ``svg.hashsalt`` setting of matplotlib gives one. PS and EPS files always carry the time
    they were written, unless the ``SOURCE_DATE_EPOCH`` environment variable sets it.

    ``save_args`` go to :meth:`~matplotlib.figure.Figure.savefig` (``dpi``,
    ``bbox_inches``, ``transparent``, ``metadata``...), except two that datamill reads:

    - ``format``: the file format; needed only for a folder (default ``png``). For a single
      file it must agree with the extension.
    - ``close`` (default ``true``): after a successful save, close the figures in
      :mod:`matplotlib.pyplot` so a pipeline drawing many plots does not keep them all in
      memory. Only pyplot's registry is affected: the figure objects stay usable (a notebook
      can still display them). Set ``close: false`` to keep interactive windows open.

    Example YAML::

        confusion_matrix:
          type: matplotlib.FigureDataset
          filepath: data/08_reporting/confusion_matrix.png
          save_args: {dpi: 150, bbox_inches: tight}
          versioned: true
    """

    def __init__(self, filepath: str, **kwargs: Any) -> None:
        """Configure the dataset; see the class docstring and :class:`FileDataset`.

        Raises:
            DatasetError: ``format`` is unknown or contradicts the extension, or ``close``
                is not a boolean.
        """
        super().__init__(filepath, **kwargs)
        options = dict(self._save_args)
        self._close = _pop_close(options, filepath)
        self._in_folder = _suffix(filepath) not in _formats()
        self._format = self._resolve_format(options.pop("format", None))
        undated = _UNDATED.get(self._format)
        if undated is not None:
            options["metadata"] = {**undated, **(options.get("metadata") or {})}
        self._savefig_args = options

    # -- reading is not supported ----------------------------------------------------------

    def _load(self) -> Never:
        raise self._write_only()

    def _read(self, stream: IO[bytes]) -> Never:
        raise self._write_only()

    def _write_only(self) -> DatasetError:
        if self._in_folder:
            reader = "a partitions.PartitionedDataset of pillow.ImageDataset on the same folder"
        else:
            reader = "a pillow.ImageDataset with the same filepath"
        return DatasetError(
            f"{self!r} is write-only: matplotlib cannot rebuild a figure from an image. To "
            f"read the saved image in another node, declare {reader}."
        )

    # -- saving ----------------------------------------------------------------------------

    def _save(self, data: FigureData) -> None:
        if self._in_folder:
            figures = self._named_figures(data)
            self._save_folder({name: self._render(f) for name, f in figures.items()})
            self._close_figures(figures.values())
        else:
            super()._save(data)  # renders through _write, into an atomic temporary file
            self._close_figures([self._one_figure(data)])

    def _write(self, data: FigureData, stream: IO[bytes]) -> None:
        self._savefig(self._one_figure(data), stream)

    def _render(self, figure: Figure) -> bytes:
        buffer = io.BytesIO()
        self._savefig(figure, buffer)
        return buffer.getvalue()

    def _savefig(self, figure: Figure, stream: IO[bytes]) -> None:
        """Render ``figure``; the same figure gives the same bytes (see `_UNDATED`)."""
        if self._format != "svg":
            figure.savefig(stream, format=self._format, **self._savefig_args)
            return
        from matplotlib import rcParams

        with _svg_salt_lock:  # one key of the global settings, put back after the save
            salt = rcParams["svg.hashsalt"]
            if salt is None:
                rcParams["svg.hashsalt"] = _SVG_SALT
            try:
                figure.savefig(stream, format=self._format, **self._savefig_args)
            finally:
                rcParams["svg.hashsalt"] = salt

    def _save_folder(self, rendered: Mapping[str, bytes]) -> None:
        folder = self._new_save_path()
        files = {f"{name}.{self._format}": content for name, content in rendered.items()}
        self._hash_cache.clear()
        if self._versioned and self._is_local(self._filesystem()):
            self._write_local_folder(files, folder)  # the whole version, or none of it
            return
        for name, content in files.items():
            target = self._display(posixpath.join(folder, name))
            file = _RenderedFile(target, fs_args=self._fs_args, credentials=self._credentials)
            file._save(content)  # not save(): errors then name this dataset, not the file

    def _close_figures(self, figures: Iterable[Figure]) -> None:
        pyplot = sys.modules.get("matplotlib.pyplot")
        if not self._close or pyplot is None:
            return  # without pyplot, no registry holds the figures: nothing to close
        for figure in figures:
            pyplot.close(figure)

    def scratch_folders(self) -> list[str]:
        """Where saves write temporary files and folders: a folder of figures writes them in
        itself (when versioned, in the folder that holds the versions)."""
        if self._in_folder and self._is_local(self._filesystem()):
            return [self._path]
        return super().scratch_folders()

    # -- checking what is saved ------------------------------------------------------------

    def _one_figure(self, data: object) -> Figure:
        if isinstance(data, Figure):
            return data
        if isinstance(data, Mapping | list | tuple):
            raise DatasetError(
                f"{self!r} saves one figure to one file, got {len(data)} in a "
                f"{type(data).__name__}. To save several, give a folder filepath without an "
                "image extension (such as data/08_reporting/plots)."
            )
        raise TypeError(f"FigureDataset saves a matplotlib Figure, got {type(data).__name__}.")

    def _named_figures(self, data: object) -> dict[str, Figure]:
        if isinstance(data, Figure):
            raise DatasetError(
                f"{self!r} is a folder of figures (its filepath has no image extension), got a "
                "single Figure. Save a {name: figure} dict or a list of figures, or give the "
                "filepath an extension such as .png."
            )
        if isinstance(data, Mapping):
            figures = dict(data)
        elif isinstance(data, list | tuple):
            figures = {str(index): figure for index, figure in enumerate(data)}
        else:
            raise TypeError(
                "FigureDataset saves a dict or list of matplotlib Figures to a folder, got "
                f"{type(data).__name__}."
            )
        self._check_figures(figures)
        return figures

    def _check_figures(self, figures: Mapping[object, object]) -> None:
        if not figures:
            raise DatasetError(f"{self!r} got no figure to save (an empty dict or list).")
        bad_names = [repr(name) for name in figures if not _is_file_name(name)]
        if bad_names:
            raise DatasetError(
                f"{self!r} cannot name files after {', '.join(bad_names)}: figure names must "
                "be non-empty strings without '/' or '\\' that do not start with '.'."
            )
        others = {type(f).__name__ for f in figures.values() if not isinstance(f, Figure)}
        if others:
            raise TypeError(
                f"FigureDataset saves matplotlib Figures, got {', '.join(sorted(others))}."
            )

    # -- configuration ---------------------------------------------------------------------

    def _resolve_format(self, requested: object) -> str:
        suffix = _suffix(self._filepath)
        if requested is None:
            return _FOLDER_FORMAT if self._in_folder else suffix
        known = _formats()
        chosen = str(requested).lower()
        if not isinstance(requested, str) or chosen not in known:
            raise DatasetError(
                f"{type(self).__name__}({self._filepath!r}): unknown save_args format "
                f"{requested!r}.{did_you_mean(chosen, known)} Matplotlib writes: "
                f"{', '.join(sorted(known))}."
            )
        if not self._in_folder and _ALIASES.get(chosen, chosen) != _ALIASES.get(suffix, suffix):
            raise DatasetError(
                f"{type(self).__name__}({self._filepath!r}): save_args format {requested!r} "
                f"contradicts the file extension '.{suffix}'. Drop the format or change the "
                "extension."
            )
        return chosen

    # -- fingerprints of a folder ----------------------------------------------------------

    def fingerprint(self) -> str | None:
        """A cheap identity of what was saved: of the file, or of every file in the folder.

        Returns ``None`` when nothing was saved yet.
        """
        if not self._in_folder:
            return super().fingerprint()
        if not self._exists():
            return None
        fs = self._filesystem()
        folder = self._load_path()
        files = sorted(p for p in fs.find(folder) if not _is_hidden(p, folder))
        if not files:
            return None
        digest = hashlib.blake2b(digest_size=16)
        for path in files:
            digest.update(posixpath.relpath(path, folder).encode("utf-8") + b"\0")
            digest.update(self._content_hash(fs, path, fs.info(path)).encode("ascii"))
        return f"blake2b:{digest.hexdigest()}"


class _RenderedFile(FileDataset[bytes, bytes]):
    """One already rendered image, written with the atomic write of :class:`FileDataset`."""

    def _read(self, stream: IO[bytes]) -> bytes:
        return stream.read()

    def _write(self, data: bytes, stream: IO[bytes]) -> None:
        stream.write(data)


def _formats() -> dict[str, str]:
    """Every format ``savefig`` writes, by file extension."""
    return FigureCanvasBase.get_supported_filetypes()


def _suffix(filepath: str) -> str:
    return PurePosixPath(filepath).suffix.lower().lstrip(".")


def _pop_close(options: dict[str, Any], filepath: str) -> bool:
    close = options.pop("close", True)
    if not isinstance(close, bool):
        raise DatasetError(
            f"FigureDataset({filepath!r}): save_args close must be true or false, got {close!r}."
        )
    return close


def _is_file_name(name: object) -> bool:
    return (
        isinstance(name, str)
        and bool(name)
        and not name.startswith(".")
        and "/" not in name
        and "\\" not in name
    )


def _is_hidden(path: str, folder: str) -> bool:
    """Whether ``path`` is a temporary file of a save in progress (or killed)."""
    return any(part.startswith(".") for part in PurePosixPath(path).relative_to(folder).parts)
