"""``datamill config``: where a configuration value comes from.

``explain KEY`` prints the final value of a dotted key and every file and line that set
it, in merge order (``base`` first, ``--params`` last). Credentials are masked entirely;
in other configuration, secret-looking keys and URL passwords are masked as the catalog
masks them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from datamill.cli._options import conf_source_option, env_option, parse_params

if TYPE_CHECKING:
    from datamill.config import ConfigLoader, Explanation

__all__ = ["config", "explain"]


@click.group()
def config() -> None:
    """Inspect the configuration of the project in the current folder."""


@config.command("explain")
@click.argument("key")
@click.option(
    "-c",
    "--config",
    "config_key",
    default="parameters",
    show_default=True,
    help="Configuration to look in: parameters, catalog, credentials, globals, ...",
)
@env_option
@click.option("--params", multiple=True, help="Runtime parameters, as for 'datamill run'.")
@conf_source_option
def explain(
    key: str, config_key: str, env: str | None, params: tuple[str, ...], conf_source: Path | None
) -> None:
    """Show the final value of KEY (dotted, e.g. model.alpha) and every file that set it."""
    from datamill.project import Session

    source = conf_source.resolve() if conf_source is not None else None
    runtime = parse_params(params) or None
    with Session.create(".", env=env, runtime_params=runtime, conf_source=source) as session:
        loader = session.config_loader
        _check_config_key(loader, config_key)
        click.echo(str(_masked(loader.explain(key, config=config_key))))


def _check_config_key(loader: ConfigLoader, config_key: str) -> None:
    from datamill._text import did_you_mean, quoted
    from datamill.errors import ConfigError

    if config_key not in loader.patterns:
        raise ConfigError(
            f"Unknown configuration {config_key!r}.{did_you_mean(config_key, loader.patterns)} "
            f"Known: {quoted(loader.patterns)} (add more with CONFIG_PATTERNS in settings.py).",
            key=config_key,
        )


def _masked(explanation: Explanation) -> Explanation:
    """Mask secret-looking values of non-secret configuration (credentials are masked already)."""
    from dataclasses import replace

    from datamill.config import SECRET_CONFIGS

    if explanation.config in SECRET_CONFIGS:
        return explanation
    leaf = explanation.key.rpartition(".")[2]
    sources = tuple(replace(s, value=_mask(leaf, s.value)) for s in explanation.sources)
    return replace(explanation, value=_mask(leaf, explanation.value), sources=sources)


def _mask(leaf: str, value: Any) -> Any:
    from datamill.io._config import mask_secrets

    return mask_secrets({leaf: value})[leaf]
