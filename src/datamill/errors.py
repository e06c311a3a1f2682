"""Every error datamill raises for a user to act on.

All of them derive from :class:`DatamillError`, so ``except DatamillError`` catches
anything datamill reports about the user's pipeline, data or configuration. Each family
carries the offending object as an attribute as well as naming it in the message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "ConfigError",
    "DatamillError",
    "DatasetError",
    "DatasetNotFoundError",
    "JournalError",
    "PipelineError",
    "ProjectError",
    "RunnerError",
]


class DatamillError(Exception):
    """Root of every error datamill raises about user input, data or configuration."""


class PipelineError(DatamillError):
    """A node or pipeline definition is invalid.

    Attributes:
        problems: Every problem found, one sentence each (validation reports them together).
        node_names: The nodes concerned, when the problems are about nodes.
    """

    def __init__(
        self, message: str, *, problems: Sequence[str] = (), node_names: Iterable[str] = ()
    ) -> None:
        super().__init__(message)
        self.problems: tuple[str, ...] = tuple(problems) or (message,)
        self.node_names: tuple[str, ...] = tuple(node_names)


class DatasetError(DatamillError):
    """A dataset could not be loaded, saved or configured.

    Attributes:
        dataset_name: The catalog name of the dataset, when known.
    """

    def __init__(self, message: str, *, dataset_name: str | None = None) -> None:
        super().__init__(message)
        self.dataset_name = dataset_name


class DatasetNotFoundError(DatasetError):
    """A name was looked up in the catalog and is not there."""


class ConfigError(DatamillError):
    """A configuration file or folder is missing, malformed or inconsistent.

    Attributes:
        path: The file or folder concerned, when there is one.
        key: The dotted configuration key concerned, when there is one.
        line: The 1-based line in ``path``, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        key: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.key = key
        self.line = line


class RunnerError(DatamillError):
    """A pipeline run failed or could not start.

    Attributes:
        node_name: The node that failed, if a node failed.
        nodes_to_rerun: Names of the nodes a rerun must execute to finish the run.
        remote_traceback: The traceback text from the worker process, for the process executor.
        run_id: The journal's id of the run, when it was recorded: resuming it (``datamill
            run --resume``, ``Session.resume``) runs `nodes_to_rerun`.
    """

    def __init__(
        self,
        message: str,
        *,
        node_name: str | None = None,
        nodes_to_rerun: Sequence[str] = (),
        remote_traceback: str | None = None,
        run_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.node_name = node_name
        self.nodes_to_rerun: tuple[str, ...] = tuple(nodes_to_rerun)
        self.remote_traceback = remote_traceback
        self.run_id = run_id


class ProjectError(DatamillError):
    """A project cannot be found or is set up wrongly (``pyproject.toml``, settings, pipelines).

    Attributes:
        path: The file or folder concerned, when there is one.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class JournalError(DatamillError):
    """The run journal cannot be opened, read or written, or a run is not in it.

    Attributes:
        path: The journal's database file.
        run_id: The run concerned, when there is one.
        dataset_name: The dataset concerned (looking up its lineage), when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        run_id: str | None = None,
        dataset_name: str | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.run_id = run_id
        self.dataset_name = dataset_name
