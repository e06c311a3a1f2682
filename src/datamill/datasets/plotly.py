"""Plotly figures: as JSON, which loads back, or as a standalone HTML page (write-only)."""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath
from typing import IO, Any

import plotly.io as pio  # type: ignore[import-untyped]
from plotly.basedatatypes import BaseFigure  # type: ignore[import-untyped]

from datamill.errors import DatasetError
from datamill.io._file import FileDataset

__all__ = ["FigureDataset"]

_KINDS = {".json": "json", ".html": "html", ".htm": "html"}


class FigureDataset(FileDataset[Any, Any]):
    """A plotly figure (``plotly.graph_objects.Figure``), stored by file extension.

    - ``.json``: the figure's JSON, which loads back as an equal figure. ``save_args`` go to
      :func:`plotly.io.to_json` (``pretty``, ``validate``, ``engine``...), ``load_args`` to
      :func:`plotly.io.from_json` (``output_type``, ``skip_invalid``...).
    - ``.html`` (or ``.htm``): a page to open in a browser; write-only, since plotly cannot
      read a figure back from HTML (``load`` raises :class:`~datamill.errors.DatasetError`).
      ``save_args`` go to :func:`plotly.io.to_html`. By default the page embeds plotly.js
      (``include_plotlyjs: true``, about 4.5 MB), so it opens offline and never fetches
      anything from the network; ``include_plotlyjs: cdn`` gives a small file that loads
      plotly.js from the internet instead. Unless ``div_id`` is given, the figure's element
      is named after a hash of the figure, so an unchanged figure gives an identical file
      (and an unchanged fingerprint).

    Example YAML::

        sales_by_region:
          type: plotly.FigureDataset
          filepath: data/08_reporting/sales_by_region.html
          save_args: {include_plotlyjs: true, full_html: true}
    """

    def __init__(self, filepath: str, **kwargs: Any) -> None:
        """Configure the dataset; see the class docstring and :class:`FileDataset`.

        Raises:
            DatasetError: The filepath does not end in ``.json``, ``.html`` or ``.htm``.
        """
        super().__init__(filepath, **kwargs)
        suffix = PurePosixPath(filepath).suffix.lower()
        if suffix not in _KINDS:
            raise DatasetError(
                f"FigureDataset({filepath!r}): cannot tell how to store a plotly figure in a "
                f"{suffix or 'extension-less'!r} file. End the filepath in .json (loads back) "
                "or .html (a page for a browser, write-only)."
            )
        self._kind = _KINDS[suffix]

    def _load(self) -> Any:
        if self._kind == "html":
            raise DatasetError(
                f"{self!r} is an HTML page, which is write-only: plotly cannot read a figure "
                "back from HTML. To use the figure in another node, also save it to a "
                "plotly.FigureDataset whose filepath ends in .json."
            )
        return super()._load()

    def _read(self, stream: IO[bytes]) -> Any:
        return pio.from_json(stream.read().decode("utf-8"), **self._load_args)

    def _write(self, data: Any, stream: IO[bytes]) -> None:
        if not isinstance(data, BaseFigure):
            raise TypeError(
                f"plotly.FigureDataset saves a plotly Figure, got {type(data).__name__}."
            )
        text = self._html(data) if self._kind == "html" else pio.to_json(data, **self._save_args)
        stream.write(text.encode("utf-8"))

    def _html(self, figure: Any) -> str:
        options = {"include_plotlyjs": True, "full_html": True, **self._save_args}
        if options.get("div_id") is None:
            options["div_id"] = _stable_id(figure)
        html: str = pio.to_html(figure, **options)
        return html


def _stable_id(figure: Any) -> str:
    """An element id that depends only on the figure (plotly's default is random)."""
    content = pio.to_json(figure, validate=False).encode("utf-8")
    return "figure-" + hashlib.blake2b(content, digest_size=8).hexdigest()
