"""Dataset patterns: catalog entries whose name holds ``{placeholders}``.

An entry named ``"{name}_features"`` serves every dataset whose name ends in ``_features``:
``"cars_features"`` gets that entry with ``{name}`` replaced by ``cars`` in every string value
(nested mappings and lists included). A placeholder is ``{word}`` (letters, digits and
underscores) and matches one or more characters of any kind; when a name can be split in
several ways, earlier placeholders take the shortest text.

How the pattern for a name is chosen. Each pattern is compiled once to a regular expression.
Patterns are ranked by specificity:

1. more literal characters (everything outside placeholders) first;
2. then fewer placeholders;
3. the catch-all pattern (a single placeholder and nothing else, e.g. ``"{default}"``) last.

The first rank holding a pattern that matches wins. Two patterns of the same rank that both
match a name make the name ambiguous: that is an error naming both patterns, never a silent
pick. Within a rank, patterns are listed alphabetically, which only fixes the order of
listing. Answers are cached by the :class:`PatternResolver` (``clear()`` empties the cache),
so resolving a name twice costs a dictionary lookup.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from datamill.errors import DatasetError

__all__ = ["Match", "Pattern", "PatternResolver", "is_pattern", "placeholders_in", "substitute"]

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def is_pattern(name: str) -> bool:
    """Tell whether a catalog entry name is a pattern (it holds a brace)."""
    return "{" in name or "}" in name


@dataclass(frozen=True, slots=True)
class Pattern:
    """A compiled dataset pattern.

    Attributes:
        name: The entry name, e.g. ``"{layer}_{name}"``.
        placeholders: The placeholder words, in order of appearance.
        literal_chars: How many characters lie outside placeholders.
    """

    name: str
    placeholders: tuple[str, ...]
    literal_chars: int
    _regex: re.Pattern[str] = field(repr=False, compare=False)

    @classmethod
    def compile(cls, name: str) -> Pattern:
        """Compile the pattern ``name``.

        Raises:
            ValueError: A brace is not part of a ``{word}`` placeholder, a placeholder
                appears twice, or the pattern is only placeholders but not a single one.
        """
        words = _PLACEHOLDER.findall(name)
        literal = _PLACEHOLDER.split(name)[::2]
        if any("{" in part or "}" in part for part in literal):
            raise ValueError("a brace is not part of a placeholder; write {word}")
        if len(set(words)) < len(words):
            raise ValueError("a placeholder appears twice; give each one its own name")
        literal_chars = sum(map(len, literal))
        if literal_chars == 0 and len(words) > 1:
            raise ValueError("it has placeholders only; a catch-all has a single placeholder")
        regex = re.escape(literal[0]) + "".join(
            f"(?P<{word}>.+?){re.escape(text)}"
            for word, text in zip(words, literal[1:], strict=True)
        )
        return cls(name, tuple(words), literal_chars, re.compile(regex, re.DOTALL))

    @property
    def is_catch_all(self) -> bool:
        """The pattern is a single placeholder, matching every name."""
        return self.literal_chars == 0

    @property
    def specificity(self) -> tuple[int, int]:
        """The rank key: patterns with a smaller key are tried first."""
        return (-self.literal_chars, len(self.placeholders))

    def match(self, dataset_name: str) -> dict[str, str] | None:
        """The text each placeholder takes in ``dataset_name``, or ``None`` if it does not match."""
        found = self._regex.fullmatch(dataset_name)
        return None if found is None else found.groupdict()


@dataclass(frozen=True, slots=True)
class Match:
    """A pattern that matched a dataset name, with the text of each placeholder."""

    pattern: Pattern
    values: Mapping[str, str]

    def fill(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        """The pattern's entry with placeholders replaced in every string value."""
        filled: dict[str, Any] = substitute(entry, self.values)
        return filled


def substitute(value: Any, values: Mapping[str, str]) -> Any:
    """Replace ``{word}`` by ``values[word]`` in every string inside ``value``.

    Mappings and lists are rebuilt (as ``dict`` and ``list``); keys are left alone, and so are
    placeholders that ``values`` does not name.
    """
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), value)
    if isinstance(value, Mapping):
        return {key: substitute(item, values) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [substitute(item, values) for item in value]
    return value


def placeholders_in(value: Any) -> Iterator[str]:
    """Every placeholder word used in the string values inside ``value``."""
    if isinstance(value, str):
        yield from _PLACEHOLDER.findall(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from placeholders_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from placeholders_in(item)


class PatternResolver:
    """Finds the pattern a dataset name matches, most specific first, and caches the answer.

    Args:
        patterns: The compiled patterns, in any order; at most one catch-all.

    Raises:
        ValueError: More than one catch-all pattern was given.
    """

    def __init__(self, patterns: Iterable[Pattern] = ()) -> None:
        ranked = sorted(patterns, key=lambda p: (p.specificity, p.name))
        catch_alls = [p for p in ranked if p.is_catch_all]
        if len(catch_alls) > 1:
            raise ValueError(f"only one catch-all pattern is allowed, got {len(catch_alls)}")
        self._ranked = tuple(ranked)
        self._catch_all = catch_alls[0] if catch_alls else None
        self._tiers = [
            tuple(tier)
            for _, tier in itertools.groupby(
                (p for p in ranked if not p.is_catch_all), key=lambda p: p.specificity
            )
        ]
        self._cache: dict[str, Match | None] = {}

    @property
    def patterns(self) -> tuple[Pattern, ...]:
        """Every pattern, in rank order (the catch-all last)."""
        return self._ranked

    @property
    def catch_all(self) -> Pattern | None:
        """The catch-all pattern, if there is one."""
        return self._catch_all

    def match(self, dataset_name: str) -> Match | None:
        """The most specific pattern other than the catch-all that matches ``dataset_name``.

        Raises:
            DatasetError: Two patterns of the same rank match (the name is ambiguous).
        """
        try:
            return self._cache[dataset_name]
        except KeyError:
            pass
        found = self._cache[dataset_name] = self._search(dataset_name)
        return found

    def match_catch_all(self, dataset_name: str) -> Match | None:
        """The catch-all pattern applied to ``dataset_name``, if there is a catch-all."""
        if self._catch_all is None:
            return None
        return Match(self._catch_all, {self._catch_all.placeholders[0]: dataset_name})

    def clear(self) -> None:
        """Forget every cached answer."""
        self._cache.clear()

    def _search(self, dataset_name: str) -> Match | None:
        for tier in self._tiers:
            found = [(p, v) for p in tier if (v := p.match(dataset_name)) is not None]
            if len(found) > 1:
                raise _ambiguous(dataset_name, [p.name for p, _ in found])
            if found:
                return Match(*found[0])
        return None


def _ambiguous(dataset_name: str, patterns: list[str]) -> DatasetError:
    listed = " and ".join(repr(p) for p in patterns)
    return DatasetError(
        f"Dataset {dataset_name!r} matches the patterns {listed}, which are equally "
        "specific (same number of literal characters and placeholders). Declare "
        f"{dataset_name!r} explicitly, or make one pattern more specific.",
        dataset_name=dataset_name,
    )
