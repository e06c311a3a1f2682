"""Where a configuration value came from: every file and line that set or overrode it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

MASK: Final = "***"
"""What secret values are shown as."""

RUNTIME_PARAMS: Final = "runtime_params"
"""The ``env`` of a `Provenance` that comes from the runtime parameters, not a file."""


@dataclass(frozen=True, slots=True)
class Provenance:
    """One place that set a configuration key.

    Attributes:
        env: The environment folder, or ``"runtime_params"``.
        file: The file that set the key, or None for runtime parameters.
        line: The 1-based line of the key in ``file``, when known.
        value: The value set there, resolved (``"***"`` for credentials).
    """

    env: str
    file: str | None
    line: int | None
    value: Any

    @property
    def location(self) -> str:
        """``file:line``, or ``--params`` for runtime parameters."""
        if self.file is None:
            return "--params"
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass(frozen=True, slots=True)
class Explanation:
    """The final value of a configuration key and every place that set it, in merge order.

    The last source is the one whose value won (for mappings, each file may contribute
    part of the final value).

    Example:
        >>> explanation = loader.explain("model.test_size")  # doctest: +SKIP
        >>> print(explanation)  # doctest: +SKIP
        parameters: model.test_size = 0.3
          base            conf/base/parameters.yml:3   0.2
          local           conf/local/parameters.yml:2  0.3
    """

    key: str
    config: str
    value: Any
    sources: tuple[Provenance, ...]

    def __str__(self) -> str:
        lines = [f"{self.config}: {self.key} = {self.value!r}"]
        width_env = max((len(s.env) for s in self.sources), default=0)
        width_loc = max((len(s.location) for s in self.sources), default=0)
        lines.extend(
            f"  {s.env:<{width_env}}  {s.location:<{width_loc}}  {s.value!r}" for s in self.sources
        )
        return "\n".join(lines)


def mask(value: Any) -> Any:
    """Return ``value`` with every leaf replaced by `MASK`, keeping the mapping shape."""
    if isinstance(value, dict):
        return {key: mask(item) for key, item in value.items()}
    return MASK


def masked_sources(sources: Sequence[Provenance]) -> tuple[Provenance, ...]:
    """Return ``sources`` with their values masked."""
    return tuple(Provenance(s.env, s.file, s.line, mask(s.value)) for s in sources)
