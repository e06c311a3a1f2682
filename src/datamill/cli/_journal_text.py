"""How the journal commands write values: local times, durations, sizes, tables, JSON."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from datamill.journal import DatasetRecord, RunSummary

__all__ = [
    "count_leaves",
    "dataset_label",
    "duration_text",
    "json_text",
    "local_time",
    "memory_text",
    "node_counts",
    "short_commit",
    "short_fingerprint",
    "table",
    "value_text",
]

_UNITS: Final = ("KiB", "MiB", "GiB", "TiB")
_FINGERPRINT_LENGTH: Final = 12
_COMMIT_LENGTH: Final = 8


def local_time(value: datetime) -> str:
    """``value`` in the local time zone, to the second (``2026-11-22 11:15:00``)."""
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def duration_text(seconds: float | None) -> str:
    """``0.412s`` under a minute, then ``4m 05s``, then ``2h 03m``; ``-`` when unknown.

    Example:
        >>> duration_text(0.5), duration_text(245), duration_text(7385)
        ('0.500s', '4m 05s', '2h 03m')
    """
    if seconds is None:
        return "-"
    if round(seconds, 3) < 60:
        return f"{seconds:.3f}s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def memory_text(size: int | None) -> str:
    """A byte count in binary units (``512 B``, ``1.5 KiB``, ``12.0 MiB``); ``-`` when unknown.

    Example:
        >>> memory_text(512), memory_text(1536), memory_text(12 * 2**20)
        ('512 B', '1.5 KiB', '12.0 MiB')
    """
    if size is None:
        return "-"
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in _UNITS:
        value /= 1024
        if value < 1024 or unit == _UNITS[-1]:
            break
    return f"{value:.1f} {unit}"


def short_commit(commit: str | None, dirty: bool | None) -> str:
    """The commit's first characters, with ``*`` when the working tree had changes."""
    if commit is None:
        return "-"
    return commit[:_COMMIT_LENGTH] + ("*" if dirty else "")


def short_fingerprint(fingerprint: str) -> str:
    """The first characters of a fingerprint's digest, enough to tell two apart.

    The scheme before the last ``:`` (``blake2b:``, ``partitions:``) is left out: shown
    whole, it would use up the width and leave one character of ``partitions:3fa2...``.
    """
    _, _, digest = fingerprint.rpartition(":")
    return (digest or fingerprint)[:_FINGERPRINT_LENGTH]


def node_counts(run: RunSummary) -> str:
    """``3 ran, 1 skipped``: the nodes of ``run`` by status, the statuses with none left out."""
    counts = (
        (run.nodes_ran, "ran"),
        (run.nodes_skipped, "skipped"),
        (run.nodes_failed, "failed"),
        (run.nodes_interrupted, "interrupted"),
        (run.nodes_not_reached, "not reached"),
    )
    return ", ".join(f"{count} {status}" for count, status in counts if count) or "none recorded"


def dataset_label(record: DatasetRecord) -> str:
    """``name@version (fingerprint 3fa2c1d4e5f6, in memory)``, leaving out what is unknown."""
    from datamill.pipeline import is_parameter

    name = record.name if record.version is None else f"{record.name}@{record.version}"
    details = ["parameter"] if is_parameter(record.name) else []
    if record.fingerprint is not None:
        details.append(f"fingerprint {short_fingerprint(record.fingerprint)}")
    if record.persisted is False:
        details.append("in memory")
    return f"{name} ({', '.join(details)})" if details else name


def count_leaves(mapping: Mapping[str, Any]) -> int:
    """How many values ``mapping`` holds once nested mappings are flattened (a list is one)."""
    return sum(
        count_leaves(value) if isinstance(value, Mapping) and value else 1
        for value in mapping.values()
    )


def value_text(value: Any) -> str:
    """A parameter value as JSON writes it (``0.1``, ``"text"``, ``[1, 2]``, ``null``)."""
    return json.dumps(value, ensure_ascii=False, default=repr)


def json_text(data: Any) -> str:
    """``data`` as indented JSON, datetimes as ISO 8601."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=_json_default)


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    return repr(value)


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Collection[int] = (),
    indent: int = 0,
) -> list[str]:
    """``header`` and ``rows`` as aligned columns two spaces apart (``right``: column indexes
    aligned to the right)."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        text = "  ".join(
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )
        return (" " * indent + text).rstrip()

    return [line(header), *(line(row) for row in rows)]
