"""The ``datamill`` command line. It imports nothing heavy until a command needs it."""

from datamill.cli._main import ENTRY_POINT_GROUP, cli, main

__all__ = ["ENTRY_POINT_GROUP", "cli", "main"]
