"""`Session`: a project opened for work — its settings, configuration, hooks and pipelines.

A session is what ``datamill run`` (and notebooks, the visualizer, deployment compilers)
use: it finds the project, reads its settings, creates the configuration loader for one
environment, registers the project's and installed plugins' hooks, and builds a fresh
catalog for each run. Relative local paths in the catalog (``filepath``, ``path``) are
resolved against the project root, so a run behaves the same from any working folder.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

import pluggy

from datamill.config import ConfigLoader
from datamill.errors import DatamillError, JournalError, ProjectError
from datamill.hooks import ENTRY_POINT_GROUP, create_hook_manager
from datamill.io import DataCatalog, remembered_hashes
from datamill.io._versioning import generate_version
from datamill.project._discovery import ProjectMetadata, find_project
from datamill.project._registry import DEFAULT_PIPELINE, PipelineRegistry
from datamill.project._selection import Slicing, forced_problems, select
from datamill.project._settings import Settings, load_settings
from datamill.runner import (
    Decision,
    Executor,
    RunInfo,
    Tracking,
    create_executor,
    find_problems,
    run_with,
)

if TYPE_CHECKING:
    from datamill.journal import Journal, RunDetail, RunStatus
    from datamill.pipeline import Pipeline

__all__ = ["CheckReport", "Session", "load_catalog", "resumable_run"]

_PATH_KEYS: Final = ("filepath", "path")
LATEST_RUN: Final = "latest"
RESUMABLE: Final[tuple[RunStatus, ...]] = ("failed", "interrupted", "crashed")
"""The statuses of a run that resuming "the latest run" finishes."""


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What `Session.check` found.

    Attributes:
        pipeline_name: The pipeline checked.
        node_count: How many nodes the chosen slice holds.
        problems: What would stop the run, one message each.
        warnings: What looks wrong but would not stop the run.
        env: The configuration environment checked.
    """

    pipeline_name: str
    node_count: int
    problems: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    env: str | None = None

    @property
    def ok(self) -> bool:
        """Whether nothing would stop the run."""
        return not self.problems


class Session:
    """A project opened in one configuration environment.

    Create one with `Session.create`; use it as a context manager to close what it opened.

    Attributes:
        metadata: Where the project is and what it is called.
        settings: The project's settings.
        config_loader: The layered configuration of the chosen environment.
        hook_manager: The project's hooks and the installed plugins' hooks.
        pipelines: The project's pipelines by name (built on first access).

    Example:
        >>> with Session.create("path/to/project", env="prod") as session:  # doctest: +SKIP
        ...     session.run("training", tags=["fast"])
    """

    def __init__(
        self,
        metadata: ProjectMetadata,
        settings: Settings,
        config_loader: ConfigLoader,
        hook_manager: pluggy.PluginManager,
    ) -> None:
        self.metadata = metadata
        self.settings = settings
        self.config_loader = config_loader
        self.hook_manager = hook_manager
        self.pipelines = PipelineRegistry(metadata)
        self.last_plan: dict[str, Decision] = {}
        """Each node's decision in the last run or explanation (runs, reason), by name."""
        self._opened_with: dict[str, Any] = {"env": config_loader.env}
        self._resources = contextlib.ExitStack()
        self._journal: Journal | None = None
        self._closed = False

    @classmethod
    def create(
        cls,
        project_path: Path | str = ".",
        env: str | None = None,
        runtime_params: Mapping[str, Any] | None = None,
        *,
        conf_source: Path | str | None = None,
    ) -> Session:
        """Open the project that contains ``project_path``.

        Args:
            project_path: A folder inside the project.
            env: The configuration environment; defaults to the ``default_env`` setting.
            runtime_params: Parameter overrides by dotted key (``--params``).
            conf_source: The configuration folder, overriding settings and ``pyproject.toml``.

        Raises:
            ProjectError: No project, or invalid ``pyproject.toml`` or settings.
            ConfigError: The configuration folder or environment does not exist.
            DatamillError: A hook object or an installed plugin is invalid.
        """
        metadata = find_project(project_path)
        settings = load_settings(metadata)
        loader = make_config_loader(metadata, settings, env, runtime_params, conf_source)
        session = cls(metadata, settings, loader, make_hook_manager(settings))
        session._opened_with = {
            "env": env,
            "params": dict(runtime_params or {}),
            "conf_source": None if conf_source is None else str(conf_source),
        }
        return session

    @property
    def journal(self) -> Journal:
        """The project's run journal (opened on first use, closed with the session)."""
        self._check_open()
        if self._journal is None:
            from datamill.journal import Journal

            path = self.metadata.root / self.settings.journal_path
            journal = Journal(path, stale_after=self.settings.journal_staleness)
            self._journal = self._resources.enter_context(journal)
        return self._journal

    @property
    def env(self) -> str | None:
        """The configuration environment of this session."""
        return self.config_loader.env

    @property
    def params(self) -> dict[str, Any]:
        """The merged parameters (a fresh copy)."""
        return self.config_loader["parameters"]

    def catalog(
        self, *, save_version: str | None = None, load_versions: Mapping[str, str] | None = None
    ) -> DataCatalog:
        """Build a new catalog from the configuration and fire ``after_catalog_created``.

        Args:
            save_version: The version every versioned dataset saves (one new id by default).
            load_versions: The version to load, by dataset name.
        """
        self._check_open()
        catalog = build_catalog(
            self.config_loader,
            self.metadata.root,
            save_version=save_version or generate_version(),
            load_versions=load_versions,
        )
        self.hook_manager.hook.after_catalog_created(catalog=catalog)
        return catalog

    def run(
        self,
        pipeline_name: str = DEFAULT_PIPELINE,
        *,
        node_names: Iterable[str] | None = None,
        from_nodes: Iterable[str] | None = None,
        to_nodes: Iterable[str] | None = None,
        from_inputs: Iterable[str] | None = None,
        to_outputs: Iterable[str] | None = None,
        tags: Iterable[str] | None = None,
        namespaces: Iterable[str] | None = None,
        executor: str | None = None,
        workers: int | None = None,
        load_versions: Mapping[str, str] | None = None,
        force: bool | Iterable[str] = False,
        incremental: bool | None = None,
        explain: bool = False,
        command: Iterable[str] = (),
        resumes: str | None = None,
        early_cutoff: bool | None = None,
    ) -> dict[str, Any]:
        """Run a pipeline of the project, or a slice of it, and return its free outputs.

        Everything `check` finds is reported together, before any node runs. The run is
        recorded in the project's journal, and nodes whose code, parameters and inputs are
        unchanged since their last success (and whose outputs are intact) are skipped;
        `last_plan` says why each node ran or not. Every versioned dataset saved by the run
        gets the same new version id.

        Args:
            pipeline_name: The registered pipeline to run.
            node_names: Keep only these nodes.
            from_nodes: Keep these nodes and everything downstream.
            to_nodes: Keep these nodes and everything upstream.
            from_inputs: Keep the nodes depending on these datasets.
            to_outputs: Keep the nodes needed to produce these datasets.
            tags: Keep the nodes with any of these tags.
            namespaces: Keep the nodes in any of these namespaces.
            executor: The executor name; defaults to the ``executor`` setting.
            workers: The executor's parallelism; defaults to the ``workers`` setting when
                ``executor`` is not given.
            load_versions: The version to load, by dataset name.
            force: Run every node (True) or the named ones, even if unchanged. Each name
                must be a node of the run (else the run stops before it starts).
            incremental: Skip unchanged nodes; defaults to the ``incremental`` setting.
            explain: Decide what would run and why (see `last_plan`), but run nothing.
            command: The command line, for the journal.
            resumes: The id of the run this run finishes (`resume` gives it): the nodes
                that run forced (all of them, when it was forced or not incremental) and
                did not finish are forced here too. Once this run succeeds, resuming the
                latest run no longer finds that one.
            early_cutoff: Skip a node that would run only because inputs are recomputed,
                once they come out with the fingerprints of its last success; defaults to
                the resumed run's choice, else the ``early_cutoff`` setting.

        Raises:
            ProjectError: Unknown pipeline, or the session is closed.
            RunnerError: The pipeline cannot run (unknown names in the slicing options,
                missing inputs, bad parameters, ...), or a node failed.
        """
        self._check_open()
        slicing = Slicing(
            node_names, from_nodes, to_nodes, from_inputs, to_outputs, tags, namespaces
        )
        whole = self.pipelines[pipeline_name]
        pipeline, problems = select(whole, pipeline_name, slicing)
        forced: bool | Collection[str] = force if isinstance(force, bool) else list(force)
        if not isinstance(forced, bool):
            problems += forced_problems(forced, pipeline, whole, pipeline_name)
        if incremental is None:
            incremental = self.settings.incremental
        if resumes is not None:
            resumed = self.journal.run(resumes, nodes=False)
            forced = _forced_on_resume(forced, resumed, pipeline, self.journal)
            if early_cutoff is None:
                early_cutoff = resumed.options.get("early_cutoff")
        if early_cutoff is None:
            early_cutoff = self.settings.early_cutoff
        catalog = self.catalog(load_versions=load_versions)
        chosen = self._executor(executor, workers)
        options = {
            **self._opened_with,
            "pipeline": pipeline_name,
            "nodes": _listed(node_names),
            "from_nodes": _listed(from_nodes),
            "to_nodes": _listed(to_nodes),
            "from_inputs": _listed(from_inputs),
            "to_outputs": _listed(to_outputs),
            "tags": _listed(tags),
            "namespaces": _listed(namespaces),
            "executor": executor,
            "workers": workers,
            "load_versions": dict(load_versions or {}),
            "force": forced if isinstance(forced, bool) else list(forced),
            "incremental": incremental,
            "early_cutoff": early_cutoff,
        }
        tracking = Tracking(
            self.journal,
            self._run_info(pipeline_name, options, command, catalog, resumes),
            own_code=[self.metadata.source_dir],
            incremental=incremental,
            force=forced,
            explain_only=explain,
            early_cutoff=early_cutoff,
        )
        try:
            with remembered_hashes(self.journal):
                return run_with(
                    pipeline,
                    catalog,
                    chosen,
                    self.hook_manager,
                    problems=problems,
                    tracking=tracking,
                    default_retry=self.settings.retry,
                )
        finally:
            self.last_plan = tracking.decisions

    def resume(
        self,
        run: str = "latest",
        *,
        executor: str | None = None,
        workers: int | None = None,
        command: Iterable[str] = (),
    ) -> dict[str, Any]:
        """Finish a failed, interrupted or crashed run, with its original options.

        The nodes that finished are skipped (their outputs are intact and nothing they
        depend on changed); the others run, with the producers of any in-memory data they
        need. The session must be open in the run's environment with its ``--params``
        (`resume_options` tells them).

        Args:
            run: The run id, a unique prefix or suffix of it, or ``"latest"``: the latest run that
                failed, was interrupted or crashed.
            executor: Another executor than the run's.
            workers: Another parallelism than the run's.
            command: The command line, for the journal.

        Raises:
            JournalError: No such run, nothing to resume, or the run (or a later run of its
                pipeline) is still running.
            ProjectError: The run was made in another environment or with other parameters.
        """
        detail = resumable_run(self.journal, run)
        options = dict(detail.options)
        self._check_resumable_here(detail)
        return self.run(
            options.get("pipeline") or DEFAULT_PIPELINE,
            node_names=options.get("nodes"),
            from_nodes=options.get("from_nodes"),
            to_nodes=options.get("to_nodes"),
            from_inputs=options.get("from_inputs"),
            to_outputs=options.get("to_outputs"),
            tags=options.get("tags"),
            namespaces=options.get("namespaces"),
            executor=executor or options.get("executor"),
            workers=workers or options.get("workers"),
            load_versions=options.get("load_versions") or None,
            incremental=True,
            command=command,
            resumes=detail.run_id,
        )

    def resume_options(self, run: str = "latest") -> dict[str, Any]:
        """The options of the run `resume` would finish (``env`` and ``params`` included).

        Raises:
            JournalError: No such run, or nothing to resume.
        """
        return dict(resumable_run(self.journal, run).options)

    def check(
        self,
        pipeline_name: str = DEFAULT_PIPELINE,
        *,
        node_names: Iterable[str] | None = None,
        from_nodes: Iterable[str] | None = None,
        to_nodes: Iterable[str] | None = None,
        from_inputs: Iterable[str] | None = None,
        to_outputs: Iterable[str] | None = None,
        tags: Iterable[str] | None = None,
        namespaces: Iterable[str] | None = None,
        executor: str | None = None,
        workers: int | None = None,
        load_versions: Mapping[str, str] | None = None,
    ) -> CheckReport:
        """Find everything that would stop `run` with the same arguments, running nothing.

        In one pass: unknown pipeline, node, dataset, tag and namespace names (with "did you
        mean"), an unknown executor, invalid catalog entries and load versions, inputs that
        nobody produces and the catalog lacks, parameters that do not fit their annotation,
        producer and consumer annotations that disagree, and functions the executor cannot
        send to a worker. Runtime parameters that override nothing are warnings.

        Raises:
            ProjectError: The session is closed, or the pipeline is unknown or fails to
                build (nothing else can be checked then).
        """
        self._check_open()
        warnings = tuple(self.config_loader.unused_runtime_params())
        slicing = Slicing(
            node_names, from_nodes, to_nodes, from_inputs, to_outputs, tags, namespaces
        )
        pipeline, problems = select(self.pipelines[pipeline_name], pipeline_name, slicing)
        chosen: Executor | None = None
        try:
            chosen = self._executor(executor, workers)
        except DatamillError as exc:
            problems.append(str(exc))
        try:
            catalog = self.catalog(load_versions=load_versions)
        except DatamillError as exc:
            problems.append(str(exc))
        else:
            problems += find_problems(pipeline, catalog, chosen)
        return CheckReport(pipeline_name, len(pipeline), tuple(problems), warnings, self.env)

    def close(self) -> None:
        """Release what the session opened; later runs raise `ProjectError`."""
        if not self._closed:
            self._closed = True
            self._resources.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Session({self.metadata.project_name!r}, env={self.env!r})"

    def _run_info(
        self,
        pipeline_name: str,
        options: Mapping[str, Any],
        command: Iterable[str],
        catalog: DataCatalog,
        resumes: str | None,
    ) -> RunInfo:
        from datamill.journal import git_state

        commit, dirty = git_state(self.metadata.root)
        return RunInfo(
            pipeline=pipeline_name,
            command=list(command),
            options=dict(options),
            env=self.env,
            parameters=dict(catalog.parameters),
            git_commit=commit,
            git_dirty=dirty,
            resumes=resumes,
        )

    def _check_resumable_here(self, detail: RunDetail) -> None:
        """Refuse to finish ``detail`` in another environment or with other parameters."""
        params = dict(detail.options.get("params") or {})
        opened = dict(self._opened_with.get("params") or {})
        if detail.env == self.env and params == opened:
            return
        root = str(self.metadata.root)
        raise ProjectError(
            f"Run {detail.run_id!r} was made with env={detail.env!r} and params={params!r}, "
            f"but this session has env={self.env!r} and params={opened!r}. Open the session "
            f"as the run was: Session.create({root!r}, env={detail.env!r}, "
            f"runtime_params={params!r}).",
            path=root,
        )

    def _executor(self, name: str | None, workers: int | None) -> Executor:
        # The workers setting goes with the executor setting: an executor chosen for this
        # run takes only the workers given for this run.
        if name is not None:
            return create_executor(name, workers)
        chosen = workers if workers is not None else self.settings.workers
        return create_executor(self.settings.executor, chosen)

    def _check_open(self) -> None:
        if self._closed:
            raise ProjectError(
                "This session is closed. Create a new one with Session.create().",
                path=str(self.metadata.root),
            )


def _listed(names: Iterable[str] | None) -> list[str] | None:
    if names is None:
        return None
    return [names] if isinstance(names, str) else list(names)


def _forced_on_resume(
    given: bool | Collection[str], resumed: RunDetail, pipeline: Pipeline, journal: Journal
) -> bool | dict[str, str]:
    """What a run that finishes run ``resumed`` forces, with the reason to state for each
    node: what it is given, and what the resumed run forced (every node, when it was
    forced or not incremental) and did not finish. A node finished when it ran or was
    skipped as unchanged in that run (only then are its statuses read)."""
    if given is True:
        return True
    options = resumed.options
    not_incremental = options.get("incremental") is False
    earlier = True if not_incremental else options.get("force", False)
    if not earlier:
        return dict.fromkeys(given or [], "forced") or False
    statuses = journal.node_statuses(resumed.run_id)
    finished = {name for name, status in statuses.items() if status in ("ran", "skipped")}
    in_run = pipeline.graph.position
    named = list(in_run) if earlier is True else list(earlier)
    why = "incremental runs were off" if not_incremental else "forced"
    carried = f"{why} in the resumed run"
    forced = {name: carried for name in named if name in in_run and name not in finished}
    return {**forced, **dict.fromkeys(given or [], "forced")} or False


def resumable_run(journal: Journal, run: str = "latest") -> RunDetail:
    """The run that resuming ``run`` finishes, without its node records (read them with
    ``journal.nodes(run_id)``, or only their statuses with ``journal.node_statuses(run_id)``,
    if needed: a large run's records take a while).

    Args:
        journal: The project's run journal.
        run: A run id, a unique prefix or suffix of one, or ``"latest"``: the latest run
            that failed, was interrupted or crashed and that no resume has finished since
            (another successful run started since does not hide it).

    A run still running is not finished by another: its own process goes on with it. Nor
    is, for ``"latest"``, a run that a later run of its pipeline, still running, works over
    again (say, a resume of it that was started in another terminal).

    Raises:
        JournalError: No such run (with the closest ids), or, for ``"latest"``, no run to
            finish; the run is still running, or a later run of its pipeline is.
    """
    if run != LATEST_RUN:
        detail = journal.run(run, nodes=False)
        if detail.status == "running":
            raise _still_running(journal, detail, _wait_for_it(detail))
        return detail
    found = journal.latest_run(status=RESUMABLE, skip_resumed=True, nodes=False)
    if found is not None:
        going = journal.latest_run(status="running", pipeline=found.pipeline, nodes=False)
        if going is not None and going.started > found.started:
            raise _still_running(
                journal,
                going,
                f"It started after run {found.run_id!r} ({found.status}), which "
                "'datamill run --resume' would finish: both would compute the same nodes and "
                "write the same datasets. Wait for it to end: if it fails or is stopped, "
                "'datamill run --resume' finishes it. To finish the earlier run anyway, name "
                f"it: datamill run --resume {found.run_id}",
            )
        return found
    recent = journal.runs(limit=1)
    if not recent:
        why = "records no run yet. Run the pipeline first"
    else:
        why = (
            "has no failed, interrupted or crashed run left to finish (the latest run, "
            f"{recent[0].run_id!r}, {recent[0].status}). To run again with a finished run's "
            "options, give its id"
        )
    raise JournalError(
        f"Nothing to resume: the journal {journal.path} {why}.",
        path=str(journal.path),
        run_id=LATEST_RUN,
    )


def _wait_for_it(run: RunDetail) -> str:
    """How to let ``run``, still running, end before resuming it."""
    if run.host != socket.gethostname():
        return (
            "Wait for it to end, or stop it where it runs. If its process is gone, the run "
            "reads as crashed once it has been silent for the JOURNAL_STALE_AFTER setting "
            "(it writes every 30 seconds while it goes on)."
        )
    return (
        "Wait for it to end, or stop it (Ctrl-C where it runs, or "
        f"kill -TERM {run.pid}); then: datamill run --resume {run.run_id}"
    )


def _still_running(journal: Journal, run: RunDetail, advice: str) -> JournalError:
    return JournalError(
        f"Run {run.run_id!r} of pipeline {run.pipeline!r} is still running "
        f"({run.process_text()}): resuming now would run beside it. {advice}",
        path=str(journal.path),
        run_id=run.run_id,
    )


def load_catalog(path: Path | str = ".", env: str | None = None) -> DataCatalog:
    """Build the data catalog of the project that contains ``path``, without a session.

    No hooks fire. Versioned datasets save under one new version id.

    Args:
        path: A folder inside the project.
        env: The configuration environment; defaults to the ``default_env`` setting.

    Raises:
        ProjectError: No project, or invalid ``pyproject.toml`` or settings.
        ConfigError: Invalid configuration.
        DatasetError: Invalid catalog entries.

    Example:
        >>> catalog = load_catalog("path/to/project")  # doctest: +SKIP
        >>> catalog.load("companies")  # doctest: +SKIP
    """
    metadata = find_project(path)
    loader = make_config_loader(metadata, load_settings(metadata), env, None, None)
    return build_catalog(loader, metadata.root, save_version=generate_version())


def make_config_loader(
    metadata: ProjectMetadata,
    settings: Settings,
    env: str | None,
    runtime_params: Mapping[str, Any] | None,
    conf_source: Path | str | None,
) -> ConfigLoader:
    """The configuration loader of a project for ``env`` (the default environment if None)."""
    source = metadata.root / (conf_source or settings.conf_source or metadata.conf_source)
    return ConfigLoader(
        source,
        env or settings.default_env,
        base_env=settings.base_env,
        runtime_params=runtime_params,
        patterns=settings.config_patterns,
    )


def make_hook_manager(settings: Settings) -> pluggy.PluginManager:
    """A hook manager with the project's hooks and the installed plugins not disabled."""
    if not settings.disable_hooks_for_plugins:
        return create_hook_manager(settings.hooks, entry_points=True)
    plugins = _enabled_plugins(set(settings.disable_hooks_for_plugins))
    return create_hook_manager([*plugins, *settings.hooks], entry_points=False)


def _enabled_plugins(disabled: set[str]) -> list[object]:
    from importlib.metadata import entry_points

    # Disabled plugins are not even loaded: one that fails to import cannot break the run.
    plugins = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in disabled or (ep.dist is not None and ep.dist.name in disabled):
            continue
        try:
            plugins.append(ep.load())
        except Exception as exc:
            raise DatamillError(
                f"The hooks plugin {ep.name!r} ({ep.value}) failed to load: {exc}. Reinstall "
                "or uninstall the package that provides it, or add its name to "
                "DISABLE_HOOKS_FOR_PLUGINS in settings.py."
            ) from exc
    return plugins


def build_catalog(
    loader: ConfigLoader,
    root: Path,
    *,
    save_version: str | None = None,
    load_versions: Mapping[str, str] | None = None,
) -> DataCatalog:
    """The catalog from ``loader``'s catalog, credentials and parameters.

    Relative local dataset paths are made absolute against ``root``.
    """
    return DataCatalog.from_config(
        _absolute_paths(loader["catalog"], root),
        loader["credentials"],
        parameters=loader["parameters"],
        load_versions=load_versions,
        save_version=save_version,
    )


def _absolute_paths(config: dict[str, Any], root: Path) -> dict[str, Any]:
    for entry in config.values():
        if not isinstance(entry, dict):
            continue  # reported by the catalog, naming the entry
        for key in _PATH_KEYS:
            value = entry.get(key)
            if isinstance(value, str) and _is_relative_local(value):
                entry[key] = (root / value).as_posix()
    return config


def _is_relative_local(path: str) -> bool:
    return "://" not in path and not Path(path).is_absolute() and not path.startswith("~")
