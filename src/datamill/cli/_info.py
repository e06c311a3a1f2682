"""``datamill info``: versions, optional extras and installed plugins."""

from __future__ import annotations

import importlib.util
import platform
from importlib.metadata import PackageNotFoundError, entry_points, version

import click

# Extra -> modules it provides (checked without importing them).
EXTRAS = {
    "pandas": ("pandas", "pyarrow", "openpyxl"),
    "polars": ("polars",),
    "sql": ("sqlalchemy", "duckdb", "duckdb_engine", "psycopg"),
    "plots": ("matplotlib", "plotly"),
    "images": ("PIL",),
    "pickle": ("joblib", "cloudpickle"),
    "s3": ("s3fs",),
    "azure": ("adlfs",),
    "gcs": ("gcsfs",),
}
PLUGIN_GROUPS = ("datamill.hooks", "datamill.datasets", "datamill.commands")


@click.command()
def info() -> None:
    """Show datamill's version, which extras are installed, and installed plugins."""
    click.echo(f"datamill {_version('datamill')} on Python {platform.python_version()}")
    click.echo("\nExtras:")
    for extra, modules in EXTRAS.items():
        missing = [m for m in modules if importlib.util.find_spec(m) is None]
        state = "installed" if not missing else f"missing {', '.join(missing)}"
        hint = "" if not missing else f'  (pip install "datamill[{extra}]")'
        click.echo(f"  {extra:<8} {state}{hint}")
    click.echo("\nPlugins:")
    for group in PLUGIN_GROUPS:
        found = sorted(f"{ep.name} ({ep.value})" for ep in entry_points(group=group))
        click.echo(f"  {group}: {', '.join(found) if found else 'none'}")


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"
