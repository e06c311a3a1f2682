"""Small helpers for user-facing messages, shared by every layer."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return `` Did you mean 'x'?`` for the closest candidate, or an empty string."""
    matches = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    if not matches:
        return ""
    if len(matches) == 1:
        return f" Did you mean {matches[0]!r}?"
    return " Did you mean " + ", ".join(repr(m) for m in matches[:-1]) + f" or {matches[-1]!r}?"


def quoted(names: Iterable[str], limit: int = 10) -> str:
    """Return names as ``'a', 'b', 'c'``, cut to ``limit`` with a count of the rest."""
    items = list(names)
    shown = ", ".join(repr(n) for n in items[:limit])
    if len(items) > limit:
        shown += f" and {len(items) - limit} more"
    return shown


def error_text(error: BaseException) -> str:
    """``ValueError: boom``; the class name alone when the message is empty
    (``KeyboardInterrupt``, not ``KeyboardInterrupt: ``)."""
    message = str(error)
    return f"{type(error).__name__}: {message}" if message else type(error).__name__
