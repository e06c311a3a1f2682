"""Layered project configuration: catalog, parameters, credentials and where values came from.

Example:
    >>> from datamill.config import ConfigLoader
    >>> loader = ConfigLoader("conf", env="prod")  # doctest: +SKIP
    >>> loader["parameters"]  # doctest: +SKIP
    {'model': {'test_size': 0.3}}
"""

from datamill.config._explain import MASK, Explanation, Provenance
from datamill.config._loader import SECRET_CONFIGS, ConfigLoader
from datamill.config._merge import deep_merge
from datamill.config._sources import DEFAULT_PATTERNS, ENVIRONMENT_FILE
from datamill.config._yaml import YamlFile, read_yaml

__all__ = [
    "DEFAULT_PATTERNS",
    "ENVIRONMENT_FILE",
    "MASK",
    "SECRET_CONFIGS",
    "ConfigLoader",
    "Explanation",
    "Provenance",
    "YamlFile",
    "deep_merge",
    "read_yaml",
]
