"""Concrete dataset types, one module per library; each is imported only when used.

Refer to them in the catalog by their short type name (``text.TextDataset``,
``json.JSONDataset``, ...); the catalog resolves and imports the module on first use.
"""
