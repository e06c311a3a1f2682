"""Test harness for datamill users and plugin authors (needs pytest: ``datamill[testing]``).

:class:`DatasetContract` is the behaviour every dataset type must honour, as a pytest class
to inherit; :class:`FileDatasetContract` adds atomic writes and versioning for file datasets.
Every built-in dataset passes them.
"""

from datamill.testing._contract import DatasetContract, DatasetFactory, FileDatasetContract

__all__ = ["DatasetContract", "DatasetFactory", "FileDatasetContract"]
