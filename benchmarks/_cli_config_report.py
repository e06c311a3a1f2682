"""The tables and targets of the ``cli`` and ``config`` suites, for ``run.py``'s report.

Both suites report medians (and minima) rather than the best repeat alone: a command's wall
time varies with what else the machine does, and the median is what a user waits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from _harness import Result
from _report import Check, Key, check, fmt_time, median, quotient

__all__ = [
    "CLI_HEADER",
    "CONFIG_HEADER",
    "cli_checks",
    "cli_rows",
    "config_checks",
    "config_rows",
]

HELP_LIMIT_MS = 150.0
HELP_RATIO = 1 / 4
RUN_RATIO = 1 / 3
CONFIG_RATIO = 1 / 3

COMMANDS = {
    "interpreter": "python -c pass",
    "help": "datamill --help / kedro --help",
    "run": "datamill run / kedro run (1 node)",
}
"""How each phase of the ``cli`` suite is shown."""

CLI_HEADER = (
    "command",
    "datamill median",
    "datamill min",
    "Kedro median",
    "Kedro min",
    "dm/Kedro (medians)",
    "runs",
)

CONFIG_HEADER = (
    "files",
    "parameters",
    "merged leaves",
    "datamill median",
    "datamill min",
    "Kedro median",
    "Kedro min",
    "dm/Kedro (medians)",
    "dm µs/parameter",
    "repeats",
)


def _median_or_status(result: Result | None) -> str:
    if result is None:
        return "-"
    return fmt_time(median(result)) if result.ok else result.status


def _min(result: Result | None) -> str:
    return fmt_time(None if result is None else result.best_s)


def _ratio(dm: Result | None, kd: Result | None) -> str:
    value = quotient(median(dm), median(kd))
    return "-" if value is None else f"{value:.3g}"


def _runs(*results: Result | None) -> str:
    return "/".join(str(len(r.times_s)) for r in results if r is not None and r.ok) or "-"


def _pair(
    dm: dict[Key, Result], kd: dict[Key, Result], key: Key
) -> tuple[Result | None, Result | None]:
    return dm.get(key), kd.get(key)


def cli_rows(dm: dict[Key, Result], kd: dict[Key, Result]) -> list[tuple[str, ...]]:
    """One row per command, in the order the commands ran."""
    rows: list[tuple[str, ...]] = []
    for key in dict.fromkeys([*dm, *kd]):
        d, k = _pair(dm, kd, key)
        rows.append(
            (
                COMMANDS.get(key[2], key[2]),
                _median_or_status(d),
                _min(d),
                _median_or_status(k),
                _min(k),
                _ratio(d, k),
                _runs(d, k),
            )
        )
    return rows


def config_rows(dm: dict[Key, Result], kd: dict[Key, Result]) -> list[tuple[str, ...]]:
    """One row per configuration size."""
    rows: list[tuple[str, ...]] = []
    for key in dict.fromkeys([*dm, *kd]):
        d, k = _pair(dm, kd, key)
        sizes = next((r.sizes for r in (d, k) if r is not None and r.sizes), {})
        per_parameter = quotient(median(d), key[1])
        rows.append(
            (
                str(sizes.get("files", "-")),
                f"{key[1]:,}",
                f"{sizes['merged_leaves']:,}" if "merged_leaves" in sizes else "-",
                _median_or_status(d),
                _min(d),
                _median_or_status(k),
                _min(k),
                _ratio(d, k),
                "-" if per_parameter is None else f"{per_parameter * 1e6:,.1f}",
                _runs(d, k),
            )
        )
    return rows


def cli_checks(dm: dict[Key, Result], kd: dict[Key, Result]) -> list[Check]:
    """``--help`` under 150 ms and a quarter of Kedro's; ``run`` a third of Kedro's.

    Also checks that ``datamill run`` writes nothing but its log (under ``logs/``). The
    comparisons need Kedro's results: without them only datamill's own figures are checked.
    """
    help_key, run_key = ("cli", 1, "help", "-"), ("cli", 1, "run", "-")
    help_s = median(dm.get(help_key))
    checks = [
        check(
            "cli: datamill --help, median wall time",
            f"< {HELP_LIMIT_MS:.0f} ms",
            None if help_s is None else help_s * 1e3,
            lambda v: v < HELP_LIMIT_MS,
            " ms",
        )
    ]
    checks += _writes_only_logs(dm.get(run_key))
    if not kd:
        return checks
    pairs = (
        (help_key, "cli: datamill --help / kedro --help (medians)", "<= 1/4 (0.25x)", HELP_RATIO),
        (run_key, "cli: datamill run / kedro run, 1 node (medians)", "<= 1/3 (0.33x)", RUN_RATIO),
    )
    for key, name, goal, limit in pairs:
        value = quotient(median(dm.get(key)), median(kd.get(key)))
        checks.append(check(name, goal, value, _at_most(limit), "x"))
    return checks


def _at_most(limit: float) -> Callable[[float], bool]:
    return lambda value: value <= limit


def _writes_only_logs(result: Result | None) -> list[Check]:
    if result is None or not result.ok:
        return []
    outside = result.sizes.get("files_written_outside_logs", 0)
    shown = result.detail.removeprefix("the runs wrote: ")
    return [
        Check(
            "cli: files a datamill run writes",
            "only under logs/ and .datamill/",
            shown,
            outside == 0,
        )
    ]


def config_checks(dm: dict[Key, Result], kd: dict[Key, Result]) -> list[Check]:
    """Loading parameters in a third of Kedro's time; both merge them identically.

    Each framework's result is already checked against the expected parameters by its
    script; the cross-check here also catches a difference in what both scripts expect.
    Both need Kedro's results: without them nothing is checked here.
    """
    if not kd:
        return []
    checks: list[Check] = []
    for key, d in dm.items():
        k = kd.get(key)
        name = f"config: load {key[1]:,} parameters, datamill / Kedro (medians)"
        value = quotient(median(d), median(k))
        checks.append(check(name, "<= 1/3 (0.33x)", value, _at_most(CONFIG_RATIO), "x"))
        checks += _same_parameters(key, d, k)
    return checks


def _same_parameters(key: Key, d: Result, k: Result | None) -> Sequence[Check]:
    if k is None or not d.ok or not k.ok:
        return []
    name = f"config: {key[1]:,} parameters merge to the same values as Kedro's"
    leaves, digest = d.sizes.get("merged_leaves", 0), d.sizes.get("digest", 0)
    shown = f"{leaves:,} leaves, digest {digest:015x}"
    if d.sizes != k.sizes:
        shown += f"; Kedro: {k.sizes.get('merged_leaves', 0):,} leaves, digest "
        shown += f"{k.sizes.get('digest', 0):015x}"
    return [Check(name, "identical", shown, passed=d.sizes == k.sizes, cross_check=True)]
