"""Nodes of the ``hello`` pipeline."""

import logging

logger = logging.getLogger(__name__)


def greet(name: str) -> str:
    """Return a greeting for ``name``, and log it."""
    greeting = f"Hello, {name}!"
    logger.info(greeting)
    return greeting
