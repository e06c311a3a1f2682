"""``datamill new``: create a project from a starter.

Values not given as options are asked for when standard input is a terminal (unless
``--no-input``); otherwise their defaults are used, and only ``NAME`` is required.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

__all__ = ["new"]

_STARTERS = ("empty", "demo")  # datamill.project.STARTERS, without importing the project layer


@click.command("new")
@click.argument("name", required=False)
@click.option(
    "--starter",
    type=click.Choice(_STARTERS),
    help="What the project starts with: 'empty' (one trivial pipeline, the default) or "
    "'demo' (a complete machine-learning example that makes its own data).",
)
@click.option(
    "--package-name",
    help="The project's Python package. Default: NAME in lower case, with '_' for other "
    "characters.",
)
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    show_default="the current folder",
    help="The folder in which to create the project's folder.",
)
@click.option("--no-input", is_flag=True, help="Ask nothing: use defaults for what is not given.")
def new(
    name: str | None,
    starter: str | None,
    package_name: str | None,
    directory: Path,
    no_input: bool,
) -> None:
    """Create a project called NAME from a starter.

    \b
    datamill new "Space shuttles" --starter demo
    datamill new shop --package-name shop_pipelines --directory ~/work --no-input
    """
    from datamill.project._template import create_project, package_name_for

    ask = not no_input and _interactive()
    name = _project_name(name, ask)
    if starter is None:
        starter = _ask_starter() if ask else _STARTERS[0]
    if package_name is None and ask:
        package_name = click.prompt(
            "Package name", default=package_name_for(name), value_proc=_valid_package_name
        )
    elif package_name is not None:
        package_name = _valid_package_name(package_name, "--package-name")
    root = create_project(name, starter=starter, package_name=package_name, directory=directory)
    _report(root, name, starter)


def _interactive() -> bool:
    return sys.stdin.isatty()


def _project_name(name: str | None, ask: bool) -> str:
    if name is not None:
        return name
    if ask:
        return str(click.prompt("Project name"))
    raise click.UsageError("Missing the project's NAME, e.g. 'datamill new my-project'.")


def _ask_starter() -> str:
    return str(
        click.prompt(
            "Starter (empty: one trivial pipeline; demo: a complete ML example)",
            type=click.Choice(_STARTERS),
            default=_STARTERS[0],
            show_choices=False,
        )
    )


def _valid_package_name(value: str, option: str | None = None) -> str:
    from datamill.errors import ProjectError
    from datamill.project._template import check_package_name

    try:
        return check_package_name(value)
    except ProjectError as exc:
        if option is None:  # at a prompt: click shows the message and asks again
            raise click.UsageError(str(exc)) from exc
        raise click.BadParameter(str(exc), param_hint=option) from exc


def _report(root: Path, name: str, starter: str) -> None:
    click.echo(f"Created the project {name!r} from the {starter!r} starter in {root}")
    click.echo("\nNext steps:")
    click.echo(f"  cd {_shown(root)}")
    click.echo('  pip install -e ".[dev]"')
    click.echo("  datamill run")
    click.echo("  pytest")


def _shown(root: Path) -> str:
    try:
        relative = os.path.relpath(root)
    except ValueError:  # another drive on Windows
        return str(root)
    return str(root) if relative.startswith("..") else relative
