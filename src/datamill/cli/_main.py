"""The ``datamill`` command group: built-in commands, plugin commands, clean errors.

Commands are found lazily: built-in ones are imported only when invoked, and plugin
commands registered under the ``datamill.commands`` entry-point group are loaded only when
invoked (their names are listed in ``--help``). A :class:`~datamill.errors.DatamillError`
is printed as one line on standard error with exit code 1; ``--verbose`` shows the
traceback instead. Any other exception is a bug: it is reported the same way, with a hint to
rerun with ``--verbose``.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from typing import Any

import click

from datamill.cli._plugins import PluginEntryPoint, find_entry_points
from datamill.errors import DatamillError

__all__ = ["ENTRY_POINT_GROUP", "cli", "main"]

ENTRY_POINT_GROUP = "datamill.commands"

# Built-in commands: name -> ("module:attribute", one-line help). The module is imported
# only when the command runs; the help line is repeated here so that `datamill --help`
# imports none of them (a test checks that each line matches its command's own help).
BUILTIN_COMMANDS = {
    "catalog": (
        "datamill.cli._catalog:catalog",
        "Inspect the data catalog of the project in the current folder.",
    ),
    "check": (
        "datamill.cli._check:check",
        "Check a pipeline of the project in the current folder without running it.",
    ),
    "config": (
        "datamill.cli._config:config",
        "Inspect the configuration of the project in the current folder.",
    ),
    "info": (
        "datamill.cli._info:info",
        "Show datamill's version, which extras are installed, and installed plugins.",
    ),
    "new": ("datamill.cli._new:new", "Create a project called NAME from a starter."),
    "pipeline": (
        "datamill.cli._pipeline:pipeline",
        "Inspect and create the pipelines of the project in the current folder.",
    ),
    "lineage": (
        "datamill.cli._runs:lineage",
        "Show which run and node produced a dataset, and from which inputs.",
    ),
    "run": ("datamill.cli._run:run", "Run a pipeline of the project in the current folder."),
    "runs": (
        "datamill.cli._runs:runs",
        "Inspect the runs recorded in the journal of the project in the current folder.",
    ),
}


class DatamillGroup(click.Group):
    """A click group that finds commands lazily and reports errors without a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*BUILTIN_COMMANDS, *_plugin_entry_points()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        builtin = BUILTIN_COMMANDS.get(cmd_name)
        if builtin is not None:
            return _load_command(builtin[0])
        entry_point = _plugin_entry_points().get(cmd_name)
        if entry_point is None:
            return None
        return _load_plugin(entry_point, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Like click's, but a plugin that fails to load must not break `datamill --help`.
        rows: list[tuple[str, str]] = []
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max((len(n) for n in names), default=0)
        for name in names:
            if name in BUILTIN_COMMANDS:
                rows.append((name, BUILTIN_COMMANDS[name][1]))
                continue
            try:
                command = self.get_command(ctx, name)
            except click.ClickException:
                rows.append((name, "(plugin failed to load: run it to see why)"))
                continue
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        known = name in BUILTIN_COMMANDS or name in _plugin_entry_points()
        if name and not name.startswith("-") and not known:
            from datamill._text import did_you_mean

            hint = did_you_mean(name, self.list_commands(ctx))
            raise click.UsageError(f"No command {name!r}.{hint} See 'datamill --help'.", ctx)
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # output piped into `head` and the like: stop quietly
            silence(sys.stdout.fileno())
            ctx.exit(0)
        except DatamillError as exc:
            _report(ctx, f"Error: {exc}")
        except Exception as exc:  # a bug: say so, briefly
            _report(
                ctx,
                f"Unexpected error: {type(exc).__name__}: {exc}\n"
                "This is a bug in datamill or a plugin; rerun with --verbose for the "
                "traceback and report it.",
            )
        return None


def silence(fd: int) -> None:
    """Point the file descriptor ``fd`` (standard output or error) at nothing, so that
    writing to it, and flushing it at exit, cannot fail again: it was a pipe whose reader
    left, or a terminal that was closed."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _report(ctx: click.Context, message: str) -> None:
    if ctx.find_root().params.get("verbose"):
        traceback.print_exc()
    click.echo(message, err=True)
    ctx.exit(1)


def _load_command(target: str) -> click.Command:
    module_name, _, attribute = target.partition(":")
    command = getattr(importlib.import_module(module_name), attribute)
    assert isinstance(command, click.Command), f"{target} is not a click command"
    return command


def _plugin_entry_points() -> dict[str, PluginEntryPoint]:
    return find_entry_points(ENTRY_POINT_GROUP)


def _load_plugin(entry_point: PluginEntryPoint, name: str) -> click.Command:
    try:
        command = entry_point.load()
    except Exception as exc:
        raise click.ClickException(
            f"The plugin command {name!r} ({entry_point.value}) failed to load: {exc}. "
            "Reinstall or uninstall the package that provides it."
        ) from exc
    if not isinstance(command, click.Command):
        raise click.ClickException(
            f"The plugin command {name!r} ({entry_point.value}) is not a click command."
        )
    return command


@click.group(cls=DatamillGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="datamill", prog_name="datamill")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks and debug output.")
def cli(verbose: bool) -> None:
    """datamill: data and machine-learning pipelines."""


def main(argv: list[str] | None = None) -> None:
    """Run the command line (the ``datamill`` console script)."""
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="datamill")
