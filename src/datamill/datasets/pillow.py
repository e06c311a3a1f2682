"""Images read and written with Pillow (PNG, JPEG, TIFF, WebP, GIF and more)."""

from __future__ import annotations

import io
from pathlib import PurePosixPath
from typing import IO, Any

from PIL import Image

from datamill._text import did_you_mean
from datamill.errors import DatasetError
from datamill.io._file import FileDataset

__all__ = ["ImageDataset"]


class ImageDataset(FileDataset[Image.Image, Image.Image]):
    """An image, loaded as a ``PIL.Image.Image`` whose pixels are already read.

    The format is the one the file extension names (``.png``, ``.jpg``, ``.tif``...), or
    ``save_args: {format: PNG}`` for a filepath without a known extension; when both are
    given they must agree. Other ``save_args`` go to :meth:`PIL.Image.Image.save`
    (``optimize``, ``quality``, ``dpi``, ``save_all`` for animations...). ``load_args`` go to
    :func:`PIL.Image.open` (``formats: [PNG]`` restricts what is accepted). Loading detects
    the format from the content, whatever the extension.

    A multi-frame image (an animated GIF, a multi-page TIFF) loads with every frame
    reachable through ``seek``: the file is read into memory, so the image does not depend
    on the file staying open.

    Example YAML::

        product_photo:
          type: pillow.ImageDataset
          filepath: data/01_raw/photos/product.jpg
          save_args: {quality: 90, optimize: true}
    """

    def __init__(self, filepath: str, **kwargs: Any) -> None:
        """Configure the dataset; see the class docstring and :class:`FileDataset`.

        Raises:
            DatasetError: ``save_args`` names a format Pillow cannot write, or one that
                contradicts the file extension.
        """
        super().__init__(filepath, **kwargs)
        options = dict(self._save_args)
        self._format = self._resolve_format(options.pop("format", None))
        self._pillow_args = options

    def _read(self, stream: IO[bytes]) -> Image.Image:
        image = Image.open(io.BytesIO(stream.read()), **self._load_args)
        image.load()  # decode now, so a damaged file fails here rather than in a node
        return image

    def _write(self, data: Image.Image, stream: IO[bytes]) -> None:
        if not isinstance(data, Image.Image):
            raise TypeError(f"ImageDataset saves a PIL.Image.Image, got {type(data).__name__}.")
        data.save(stream, format=self._writable_format(), **self._pillow_args)

    def _writable_format(self) -> str:
        if self._format is None:
            raise DatasetError(
                f"{self!r} cannot tell the image format from the extension of "
                f"{self._filepath!r}. Use an image extension (.png, .jpg...) or set "
                "save_args: {format: PNG}."
            )
        if self._format not in Image.SAVE:
            raise DatasetError(
                f"{self!r}: Pillow reads {self._format} files but cannot write them. Save "
                "to another format, such as PNG."
            )
        return self._format

    def _resolve_format(self, requested: object) -> str | None:
        from_extension = _extension_format(self._filepath)
        if requested is None:
            return from_extension
        chosen = str(requested).upper()
        if not isinstance(requested, str) or chosen not in Image.SAVE:
            raise DatasetError(
                f"ImageDataset({self._filepath!r}): Pillow cannot write format "
                f"{requested!r}.{did_you_mean(chosen, Image.SAVE)} It writes: "
                f"{', '.join(sorted(Image.SAVE))}."
            )
        if from_extension is not None and chosen != from_extension:
            raise DatasetError(
                f"ImageDataset({self._filepath!r}): save_args format {requested!r} contradicts "
                f"the file extension, which means {from_extension}. Drop the format or change "
                "the extension."
            )
        return chosen


def _extension_format(filepath: str) -> str | None:
    """The Pillow format a file extension stands for (``.jpg`` -> ``JPEG``), if any."""
    suffix = PurePosixPath(filepath).suffix.lower()
    return Image.registered_extensions().get(suffix) if suffix else None
