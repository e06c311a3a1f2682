"""Plain words for what differs between the components of two code fingerprints.

Component keys name a module and a qualified name (``"pkg.utils:normalise"``); the module is
shown as the path of its file relative to the source folder (``pkg/utils.py``, and
``pkg/__init__.py`` for a package, whose key ends in ``.__init__``). Component values start
with their kind (``"function:…"``, ``"constant:…"``), which chooses the wording.
"""

from __future__ import annotations

from collections.abc import Mapping, Set

__all__ = ["describe_changes"]

_SETTINGS = {"format": "fingerprint format", "python": "python"}
_SUFFIXED = {"partial", "bound", "instance", "wrapper"}  # kinds whose key ends in " <kind>"


def describe_changes(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    """What differs between two code fingerprints' components, one phrase per difference.

    Args:
        old: The components of the earlier fingerprint (``CodeFingerprint.components``).
        new: The components of the later one.

    Returns:
        Phrases in a stable order: interpreter and format, libraries, changed code, added
        code, removed code. "Added" and "removed" mean the node started or stopped using
        something. When the Python version (or datamill's fingerprint format) differs, every
        function's digest differs too, so changed code is not listed one by one.

    Example:
        >>> describe_changes(
        ...     {"root": "pkg.nodes:clean", "pkg.nodes:clean": "function:1", "lib:pandas": "2.2.2"},
        ...     {"root": "pkg.nodes:clean", "pkg.nodes:clean": "function:2", "lib:pandas": "2.2.3"},
        ... )
        ['pandas 2.2.2 -> 2.2.3', 'clean() in pkg/nodes.py changed']
    """
    lines = [
        f"{label} {old[key]} -> {new[key]}"
        for key, label in _SETTINGS.items()
        if key in old and key in new and old[key] != new[key]
    ]
    anew = bool(lines)
    lines += _libraries(old, new)
    root = new.get("root", old.get("root", ""))
    old_code, new_code = _code_keys(old), _code_keys(new)
    if not anew:
        changed = sorted(k for k in old_code & new_code if old[k] != new[k])
        changed.sort(key=lambda k: _strip_number(k) != root)  # the node's own function first
        lines += [_changed(key, old[key], new[key], root) for key in changed]
    lines += [f"added {_name(key, new[key])}" for key in sorted(new_code - old_code)]
    lines += [f"removed {_name(key, old[key])}" for key in sorted(old_code - new_code)]
    return lines


def _libraries(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    old_libs = {k for k in old if k.startswith("lib:")}
    new_libs = {k for k in new if k.startswith("lib:")}
    lines = [
        f"{key[4:]} {old[key]} -> {new[key]}"
        for key in sorted(old_libs & new_libs)
        if old[key] != new[key]
    ]
    lines += [f"added library {key[4:]} {new[key]}" for key in sorted(new_libs - old_libs)]
    lines += [f"removed library {key[4:]} {old[key]}" for key in sorted(old_libs - new_libs)]
    return lines


def _code_keys(components: Mapping[str, str]) -> Set[str]:
    return {
        k for k in components if k != "root" and k not in _SETTINGS and not k.startswith("lib:")
    }


def _changed(key: str, old_value: str, new_value: str, root: str) -> str:
    old_kind, new_kind = _kind(old_value), _kind(new_value)
    label = _name(key, new_value)
    if old_kind != new_kind:
        return f"{label} changed (it was a {old_kind})"
    if new_kind == "function" and _strip_number(key) != root:
        label = "helper " + label
    return f"{label} changed"


def _name(key: str, value: str) -> str:
    """``normalise() in pkg/utils.py``, ``constant THRESHOLD in pkg/nodes.py``, ..."""
    kind = _kind(value)
    base = _strip_number(key)
    number = key[len(base) :]
    module, _, name = base.partition(":")
    if kind in _SUFFIXED:
        name = name.removesuffix(f" {kind}")
    where = module.replace(".", "/") + ".py"
    words = {
        "function": f"{name}() in {where}",
        "class": f"class {name} in {where}",
        "constant": f"constant {name} in {where}",
        "partial": f"the arguments bound to {name}() in {where}",
        "bound": f"the object bound to {name}() in {where}",
        "instance": f"the {name} object ({where})",
        "wrapper": f"the decorator around {name}() in {where}",
        "opaque": f"{name} in {where} (not analysed: a {value.partition(':')[2]})",
    }.get(kind, f"{name}() from {module}")
    return words + number


def _kind(value: str) -> str:
    return value.partition(":")[0]


def _strip_number(key: str) -> str:
    """The key without the ``#2`` that tells apart two objects defined at one place."""
    base, _, number = key.rpartition("#")
    return base if base and number.isdigit() else key
