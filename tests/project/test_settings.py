"""Project settings: defaults, overrides from settings.py, and the errors of a bad one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from datamill.errors import ProjectError
from datamill.pipeline import Retry
from datamill.project import Settings, find_project, load_settings
from tests.project.conftest import PACKAGE, Project


def test_defaults_without_settings_py(project: Project) -> None:
    settings = load_settings(find_project(project.root))
    assert settings == Settings()
    assert settings.hooks == ()
    assert settings.disable_hooks_for_plugins == ()
    assert settings.executor == "sequential"
    assert settings.workers is None
    assert settings.conf_source is None
    assert (settings.base_env, settings.default_env) == ("base", "local")
    assert settings.journal_path == ".datamill/journal.db"
    assert settings.journal_stale_after == 600.0
    assert settings.journal_staleness == timedelta(minutes=10)
    assert dict(settings.config_patterns) == {}
    assert settings.retry is None


def test_overrides(project: Project) -> None:
    project.write_package(
        "settings.py",
        f"""\
        from pathlib import Path

        from {PACKAGE}.hooks import Recorder

        _HELPER = "private names are the module's own"
        HOOKS = [Recorder()]
        DISABLE_HOOKS_FOR_PLUGINS = ["some-plugin"]
        EXECUTOR = "thread"
        WORKERS = 3
        CONF_SOURCE = Path("settings/conf")
        BASE_ENV = "common"
        DEFAULT_ENV = "dev"
        JOURNAL_PATH = "journal.db"
        JOURNAL_STALE_AFTER = 3600
        CONFIG_PATTERNS = {{"spark": ["spark*.yml"]}}
        """,
    )
    settings = load_settings(find_project(project.root))
    assert type(settings.hooks) is tuple
    assert [type(h).__name__ for h in settings.hooks] == ["Recorder"]
    assert settings.disable_hooks_for_plugins == ("some-plugin",)
    assert (settings.executor, settings.workers) == ("thread", 3)
    assert settings.conf_source == "settings/conf"
    assert (settings.base_env, settings.default_env) == ("common", "dev")
    assert settings.journal_path == "journal.db"
    assert settings.journal_staleness == timedelta(hours=1)
    assert dict(settings.config_patterns) == {"spark": ("spark*.yml",)}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("RETRY = 3", Retry(3)),
        ("RETRY = 0", Retry(0)),
        ("RETRY = None", None),
        (
            'RETRY = {"times": 2, "delay": 0.5, "backoff": 3}',
            Retry(2, delay=0.5, backoff=3.0),
        ),
        (
            'RETRY = {"times": 1, "on": (ConnectionError, TimeoutError)}',
            Retry(1, on=(ConnectionError, TimeoutError)),
        ),
        (
            "from datamill import Retry\nRETRY = Retry(4, delay=0, on=OSError)",
            Retry(4, delay=0, on=OSError),
        ),
    ],
)
def test_retry_policy(project: Project, line: str, expected: Retry | None) -> None:
    project.write_package("settings.py", line + "\n")
    assert load_settings(find_project(project.root)).retry == expected


def test_no_staleness(project: Project) -> None:
    project.write_package("settings.py", "JOURNAL_STALE_AFTER = None\n")
    assert load_settings(find_project(project.root)).journal_staleness is None


def test_unknown_name_suggests_the_closest(project: Project) -> None:
    path = project.write_package("settings.py", 'EXECUTER = "thread"\n')
    with pytest.raises(ProjectError) as info:
        load_settings(find_project(project.root))
    message = str(info.value)
    assert message.startswith(f"{path.resolve()}: EXECUTER is not a datamill setting.")
    assert "Did you mean 'EXECUTOR'?" in message
    assert "Prefix the module's own names with '_'." in message
    assert info.value.path == str(path.resolve())


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("WORKERS = '4'", "WORKERS must be a positive integer or None, got '4'."),
        ("WORKERS = 0", "WORKERS must be a positive integer or None, got 0."),
        ("EXECUTOR = 3", "EXECUTOR must be a non-empty string, got 3."),
        ("HOOKS = object()", "HOOKS must be a list of hook objects"),
        ("DISABLE_HOOKS_FOR_PLUGINS = 'x'", "DISABLE_HOOKS_FOR_PLUGINS must be a list of strings"),
        ("CONFIG_PATTERNS = {'spark': 'x'}", "CONFIG_PATTERNS must map configuration keys"),
        ("RETRY = -1", "RETRY must be 0 or more retries, got -1."),
        (
            "JOURNAL_STALE_AFTER = 60",
            "JOURNAL_STALE_AFTER must be None or a number of seconds of at least 120 (a run "
            "writes to the journal every 30 seconds while it goes on; a shorter staleness "
            "would take live runs of other machines for crashed), got 60.",
        ),
        ("JOURNAL_STALE_AFTER = '1h'", "JOURNAL_STALE_AFTER must be None or a number of"),
        ("JOURNAL_STALE_AFTER = True", "JOURNAL_STALE_AFTER must be None or a number of"),
        (
            "RETRY = '3'",
            "RETRY must be a number of retries, a dict of Retry arguments or a Retry(...), "
            "got '3'.",
        ),
        (
            "RETRY = {'times': 2, 'dealy': 1}",
            "RETRY has an unknown key 'dealy' (keys: times, delay, backoff, on; did you mean "
            "'delay'?), got {'times': 2, 'dealy': 1}.",
        ),
        (
            "RETRY = {'delay': 1}",
            "RETRY needs a 'times' key (how many times to retry a failed node), got {'delay': 1}.",
        ),
        (
            "RETRY = {'times': 2, 'backoff': 0.5}",
            "RETRY must hold valid Retry arguments (backoff must be 1 or more (1 waits the same "
            "delay before every retry), got 0.5), got {'times': 2, 'backoff': 0.5}.",
        ),
        ("RETRY = {'times': 2, 'on': 'OSError'}", "RETRY must hold valid Retry arguments (on must"),
    ],
)
def test_wrong_type_names_the_setting(project: Project, line: str, expected: str) -> None:
    project.write_package("settings.py", line + "\n")
    with pytest.raises(ProjectError, match=r"settings\.py: ") as info:
        load_settings(find_project(project.root))
    assert expected in str(info.value)


def test_retries_is_a_typo_of_retry(project: Project) -> None:
    project.write_package("settings.py", "RETRIES = 2\n")
    with pytest.raises(
        ProjectError, match=r"RETRIES is not a datamill setting\. Did you mean 'RETRY'\?"
    ):
        load_settings(find_project(project.root))


def test_hook_classes_instead_of_instances(project: Project) -> None:
    project.write_package(
        "settings.py", f"from {PACKAGE}.hooks import Recorder\nHOOKS = [Recorder]\n"
    )
    with pytest.raises(ProjectError, match=r"HOOKS must hold hook instances, not classes: write "):
        load_settings(find_project(project.root))


def test_every_problem_is_reported_at_once(project: Project) -> None:
    project.write_package("settings.py", "WORKERS = -1\nEXECUTOR = ''\nHOOK = []\n")
    with pytest.raises(ProjectError, match=r"^3 problems in .*settings.py:\n  - ") as info:
        load_settings(find_project(project.root))
    assert "Did you mean 'HOOKS'?" in str(info.value)
