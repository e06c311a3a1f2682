"""Creating hook managers and discovering plugins that register through entry points."""

from __future__ import annotations

import functools
from collections.abc import Iterable

import pluggy

from datamill.errors import DatamillError
from datamill.hooks._markers import PROJECT_NAME
from datamill.hooks._specs import ALL_SPECS

__all__ = ["ENTRY_POINT_GROUP", "create_hook_manager", "entry_point_hooks"]

ENTRY_POINT_GROUP = "datamill.hooks"


def create_hook_manager(
    hooks: Iterable[object] = (), *, entry_points: bool = True
) -> pluggy.PluginManager:
    """Return a plugin manager with every spec, the given hook objects and installed plugins.

    Args:
        hooks: Objects (or modules) with methods decorated by ``hook_impl``.
        entry_points: Also register the plugins installed under the ``datamill.hooks``
            entry-point group.

    Raises:
        DatamillError: A hook object implements a hook that does not exist, or takes an
            argument its spec does not provide.
    """
    manager = pluggy.PluginManager(PROJECT_NAME)
    for spec in ALL_SPECS:
        manager.add_hookspecs(spec)
    plugins = [*(entry_point_hooks() if entry_points else ()), *hooks]
    for plugin in plugins:
        _register(manager, plugin)
    return manager


def _register(manager: pluggy.PluginManager, plugin: object) -> None:
    if manager.is_registered(plugin):
        return
    try:
        manager.register(plugin)
        manager.check_pending()
    except (pluggy.PluginValidationError, ValueError) as exc:
        if manager.is_registered(plugin):
            manager.unregister(plugin)
        raise DatamillError(
            f"Hooks object {plugin!r} is invalid: {exc}. Hook methods must be named after a "
            "datamill hook (e.g. before_node_run) and take only arguments of that hook."
        ) from exc


@functools.cache
def entry_point_hooks() -> tuple[object, ...]:
    """Load, once per process, the hook objects installed under ``datamill.hooks``.

    Call ``entry_point_hooks.cache_clear()`` to discover plugins installed since.

    Raises:
        DatamillError: An installed plugin fails to load (the entry point is named).
    """
    from importlib.metadata import entry_points  # slow to import: only when needed

    loaded = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded.append(ep.load())
        except Exception as exc:
            raise DatamillError(
                f"The hooks plugin {ep.name!r} ({ep.value}) failed to load: {exc}. Reinstall "
                "or uninstall the package that provides it."
            ) from exc
    return tuple(loaded)
