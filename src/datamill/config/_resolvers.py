"""Resolving interpolations in one configuration file with OmegaConf.

Three resolvers are registered with OmegaConf once: ``globals``, ``runtime_params`` and
``env``. OmegaConf's resolver registry is global, so what they read (the globals, the
runtime parameters, whether environment variables are allowed) comes from a context
variable set for the duration of one file's resolution. A `ConfigError` raised inside a
resolver is kept in that context and re-raised as is, since OmegaConf wraps exceptions.

Files without ``${`` skip OmegaConf entirely. So do files whose every interpolation is a
plain call of one of the three resolvers (``${globals:a.b}``, ``${runtime_params:x, 0.1}``,
``${env:TOKEN}``) or a reference to a key of the same file (``${model.seed}``): building an
OmegaConf object per file costs more than reading the file, so those are resolved directly,
with OmegaConf's rules (a string that is one interpolation takes the value's type; one
inside a longer string is converted to text; an unquoted default is typed as OmegaConf
types it). Anything else goes through OmegaConf: relative references, nested or escaped
interpolations, quoted or bracketed arguments, other resolvers, references to missing keys
or in a cycle. Top-level keys starting with ``_`` are dropped after resolution: they are
templates for use within their own file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from datamill._text import did_you_mean
from datamill.config._merge import MISSING, dotted_keys, get_dotted
from datamill.config._yaml import KeyPath, YamlFile
from datamill.errors import ConfigError

_ENV_USE = re.compile(r"\$\{\s*(?:oc\.)?env\s*:")


@dataclass(slots=True)
class _Context:
    file: YamlFile
    globals_: Mapping[str, Any] | None
    runtime_params: Mapping[str, Any]
    allow_env: bool
    error: ConfigError | None = None


_CURRENT: ContextVar[_Context | None] = ContextVar("datamill_config_resolution", default=None)


def resolve_file(
    file: YamlFile,
    *,
    globals_: Mapping[str, Any] | None,
    runtime_params: Mapping[str, Any],
    allow_env: bool,
) -> dict[str, Any]:
    """Return the file's data with interpolations resolved and private keys dropped.

    Args:
        file: The file read by `read_yaml`.
        globals_: The merged globals, or None while the globals themselves are loaded.
        runtime_params: Nested runtime parameters.
        allow_env: Whether ``${env:...}`` may be used (credentials only).

    Raises:
        ConfigError: Naming the file and key, if an interpolation cannot be resolved.
    """
    if not file.has_interpolation:
        return _public(file.data)
    if not allow_env:
        _refuse_env(file)
    context = _Context(file, globals_, runtime_params, allow_env)
    token = _CURRENT.set(context)
    try:
        direct = _resolve_direct(file.data, context)
    except ValueError:  # a resolver failed on the direct path
        if context.error is not None:
            raise context.error from None
        raise
    finally:
        _CURRENT.reset(token)
    if direct is not _UNSUPPORTED:
        assert isinstance(direct, dict)
        return _public(direct)
    return _public(_resolve_with_omegaconf(file, context))


def _resolve_with_omegaconf(file: YamlFile, context: _Context) -> Mapping[Any, Any]:
    # Imported here: OmegaConf takes longer to import than most commands take to run, and
    # most configuration never needs it.
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    _register_resolvers()
    token = _CURRENT.set(context)
    try:
        config = OmegaConf.create(file.data, flags={"allow_objects": True})
        resolved = OmegaConf.to_container(config, resolve=True)
    except OmegaConfBaseException as exc:
        if context.error is not None:
            raise context.error from None
        raise _resolution_error(file, exc) from None
    finally:
        _CURRENT.reset(token)
    assert isinstance(resolved, dict)
    return resolved


# -- direct resolution of plain resolver calls -----------------------------------------------

_UNSUPPORTED: Any = object()
_PLAIN = re.compile(
    r"\$\{\s*(?:([A-Za-z_][\w\-]*(?:\.[\w\-]+)*)"  # a key of the same file, or
    r"|(globals|runtime_params|env)\s*:\s*([\w.\-]+)\s*(?:,([^${}'\"\\\[\]()=]*))?)\s*\}"
)
_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")
_PLAIN_TEXT = re.compile(r"[\w./:@\- ]*")


def _resolve_direct(data: Any, context: _Context) -> Any:
    """``data`` with its plain interpolations resolved, or `_UNSUPPORTED` if it has others.

    Raises:
        ValueError: A resolver failed (the `ConfigError` is in ``context.error``).
    """
    return _Direct(data, context).resolve(data)


class _Direct:
    """Resolves one file's plain resolver calls and references to its own keys."""

    def __init__(self, root: Any, context: _Context) -> None:
        self.root = root
        self.context = context
        self.visiting: set[str] = set()

    def resolve(self, data: Any) -> Any:
        if isinstance(data, str):
            return self.string(data) if "${" in data else data
        if isinstance(data, dict):
            resolved = {}
            for key, value in data.items():
                if isinstance(key, str) and "${" in key:
                    return _UNSUPPORTED
                item = self.resolve(value)
                if item is _UNSUPPORTED:
                    return _UNSUPPORTED
                resolved[key] = item
            return resolved
        if isinstance(data, list):
            items = [self.resolve(value) for value in data]
            return _UNSUPPORTED if any(item is _UNSUPPORTED for item in items) else items
        return data

    def string(self, text: str) -> Any:
        calls = list(_PLAIN.finditer(text))
        if not calls or "\\${" in text or "${" in _PLAIN.sub("", text):
            return _UNSUPPORTED
        values = []
        for call in calls:
            value = self.call(*call.groups())
            if value is _UNSUPPORTED:
                return _UNSUPPORTED
            values.append(value)
        if len(calls) == 1 and calls[0].group(0) == text:
            return values[0]
        pieces = []
        position = 0
        for call, value in zip(calls, values, strict=True):
            pieces += [text[position : call.start()], str(value)]
            position = call.end()
        return "".join([*pieces, text[position:]])

    def call(self, reference: str | None, name: str, key: str, default_text: str | None) -> Any:
        if reference is not None:
            return self.reference(reference)
        default = MISSING if default_text is None else _typed_default(default_text)
        if default is _UNSUPPORTED:
            return _UNSUPPORTED
        return _RESOLVERS[name](key, default)

    def reference(self, dotted: str) -> Any:
        """The resolved value of key ``dotted`` of this file (OmegaConf reports misses)."""
        value = get_dotted(self.root, tuple(dotted.split(".")))
        if value is MISSING or dotted in self.visiting:
            return _UNSUPPORTED
        self.visiting.add(dotted)
        try:
            return self.resolve(value)
        finally:
            self.visiting.discard(dotted)


def _typed_default(text: str) -> Any:
    """An unquoted resolver argument, typed as OmegaConf types it."""
    value = text.strip()
    if _INT.fullmatch(value):
        return int(value)
    if _FLOAT.fullmatch(value):
        return float(value)
    lowered = value.lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if lowered == "null":
        return None
    return value if _PLAIN_TEXT.fullmatch(value) else _UNSUPPORTED


def _public(data: Mapping[Any, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if not str(key).startswith("_")}


def _resolution_error(file: YamlFile, exc: Exception) -> ConfigError:
    key = getattr(exc, "full_key", None) or None
    line = file.lines.get(tuple(key.split("."))) if key else None
    where = f"{file.path}:{line}" if line else str(file.path)
    reason = str(exc).split("\n", 1)[0]
    about = f" in key {key!r}" if key else ""
    return ConfigError(
        f"{where}: cannot resolve an interpolation{about}: {reason}",
        path=str(file.path),
        key=key,
        line=line,
    )


def _refuse_env(file: YamlFile) -> None:
    for path, text in _strings(file.data, ()):
        if _ENV_USE.search(text):
            key = ".".join(path)
            line = file.lines.get(path)
            where = f"{file.path}:{line}" if line else str(file.path)
            raise ConfigError(
                f"{where}: key {key!r} reads an environment variable, which is only allowed "
                f"in credentials files. Move the value to credentials.yml and refer to it "
                f"by name.",
                path=str(file.path),
                key=key,
                line=line,
            )


def _strings(data: Any, path: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, Mapping):
        for key, value in data.items():
            yield from _strings(value, (*path, str(key)))
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item, path)


def _fail(context: _Context, message: str) -> None:
    context.error = ConfigError(f"{context.file.path}: {message}", path=str(context.file.path))
    raise ValueError(message)


def _active() -> _Context:
    context = _CURRENT.get()
    if context is None:  # a datamill resolver used outside ConfigLoader
        raise ValueError("datamill resolvers only work while ConfigLoader loads a file")
    return context


def _globals_resolver(key: str, default: Any = MISSING) -> Any:
    context = _active()
    if context.globals_ is None:
        _fail(context, f"'${{globals:{key}}}' cannot be used inside a globals file.")
    return _pick(
        context, context.globals_ or {}, key, default, name="globals", origin="globals*.yml"
    )


def _runtime_params_resolver(key: str, default: Any = MISSING) -> Any:
    context = _active()
    return _pick(
        context, context.runtime_params, key, default, name="runtime_params", origin="--params"
    )


def _pick(
    context: _Context, source: Mapping[str, Any], key: str, default: Any, *, name: str, origin: str
) -> Any:
    value = get_dotted(source, tuple(str(key).split(".")))
    if value is not MISSING:
        return value
    if default is not MISSING:
        return default
    hint = did_you_mean(str(key), dotted_keys(source))
    _fail(
        context,
        f"'${{{name}:{key}}}' is not set in {origin} and has no default.{hint} Set it, or "
        f"give a default: '${{{name}:{key},<default>}}'.",
    )
    return None  # unreachable: _fail raises


def _env_resolver(name: str, default: Any = MISSING) -> Any:
    context = _active()
    if not context.allow_env:
        _fail(context, f"'${{env:{name}}}' is only allowed in credentials files.")
    value = os.environ.get(name)
    if value is not None:
        return value
    if default is not MISSING:
        return default
    _fail(
        context,
        f"environment variable {name!r} is not set and '${{env:{name}}}' has no default. "
        f"Export it, or give a default: '${{env:{name},<default>}}'.",
    )
    return None  # unreachable: _fail raises


_RESOLVERS = {
    "globals": _globals_resolver,
    "runtime_params": _runtime_params_resolver,
    "env": _env_resolver,
}


_registered: list[bool] = []


def _register_resolvers() -> None:
    if _registered:
        return
    for name, function in _RESOLVERS.items():
        _register(name, function)
    _registered.append(True)


def _register(name: str, function: Any) -> None:
    from omegaconf import OmegaConf

    register = getattr(OmegaConf, "register_resolver", None)
    if register is not None:  # OmegaConf >= 2.4
        register(name, function, replace=True, annotation_validation="off")
    else:
        OmegaConf.register_new_resolver(name, function, replace=True)
