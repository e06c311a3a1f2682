"""Tests for create_hook_manager and the plugins it discovers through entry points."""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

import pytest

from datamill import DataCatalog, MemoryDataset, Pipeline, node, run
from datamill.errors import DatamillError
from datamill.hooks import ENTRY_POINT_GROUP, create_hook_manager, entry_point_hooks, hook_impl
from datamill.pipeline import Node
from tests.resources import hook_funcs

if TYPE_CHECKING:
    from tests.hooks.conftest import InstallPlugin

ALL_HOOKS = {
    "after_catalog_created",
    "before_pipeline_run",
    "after_pipeline_run",
    "on_pipeline_error",
    "before_node_run",
    "after_node_run",
    "on_node_error",
    "after_node_skipped",
    "before_dataset_loaded",
    "after_dataset_loaded",
    "before_dataset_saved",
    "after_dataset_saved",
}

PROBE_SOURCE = """
    from datamill import hook_impl

    class ProbeHooks:
        def __init__(self):
            self.catalogs = []

        def __repr__(self):
            return "<ProbeHooks>"

        @hook_impl
        def after_catalog_created(self, catalog):
            self.catalogs.append(catalog)

    hooks = ProbeHooks()
"""


class CatalogHooks:
    """Records the catalogs it is told about."""

    def __init__(self) -> None:
        self.catalogs: list[DataCatalog] = []

    @hook_impl
    def after_catalog_created(self, catalog: DataCatalog) -> None:
        self.catalogs.append(catalog)


def _module_with_hooks(name: str, calls: list[str]) -> types.ModuleType:
    module = types.ModuleType(name)

    @hook_impl
    def after_catalog_created(catalog: DataCatalog) -> None:
        calls.append(name)

    module.after_catalog_created = after_catalog_created  # type: ignore[attr-defined]
    return module


def _probe(module_name: str) -> Any:
    return sys.modules[module_name].hooks


def _probe_loaded_by_discovery() -> Any:
    (probe,) = entry_point_hooks()
    return probe


# -- registering hook objects --------------------------------------------------------------


def test_the_manager_knows_every_datamill_hook() -> None:
    manager = create_hook_manager(entry_points=False)

    assert set(vars(manager.hook)) == ALL_HOOKS
    assert all(getattr(manager.hook, name).has_spec() for name in ALL_HOOKS)


def test_without_hooks_nothing_is_registered() -> None:
    assert create_hook_manager(entry_points=False).get_plugins() == set()


def test_a_hook_object_is_registered_and_called() -> None:
    hooks = CatalogHooks()
    catalog = DataCatalog()
    manager = create_hook_manager([hooks], entry_points=False)
    manager.hook.after_catalog_created(catalog=catalog)

    assert manager.is_registered(hooks)
    assert hooks.catalogs == [catalog]


def test_a_module_of_hook_functions_is_registered_and_called() -> None:
    calls: list[str] = []
    module = _module_with_hooks("project_hooks", calls)
    manager = create_hook_manager([module], entry_points=False)
    manager.hook.after_catalog_created(catalog=DataCatalog())

    assert manager.is_registered(module)
    assert calls == ["project_hooks"]


def test_several_hook_objects_are_all_called() -> None:
    first, second = CatalogHooks(), CatalogHooks()
    manager = create_hook_manager([first, second], entry_points=False)
    manager.hook.after_catalog_created(catalog=DataCatalog())

    assert len(first.catalogs) == len(second.catalogs) == 1


def test_registering_the_same_object_twice_is_harmless() -> None:
    hooks = CatalogHooks()
    manager = create_hook_manager([hooks, hooks], entry_points=False)
    manager.hook.after_catalog_created(catalog=DataCatalog())

    assert len(hooks.catalogs) == 1


def test_registering_the_same_module_twice_is_harmless() -> None:
    calls: list[str] = []
    module = _module_with_hooks("project_hooks", calls)
    manager = create_hook_manager([module, module], entry_points=False)
    manager.hook.after_catalog_created(catalog=DataCatalog())

    assert calls == ["project_hooks"]


def test_a_hook_taking_a_subset_of_the_spec_arguments_is_accepted() -> None:
    seen: list[str] = []

    class NodeNames:
        @hook_impl
        def before_node_run(self, node: Node) -> None:
            seen.append(node.name)

    manager = create_hook_manager([NodeNames()], entry_points=False)
    some_node = node(hook_funcs.double, "x", "y", name="double")
    manager.hook.before_node_run(node=some_node, inputs={"x": 1}, catalog=DataCatalog(), run_id="r")

    assert seen == ["double"]


def test_methods_without_the_marker_are_not_hooks() -> None:
    class Unmarked:
        def __init__(self) -> None:
            self.calls = 0

        def after_catalog_created(self, catalog: DataCatalog) -> None:
            self.calls += 1

    hooks = Unmarked()
    manager = create_hook_manager([hooks], entry_points=False)
    manager.hook.after_catalog_created(catalog=DataCatalog())

    assert hooks.calls == 0


def test_a_misspelt_hook_is_refused_naming_the_object_and_the_hook() -> None:
    class Misspelt:
        def __repr__(self) -> str:
            return "<Misspelt hooks>"

        @hook_impl
        def before_node_runn(self, node: Node) -> None:
            return None

    with pytest.raises(DatamillError) as exc:
        create_hook_manager([Misspelt()], entry_points=False)
    message = str(exc.value)
    assert message.startswith("Hooks object <Misspelt hooks> is invalid: ")
    assert "'before_node_runn'" in message
    assert "named after a datamill hook (e.g. before_node_run)" in message


def test_a_hook_taking_an_argument_its_spec_lacks_is_refused_naming_it() -> None:
    class ExtraArgument:
        def __repr__(self) -> str:
            return "<ExtraArgument hooks>"

        @hook_impl
        def before_node_run(self, node: Node, retries: int) -> None:
            return None

    with pytest.raises(DatamillError) as exc:
        create_hook_manager([ExtraArgument()], entry_points=False)
    message = str(exc.value)
    assert message.startswith("Hooks object <ExtraArgument hooks> is invalid: ")
    assert "retries" in message


def test_two_distinct_modules_with_one_name_are_refused_with_a_datamill_error() -> None:
    calls: list[str] = []
    first = _module_with_hooks("project_hooks", calls)
    second = _module_with_hooks("project_hooks", calls)

    with pytest.raises(DatamillError, match="project_hooks"):
        create_hook_manager([first, second], entry_points=False)


# -- plugins installed through entry points ------------------------------------------------


def test_the_entry_point_group_is_datamill_hooks() -> None:
    assert ENTRY_POINT_GROUP == "datamill.hooks"


def test_an_installed_plugin_is_registered(install_plugin: InstallPlugin) -> None:
    install_plugin("dm_probe_plugin", PROBE_SOURCE, {"probe": "dm_probe_plugin:hooks"})
    manager = create_hook_manager()
    catalog = DataCatalog()
    manager.hook.after_catalog_created(catalog=catalog)

    probe = _probe("dm_probe_plugin")
    assert manager.is_registered(probe)
    assert probe.catalogs == [catalog]


def test_entry_point_hooks_returns_the_loaded_plugin_objects(
    install_plugin: InstallPlugin,
) -> None:
    install_plugin("dm_probe_plugin", PROBE_SOURCE, {"probe": "dm_probe_plugin:hooks"})

    assert entry_point_hooks() == (_probe("dm_probe_plugin"),)


def test_an_installed_plugin_may_be_a_module(install_plugin: InstallPlugin) -> None:
    source = """
        from datamill import hook_impl

        seen_catalogs = []

        @hook_impl
        def after_catalog_created(catalog):
            seen_catalogs.append(catalog)
    """
    install_plugin("dm_module_plugin", source, {"module": "dm_module_plugin"})
    catalog = DataCatalog()
    create_hook_manager().hook.after_catalog_created(catalog=catalog)

    plugin = sys.modules["dm_module_plugin"]
    assert plugin.seen_catalogs == [catalog]


def test_entry_points_false_skips_installed_plugins(install_plugin: InstallPlugin) -> None:
    install_plugin("dm_probe_plugin", PROBE_SOURCE, {"probe": "dm_probe_plugin:hooks"})
    manager = create_hook_manager(entry_points=False)

    assert manager.get_plugins() == set()
    assert "dm_probe_plugin" not in sys.modules


def test_plugins_are_discovered_once_until_the_cache_is_cleared(
    install_plugin: InstallPlugin,
) -> None:
    before = entry_point_hooks()
    install_plugin("dm_probe_plugin", PROBE_SOURCE, {"probe": "dm_probe_plugin:hooks"})

    assert entry_point_hooks() is before
    assert create_hook_manager().get_plugins() == set(before)
    assert "dm_probe_plugin" not in sys.modules

    entry_point_hooks.cache_clear()
    assert create_hook_manager().is_registered(_probe("dm_probe_plugin"))


def test_an_installed_plugin_given_explicitly_too_is_registered_once(
    install_plugin: InstallPlugin,
) -> None:
    install_plugin("dm_probe_plugin", PROBE_SOURCE, {"probe": "dm_probe_plugin:hooks"})
    probe = _probe_loaded_by_discovery()
    manager = create_hook_manager([probe])
    manager.hook.after_catalog_created(catalog=DataCatalog())

    assert len(probe.catalogs) == 1


def test_an_installed_plugin_fires_during_a_run(install_plugin: InstallPlugin) -> None:
    install_plugin("dm_probe_plugin", PROBE_SOURCE, {"probe": "dm_probe_plugin:hooks"})
    catalog = DataCatalog({"x": MemoryDataset(2)})

    result = run(Pipeline([node(hook_funcs.double, "x", "y")]), catalog)

    assert result == {"y": 4}
    (seen,) = _probe("dm_probe_plugin").catalogs
    assert seen["x"] is catalog["x"]  # the run's catalog, sharing the caller's datasets


def test_a_plugin_failing_to_import_is_reported_naming_the_entry_point(
    install_plugin: InstallPlugin,
) -> None:
    source = """
        raise ImportError("fancylib is not installed")
    """
    install_plugin("dm_broken_plugin", source, {"broken": "dm_broken_plugin:hooks"})

    with pytest.raises(DatamillError) as exc:
        create_hook_manager()
    message = str(exc.value)
    assert message.startswith(
        "The hooks plugin 'broken' (dm_broken_plugin:hooks) failed to load: "
        "fancylib is not installed."
    )
    assert "Reinstall or uninstall the package that provides it." in message
    assert isinstance(exc.value.__cause__, ImportError)


def test_a_plugin_pointing_at_a_missing_module_is_reported(install_plugin: InstallPlugin) -> None:
    install_plugin("dm_empty_plugin", "", {"ghost": "dm_no_such_module:hooks"})

    with pytest.raises(DatamillError, match=r"'ghost' \(dm_no_such_module:hooks\) failed to load"):
        entry_point_hooks()


def test_a_plugin_pointing_at_a_missing_attribute_is_reported(
    install_plugin: InstallPlugin,
) -> None:
    install_plugin("dm_empty_plugin", "", {"typo": "dm_empty_plugin:hoooks"})

    with pytest.raises(DatamillError, match=r"'typo' \(dm_empty_plugin:hoooks\)") as exc:
        create_hook_manager()
    assert isinstance(exc.value.__cause__, AttributeError)


def test_a_failed_discovery_is_retried_on_the_next_call(install_plugin: InstallPlugin) -> None:
    install_plugin("dm_empty_plugin", "", {"ghost": "dm_no_such_module:hooks"})

    for _ in range(2):
        with pytest.raises(DatamillError, match="'ghost'"):
            entry_point_hooks()


def test_an_installed_plugin_with_a_misspelt_hook_is_refused(
    install_plugin: InstallPlugin,
) -> None:
    source = """
        from datamill import hook_impl

        class Hooks:
            def __repr__(self):
                return "<dm_typo_plugin hooks>"

            @hook_impl
            def after_catalog_create(self, catalog):
                pass

        hooks = Hooks()
    """
    install_plugin("dm_typo_plugin", source, {"typo": "dm_typo_plugin:hooks"})

    with pytest.raises(DatamillError, match="<dm_typo_plugin hooks> is invalid"):
        create_hook_manager()
