"""Where log records go while ``datamill run`` runs: the console, the run log, or a config.

Python's logging sends a record nowhere until something configures it, so without this a
node's ``log.info("...")`` would be lost. For the length of a run the command sets it up:

- **console** (standard error): the project package's records from INFO (DEBUG with
  ``--verbose``), every other logger's from WARNING. The handler looks ``sys.stderr`` up at
  each record, so that while the live display has replaced it the record is printed above
  the display;
- **run log** (``logs/datamill.log``): the same records, plus datamill's own from INFO
  (among them the plain lines the command prints, from the ``datamill.run`` logger, which
  the console leaves out: they are already on the screen);
- **a logging config** replaces the console part: ``$DATAMILL_LOGGING_CONFIG``, else
  ``logging.yml`` in the configuration folder, a `logging.config.dictConfig` mapping in
  YAML. The run log then gets datamill's records only; the config says where the others go.

Everything is put back when the run ends, so that commands run one after the other in one
process (tests, notebooks) do not pile up handlers.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from datamill.cli._progress import Echo
from datamill.errors import ConfigError

__all__ = ["CONFIG_ENV", "CONFIG_FILE", "RUN_LOGGER", "logging_config_path", "run_logging"]

CONFIG_ENV: Final = "DATAMILL_LOGGING_CONFIG"
CONFIG_FILE: Final = "logging.yml"
RUN_LOGGER: Final = "datamill.run"

_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_CONSOLE_FORMAT: Final = "%(levelname)s %(name)s: %(message)s"


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes each record to the ``sys.stderr`` of the moment (the live display swaps it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


class _Levels(logging.Filter):
    """Lets a record through from ``own`` loggers at ``own_level``, from others at WARNING."""

    def __init__(self, own: tuple[str, ...], own_level: int, *, skip: str | None = None) -> None:
        super().__init__()
        self._own = own
        self._own_level = own_level
        self._skip = skip

    def filter(self, record: logging.LogRecord) -> bool:
        name = record.name
        if self._skip is not None and _under(name, self._skip):
            return False
        if any(_under(name, own) for own in self._own):
            return record.levelno >= self._own_level
        return record.levelno >= logging.WARNING


def _under(name: str, parent: str) -> bool:
    return name == parent or name.startswith(f"{parent}.")


def logging_config_path(conf_source: Path) -> Path | None:
    """The logging config a run applies: ``$DATAMILL_LOGGING_CONFIG``, else
    ``<conf_source>/logging.yml`` if it exists, else None (datamill's defaults).

    Raises:
        ConfigError: The environment variable names a file that does not exist.
    """
    named = os.environ.get(CONFIG_ENV)
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(
                f"{CONFIG_ENV} names the logging config {named!r}, which is not a file. "
                f"Point it to a YAML logging config, or unset it to use datamill's defaults.",
                path=named,
            )
        return path
    path = conf_source / CONFIG_FILE
    return path if path.is_file() else None


@contextmanager
def run_logging(
    log_file: Path, package: str, conf_source: Path, *, verbose: bool = False
) -> Iterator[Echo]:
    """Set logging up for a run (see the module's docstring); yield a function that
    writes a line to the run log.

    Args:
        log_file: The run log, created with its folder if needed.
        package: The project's package: its loggers log from INFO.
        conf_source: The configuration folder, where ``logging.yml`` may be.
        verbose: The project's and datamill's loggers log from DEBUG.

    Raises:
        ConfigError: The logging config is missing, not YAML, or not a valid config.
    """
    path = logging_config_path(conf_source)
    config = None if path is None else _read(path)
    own_level = logging.DEBUG if verbose else logging.INFO
    named = config.get("loggers") if config is not None else None
    with _kept_as_is(["datamill", package, *(named if isinstance(named, dict) else ())]):
        if path is not None and config is not None:
            _apply(path, config)
            own: tuple[str, ...] = ("datamill",)
        else:
            own = ("datamill", package)
            logging.getLogger(package).setLevel(own_level)
            console = _Stderr()
            console.setFormatter(logging.Formatter(_CONSOLE_FORMAT))
            console.addFilter(_Levels((package,), own_level, skip=RUN_LOGGER))
            logging.root.addHandler(console)
        logging.getLogger("datamill").setLevel(min(own_level, logging.INFO))
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.addFilter(_Levels(own, own_level))
        (logging.root if config is None else logging.getLogger("datamill")).addHandler(handler)
        run_logger = logging.getLogger(RUN_LOGGER)

        def log(line: str) -> None:
            run_logger.info(line.strip())

        yield log


@contextmanager
def _kept_as_is(names: Iterable[object]) -> Iterator[None]:
    """Put the root logger and the loggers ``names`` back as they were; close new handlers."""
    loggers = [logging.root, *(logging.getLogger(str(name)) for name in names)]
    saved = [(lg, lg.level, list(lg.handlers), lg.propagate, lg.disabled) for lg in loggers]
    try:
        yield
    finally:
        for lg, level, handlers, propagate, disabled in saved:
            for handler in lg.handlers:
                if handler not in handlers:
                    handler.close()
            lg.handlers[:] = handlers
            lg.setLevel(level)
            lg.propagate = propagate
            lg.disabled = disabled


def _read(path: Path) -> dict[str, Any]:
    from datamill.config import read_yaml  # says which line is wrong, as for any config file

    return read_yaml(path).data


def _apply(path: Path, config: dict[str, Any]) -> None:
    import logging.config  # with logging.handlers, socket and pickle: only when configured

    # Loggers that exist already (datamill's, the project's) keep working unless the config
    # names them: dictConfig would otherwise disable every logger it does not list.
    config.setdefault("disable_existing_loggers", False)
    try:
        logging.config.dictConfig(config)
    except (ValueError, TypeError, AttributeError, ImportError) as exc:
        cause = f" ({exc.__cause__})" if exc.__cause__ is not None else ""
        raise ConfigError(
            f"The logging config {path} is not valid: {exc}{cause}. It must be a "
            "logging.config.dictConfig mapping (version: 1, handlers, loggers, root); fix "
            "it, or remove it to use datamill's defaults.",
            path=str(path),
        ) from exc
