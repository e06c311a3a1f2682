"""The lazy pipeline registry: pipeline names found on disk, modules imported on demand.

Every folder ``<package>/pipelines/<name>/`` with an ``__init__.py`` is a pipeline called
``<name>``; its module is imported, and its ``create_pipeline()`` called, only when that
pipeline is asked for, so running one pipeline imports only its own code. The optional
``<package>/pipeline_registry.py`` may define ``register_pipelines()``, returning pipelines
by name that add to or replace the discovered ones. ``__default__`` is, unless registered,
the sum of every other pipeline.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any, Final

from datamill._text import did_you_mean, quoted
from datamill.errors import ProjectError
from datamill.pipeline import Pipeline
from datamill.project._discovery import ProjectMetadata, ensure_importable

__all__ = ["DEFAULT_PIPELINE", "PipelineRegistry"]

DEFAULT_PIPELINE: Final = "__default__"


class PipelineRegistry(Mapping[str, Pipeline]):
    """A project's pipelines by name; each is built on first access and then kept.

    Args:
        metadata: The project whose package holds the pipelines.

    Raises:
        ProjectError: On access: an unknown name (with the closest and the available ones),
            a pipeline module without ``create_pipeline``, or one that returns something
            other than a `Pipeline`.

    Example:
        >>> registry = PipelineRegistry(find_project())  # doctest: +SKIP
        >>> registry.names()  # doctest: +SKIP
        ['__default__', 'data_processing', 'reporting']
        >>> registry["reporting"]  # imports only myproj.pipelines.reporting  # doctest: +SKIP
    """

    def __init__(self, metadata: ProjectMetadata) -> None:
        self.metadata = metadata
        self._built: dict[str, Pipeline] = {}
        self._registered: dict[str, Pipeline] | None = None

    def __getitem__(self, name: str) -> Pipeline:
        if name not in self._built:
            self._built[name] = self._build(name)
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def __contains__(self, name: object) -> bool:
        return name in self.names()

    def __repr__(self) -> str:
        return f"PipelineRegistry({self.metadata.package_name!r}, {self.names()})"

    def names(self) -> list[str]:
        """Every pipeline name, sorted, ``__default__`` first.

        Discovered pipelines are listed without importing them; a project with
        ``pipeline_registry.py`` has it imported and ``register_pipelines()`` called.
        """
        found = {*self.discovered(), *self._registered_pipelines()}
        found.discard(DEFAULT_PIPELINE)
        return [DEFAULT_PIPELINE, *sorted(found)]

    def discovered(self) -> list[str]:
        """The pipeline folders under ``<package>/pipelines/``, sorted (nothing imported)."""
        folder = self.metadata.package_dir / "pipelines"
        if not folder.is_dir():
            return []
        return sorted(
            entry.name
            for entry in folder.iterdir()
            if entry.name.isidentifier() and (entry / "__init__.py").is_file()
        )

    def clear(self) -> None:
        """Forget the built pipelines (the imported modules stay imported)."""
        self._built.clear()
        self._registered = None

    def _build(self, name: str) -> Pipeline:
        registered = self._registered_pipelines()
        if name in registered:
            return registered[name]
        if name == DEFAULT_PIPELINE:
            return sum((self[n] for n in self.names() if n != DEFAULT_PIPELINE), Pipeline())
        if name in self.discovered():
            return self._create(name)
        raise ProjectError(
            f"Pipeline {name!r} is not in project {self.metadata.project_name!r}."
            f"{did_you_mean(name, self.names())} Available pipelines: {quoted(self.names())}.",
            path=str(self.metadata.package_dir / "pipelines"),
        )

    def _create(self, name: str) -> Pipeline:
        ensure_importable(self.metadata)
        module_name = f"{self.metadata.package_name}.pipelines.{name}"
        module = importlib.import_module(module_name)
        create = getattr(module, "create_pipeline", None)
        if not callable(create):
            raise ProjectError(
                f"Pipeline module {module_name!r} has no create_pipeline() function. Define "
                "`def create_pipeline(**kwargs) -> Pipeline` in its __init__.py.",
                path=getattr(module, "__file__", None),
            )
        return _checked(create(), f"{module_name}.create_pipeline()", module)

    def _registered_pipelines(self) -> dict[str, Pipeline]:
        if self._registered is None:
            self._registered = self._call_register_pipelines()
        return self._registered

    def _call_register_pipelines(self) -> dict[str, Pipeline]:
        if not (self.metadata.package_dir / "pipeline_registry.py").is_file():
            return {}
        ensure_importable(self.metadata)
        module_name = f"{self.metadata.package_name}.pipeline_registry"
        module = importlib.import_module(module_name)
        register = getattr(module, "register_pipelines", None)
        where = f"{module_name}.register_pipelines()"
        if not callable(register):
            raise ProjectError(
                f"Module {module_name!r} has no register_pipelines() function. Define one "
                "returning a dict of pipelines by name, or delete the file.",
                path=getattr(module, "__file__", None),
            )
        result = register()
        if not isinstance(result, Mapping) or not all(isinstance(k, str) for k in result):
            raise ProjectError(
                f"{where} must return a dict of pipelines by name, got {type(result).__name__}.",
                path=getattr(module, "__file__", None),
            )
        return {key: _checked(value, f"{where}[{key!r}]", module) for key, value in result.items()}


def _checked(value: Any, where: str, module: Any) -> Pipeline:
    if not isinstance(value, Pipeline):
        raise ProjectError(
            f"{where} returned {type(value).__name__}, not a Pipeline. Return a "
            "datamill.Pipeline (e.g. Pipeline([node(...), ...])).",
            path=getattr(module, "__file__", None),
        )
    return value
