"""Building blocks of ``run.py``'s report: checks against targets, durations, ratios.

``run.py`` and the report modules of single suites (``_cli_config_report.py``) share them.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

from _harness import Result

__all__ = ["Check", "Key", "check", "fmt_time", "median", "quotient"]

Key = tuple[str, int, str, str]
"""A case's identity across frameworks (:attr:`_harness.Case.key`)."""


@dataclass(frozen=True, slots=True)
class Check:
    """One performance target (or cross-check) and whether datamill met it.

    Attributes:
        name: What is measured.
        target: The target, as text.
        measured: The measured value, as text (``"missing"`` without a measurement).
        passed: Whether the target was met.
        cross_check: The check compares the frameworks' results rather than their speed:
            failing it means one returned wrong results, and ``run.py`` exits with 1.
    """

    name: str
    target: str
    measured: str
    passed: bool
    cross_check: bool = False

    @property
    def verdict(self) -> str:
        """``PASS`` or ``FAIL``."""
        return "PASS" if self.passed else "FAIL"


def fmt_time(seconds: float | None) -> str:
    """A duration with a readable unit."""
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def check(
    name: str,
    target: str,
    value: float | None,
    passes: Callable[[float], bool],
    unit: str,
    *,
    note: str = "",
) -> Check:
    """A :class:`Check`; a missing measurement fails."""
    if value is None:
        return Check(name, target, "missing", passed=False)
    return Check(name, target, f"{value:,.2f}{unit}{note}", passed=passes(value))


def quotient(top: float | None, bottom: float | None) -> float | None:
    """``top / bottom``, ``None`` if either is missing."""
    return None if top is None or bottom is None or bottom == 0 else top / bottom


def median(result: Result | None) -> float | None:
    """The median of a result's repeats, ``None`` without a measurement."""
    if result is None or not result.ok:
        return None
    return statistics.median(result.times_s)
