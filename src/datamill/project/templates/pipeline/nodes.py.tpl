"""Nodes of the ``{{ pipeline_name }}`` pipeline: plain functions that do no I/O.

A node receives its inputs as arguments and returns its outputs; the catalog loads and
saves them. For example::

    def drop_empty_rows(table: pd.DataFrame) -> pd.DataFrame:
        return table.dropna(how="all")
"""
