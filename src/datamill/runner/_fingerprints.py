"""Code fingerprints: a digest of the code a node runs, and the parts it is made of.

A node may be skipped when its code is unchanged since its last successful run, so a
fingerprint must change whenever the node's behaviour may have changed, and only then. It is
built from *components*, each a named part of the project's code with its own digest; the
fingerprint's digest hashes them all. Comparing two component maps tells in words what
changed (:func:`describe_changes`).

What counts:

* A function counts by its code object: bytecode, constants (nested code objects — lambdas,
  comprehensions, inner functions — recursively), names, variable names, argument counts and
  flags, and its exception table; plus its defaults, keyword defaults, annotations and the
  contents of its closure cells. Line numbers, file positions and the file name do not count,
  so moving a function or editing comments and blank lines changes nothing. Docstrings do
  not count either (they document, they do not behave): constants count where the bytecode
  loads them, not by their place in the constants table, and a docstring is never loaded.
* The names a function's code uses (``co_names`` of it and its nested code objects) are
  looked up in its module's globals; builtins and the module's ``__dunder__`` names
  (``__file__`` differs between checkouts) are left out. What a name is bound to counts:

  - a function or class of the project's own code becomes a component of its own, walked
    the same way (a class counts by its bases, metaclass and every attribute: methods, which
    become components, and class-level values); cycles such as mutual recursion are fine,
    because a component refers to others by name and the walk visits each once;
  - a module of the project's own code: those of its attributes whose names the code also
    uses (``helpers.clean`` puts both ``helpers`` and ``clean`` in ``co_names``), walked the
    same way; this over-approximates, which can only cause a needless re-run;
  - anything else bound to a name in the project's code is a *constant* component, keyed by
    the module and name where the code found it (a constant imported with ``from config
    import LIMIT`` is keyed under the importing module), and counts by its value: scalars, tuples,
    lists, dicts, sets (sorted), enum members, partials, instances of the project's own
    classes (by their attributes), loggers by their name (a logger's ``repr`` shows its
    level, which logging configuration changes at run time) and other objects by their
    ``repr`` when it shows no memory address. Other objects, and values of more than
    100,000 items, count only by their type (the component says ``opaque:``).
  - an installed library (anything in ``site-packages``) counts by the version of the
    distribution providing it, as ``lib:<distribution>``; it is never walked. The standard
    library and built-ins count through the interpreter version, ``python``.
* A decorated function counts with its wrapper: a ``__wrapped__`` function is followed, and
  a decorator of the project's own code is walked like any function. A ``functools.partial``
  counts by its function, arguments and keywords; a bound method by its function and the
  object it is bound to; a callable object by its class and attributes.

Which modules are the project's own code is decided by ``Origins`` (in
``_fingerprint_origins``): by default, any module outside the standard library and
``site-packages``, except datamill itself. Fingerprints are the same in every process:
nothing hashed depends on ``id()``, ``hash()`` or ``PYTHONHASHSEED``. Anything that cannot be
analysed counts by a stable fallback (its qualified type name) instead of failing the run.

Everything is cached per object for the life of one :class:`CodeFingerprinter`, so nodes
sharing helpers analyse each helper once. The cache assumes code does not change while it
lives: use one fingerprinter per run.
"""

from __future__ import annotations

import dataclasses
import dis
import enum
import functools
import inspect
import logging
import sys
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from datamill.runner._fingerprint_origins import Origin, Origins, OwnCode
from datamill.runner._fingerprint_values import (
    digest,
    literal,
    parameter_fingerprints,
    qualified_type,
    readable_repr,
)
from datamill.runner._fingerprint_words import describe_changes

__all__ = [
    "FORMAT",
    "CodeFingerprint",
    "CodeFingerprinter",
    "OwnCode",
    "describe_changes",
    "parameter_fingerprints",
]

FORMAT = "1"
"""Version of the fingerprint rules; a change makes every earlier fingerprint differ."""

_CONST_OPS = frozenset(dis.hasconst)
_EXTENDED_ARG = dis.opmap["EXTENDED_ARG"]
_MAX_ITEMS = 100_000  # a value with more items counts by its type only
_COMPONENT_DIGEST = 24  # hex digits of a component's digest
# Class attributes that are bookkeeping, a docstring or a line number, or (__slotnames__)
# added by copyreg when an instance is first pickled.
_SKIPPED_CLASS_ATTRIBUTES = frozenset(
    [
        "__dict__",
        "__doc__",
        "__firstlineno__",
        "__module__",
        "__qualname__",
        "__slotnames__",
        "__weakref__",
    ]
)
_FOREIGN_KINDS = {Origin.LIBRARY: "library", Origin.PYTHON: "python", Origin.OWN: "opaque"}


@dataclass(frozen=True, slots=True)
class CodeFingerprint:
    """The fingerprint of a node's code.

    Two fingerprints are equal when their digests are.

    Attributes:
        digest: 32 hex digits of SHA-256 over every component.
        components: What the digest covers. Code components map ``"module:qualname"`` (a
            package's own file as ``"pkg.__init__"``) to ``"<kind>:<digest>"``, where the kind
            is ``function``, ``class``, ``constant``, ``partial``, ``bound``, ``instance``,
            ``wrapper``, ``library``, ``python`` or ``opaque`` (counted by type only, e.g.
            ``"opaque:logging.Logger"``). ``"lib:<distribution>"`` maps to the installed
            version, ``"python"`` to the interpreter version, ``"format"`` to :data:`FORMAT`,
            and ``"root"`` to the key of the node's own function.
    """

    digest: str
    components: Mapping[str, str] = field(compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "components", types.MappingProxyType(dict(self.components)))

    def __reduce__(self) -> tuple[Any, ...]:
        return (CodeFingerprint, (self.digest, dict(self.components)))


@dataclass(frozen=True, slots=True, eq=False)
class _Component:
    key: str
    value: str
    deps: tuple[object, ...] = ()  # further components, or own functions and classes to walk


@dataclass(frozen=True, slots=True)
class _Scope:
    """The global names one function uses, while their bindings are being read."""

    names: tuple[str, ...]
    encoder: _Encoder
    visited: set[str]  # own modules already read through attribute access


class _TooLarge(Exception):
    """A value has more items than a fingerprint reads."""


class CodeFingerprinter:
    """Fingerprints node functions, caching what it learns about every object it meets.

    Use one per run, from one thread: the caches assume code does not change while they
    live, and they are not locked.

    Args:
        own_code: Which modules are the project's own code (walked), as a predicate on
            module names or the project's source folders. By default, a module whose file is
            neither in the standard library nor in a ``site-packages``/``dist-packages``
            folder, and that is not part of datamill.

    Raises:
        TypeError: ``own_code`` is a single path rather than a list of folders.

    Example:
        >>> fingerprinter = CodeFingerprinter(lambda module: module.startswith("myproject"))
        >>> fingerprint = fingerprinter.fingerprint(len)
        >>> fingerprint.components["root"]
        'builtins:len'
    """

    def __init__(self, own_code: OwnCode = None) -> None:
        self._own_code = own_code
        self._origins = Origins(own_code)
        self._fingerprints: dict[int, tuple[object, CodeFingerprint]] = {}
        self._components: dict[int, tuple[object, _Component]] = {}
        self._constants: dict[tuple[int, str], tuple[object, _Component]] = {}
        self._codes: dict[int, tuple[types.CodeType, str, tuple[str, ...]]] = {}
        self._libraries: dict[str, tuple[_Component, ...]] = {}

    def fingerprint(self, func: Callable[..., Any]) -> CodeFingerprint:
        """The fingerprint of a node's function (any callable); never raises."""
        cached = self._fingerprints.get(id(func))
        if cached is None:
            try:
                found = self._fingerprint(func)
            except Exception:  # never fail a run: count the callable by its type
                kind = type(func)
                key = f"{kind.__module__}:{kind.__qualname__}"
                found = self._finish({key: {f"opaque:{qualified_type(func)}"}}, key)
            cached = self._fingerprints[id(func)] = (func, found)
        return cached[1]

    def own_class(self, cls: type) -> CodeFingerprint | None:
        """The fingerprint of a class of the project's own code (a dataset type written for
        the project, say), or None for a class from a library or datamill."""
        try:
            own = self._is_own(cls)
        except Exception:  # never fail a run: a class it cannot place is not the project's
            return None
        return self.fingerprint(cls) if own else None

    def clear(self) -> None:
        """Forget everything cached (after code was reloaded, for instance)."""
        self._origins = Origins(self._own_code)
        for cache in (self._fingerprints, self._components, self._constants, self._codes):
            cache.clear()
        self._libraries.clear()

    def _fingerprint(self, func: object) -> CodeFingerprint:
        start, root = self._root(func)
        found: dict[str, set[str]] = {}
        seen: set[int] = set()
        pending = [start]
        while pending:
            item = pending.pop()
            if id(item) in seen:
                continue
            seen.add(id(item))
            component = item if isinstance(item, _Component) else self._component(item)
            found.setdefault(component.key, set()).add(component.value)
            pending.extend(component.deps)
        return self._finish(found, root)

    def _finish(self, found: Mapping[str, set[str]], root: str) -> CodeFingerprint:
        components = _numbered(found)
        components.update(python=_python_version(), format=FORMAT, root=root)
        components = dict(sorted(components.items()))
        text = "\n".join(f"{key}\t{value}" for key, value in components.items())
        return CodeFingerprint(digest(text), components)

    def _root(self, func: object) -> tuple[object, str]:
        """Where the walk starts, and the key of the node's own function."""
        inner = _innermost(func)
        root = self._key(inner)
        if isinstance(func, types.FunctionType | type) and self._is_own(func):
            return func, root
        deps: list[object] = []
        text = _Encoder(self, deps).encode(func)
        if isinstance(func, functools.partial):
            kind = "partial"
        elif isinstance(func, types.MethodType):
            kind = "bound"
        elif isinstance(func, types.FunctionType | type | types.BuiltinFunctionType):
            kind = "wrapper" if inner is not func else _FOREIGN_KINDS[self._origin_of(func)]
        else:
            kind = "instance" if self._is_own(type(func)) else "opaque"
        key = f"{root} {kind}" if kind in {"partial", "bound", "instance", "wrapper"} else root
        value = f"opaque:{qualified_type(func)}" if kind == "opaque" else f"{kind}:"
        if kind != "opaque":
            value += digest(text, _COMPONENT_DIGEST)
        return _Component(key, value, tuple(deps)), root

    def _component(self, obj: object) -> _Component:
        """The component of one of the project's own functions or classes (cached)."""
        cached = self._components.get(id(obj))
        if cached is None:
            try:
                component = self._class(obj) if isinstance(obj, type) else self._function(obj)
            except Exception:  # never fail a run: count it by what it is
                component = _Component(self._key(obj), f"opaque:{qualified_type(obj)}")
            cached = self._components[id(obj)] = (obj, component)
        return cached[1]

    def _function(self, func: Any) -> _Component:
        deps: list[object] = []
        encoder = _Encoder(self, deps)
        code_digest, names = self._code(func.__code__)
        closure = zip(func.__code__.co_freevars, func.__closure__ or (), strict=False)
        parts = [
            code_digest,
            encoder.encode(func.__defaults__),
            encoder.encode(func.__kwdefaults__),
            encoder.encode(_annotations(func)),
            ",".join(f"{name}={encoder.encode(_cell(cell))}" for name, cell in closure),
            encoder.encode(func.__dict__.get("__wrapped__")),
            self._bindings(func, names, encoder),
        ]
        value = "function:" + digest("\n".join(parts), _COMPONENT_DIGEST)
        return _Component(self._key(func), value, tuple(deps))

    def _class(self, cls: Any) -> _Component:
        deps: list[object] = []
        encoder = _Encoder(self, deps)
        parts = [encoder.encode(cls.__bases__), encoder.encode(type(cls))]
        namespace = vars(cls)
        for name in sorted(namespace):
            if name not in _SKIPPED_CLASS_ATTRIBUTES and not _derived_by_pydantic(name):
                parts.append(f"{name}={encoder.encode(namespace[name])}")
        value = "class:" + digest("\n".join(parts), _COMPONENT_DIGEST)
        return _Component(self._key(cls), value, tuple(deps))

    def _bindings(self, func: Any, names: tuple[str, ...], encoder: _Encoder) -> str:
        """What each global name the function's code uses is bound to."""
        scope = _Scope(names, encoder, set())
        return self._members(_module_of(func), func.__globals__, scope)

    def _members(self, module: str, namespace: Mapping[str, object], scope: _Scope) -> str:
        found = []
        for name in scope.names:
            if name in namespace and not _is_dunder(name):
                value = namespace[name]
                try:
                    bound = self._global(module, name, value, scope)
                except Exception:  # an object that fails even isinstance(): count its type
                    key = f"{self._origins.module_key(module)}:{name}"
                    scope.encoder.deps.append(_Component(key, f"opaque:{qualified_type(value)}"))
                    bound = "constant " + key
                found.append(f"{name}={bound}")
        return ";".join(found)

    def _global(self, module: str, name: str, value: object, scope: _Scope) -> str:
        if isinstance(value, types.ModuleType) and self._is_own(value):
            # An own module used by attribute access: its attributes named in the code.
            if value.__name__ in scope.visited:
                return "module " + value.__name__
            scope.visited.add(value.__name__)
            return f"module {value.__name__}({self._members(value.__name__, vars(value), scope)})"
        reference = scope.encoder.reference(value)
        if reference is not None:
            return reference
        component = self._constant(f"{self._origins.module_key(module)}:{name}", value)
        scope.encoder.deps.append(component)
        return "constant " + component.key

    def _constant(self, key: str, value: object) -> _Component:
        cached = self._constants.get((id(value), key))
        if cached is None:
            deps: list[object] = []
            text = _Encoder(self, deps).encode(value)
            if text.startswith("opaque "):
                kind_value = f"opaque:{qualified_type(value)}"
            else:
                kind_value = "constant:" + digest(text, _COMPONENT_DIGEST)
            cached = self._constants[(id(value), key)] = (
                value,
                _Component(key, kind_value, tuple(deps)),
            )
        return cached[1]

    def _code(self, code: types.CodeType) -> tuple[str, tuple[str, ...]]:
        """A code object's digest, and the names used by it and its nested code (cached)."""
        cached = self._codes.get(id(code))
        if cached is None:
            names = dict.fromkeys(code.co_names)
            for const in code.co_consts:
                if isinstance(const, types.CodeType):
                    names.update(dict.fromkeys(self._code(const)[1]))
            text = "\n".join(
                (
                    code.co_name,
                    f"{code.co_argcount},{code.co_posonlyargcount},{code.co_kwonlyargcount}",
                    str(code.co_flags),
                    ",".join(code.co_varnames),
                    ",".join(code.co_names),
                    ",".join(code.co_freevars),
                    ",".join(code.co_cellvars),
                    code.co_exceptiontable.hex(),
                    self._bytecode(code),
                )
            )
            cached = self._codes[id(code)] = (code, digest(text), tuple(names))
        return cached[1], cached[2]

    def _bytecode(self, code: types.CodeType) -> str:
        """The bytecode, each constant it loads written in place of the constant's index.

        Constants are read where they are loaded, so a constant that is never loaded (a
        docstring) does not count, nor does the order of the constants table.
        """
        raw = code.co_code
        parts = []
        start = 0
        extended = 0
        for i in range(0, len(raw), 2):
            op = raw[i]
            if op == _EXTENDED_ARG:
                extended = (extended | raw[i + 1]) << 8
                continue
            if op in _CONST_OPS:
                const = self._const(code.co_consts[extended | raw[i + 1]])
                parts.append(f"{raw[start : i + 1].hex()}{len(const)}:{const}")
                start = i + 2
            extended = 0
        parts.append(raw[start:].hex())
        return "".join(parts)

    def _const(self, const: object) -> str:
        simple = literal(const)
        if simple is not None:
            return simple
        if isinstance(const, types.CodeType):
            return "code " + self._code(const)[0]
        if isinstance(const, tuple):
            return "(" + ",".join(self._const(c) for c in const) + ")"
        if isinstance(const, frozenset):
            return "{" + ",".join(sorted(self._const(c) for c in const)) + "}"
        return f"{qualified_type(const)} {readable_repr(const)}"

    def _libraries_of(self, module: str) -> tuple[_Component, ...]:
        found = self._libraries.get(module)
        if found is None:
            libraries = self._origins.libraries(module)
            found = self._libraries[module] = tuple(_Component(k, v) for k, v in libraries)
        return found

    def _origin_of(self, obj: object) -> Origin:
        if isinstance(obj, types.FunctionType):
            return self._origins.origin(_module_of(obj), obj.__code__.co_filename)
        if isinstance(obj, types.ModuleType):
            return self._origins.origin(obj.__name__)
        return self._origins.origin(_module_name(obj))

    def _is_own(self, obj: object) -> bool:
        return self._origin_of(obj) is Origin.OWN

    def _key(self, obj: object) -> str:
        """``module:qualname`` of a function, class or other callable (never raises)."""
        try:
            if isinstance(obj, types.FunctionType):
                return f"{self._origins.module_key(_module_of(obj))}:{obj.__code__.co_qualname}"
            name = getattr(obj, "__qualname__", None)
            if not isinstance(name, str):  # an instance: named after its class
                return self._key(type(obj))
            return f"{self._origins.module_key(_module_name(obj))}:{name}"
        except Exception:
            return qualified_type(obj)


class _Encoder:
    """The canonical text of values met in code, recording the components they refer to."""

    def __init__(self, owner: CodeFingerprinter, deps: list[object]) -> None:
        self._owner = owner
        self.deps = deps
        self._budget = _MAX_ITEMS
        self._open: set[int] = set()  # containers being encoded, to cut cycles

    def encode(self, value: object) -> str:
        """The value's text; ``"opaque <type>"`` when it cannot be read (never raises)."""
        self._budget = _MAX_ITEMS
        try:
            return self.text(value)
        except Exception:  # too large, or an object whose own methods fail
            return f"opaque {qualified_type(value)}"

    def reference(self, value: object) -> str | None:
        """How a function, class or module is referred to, or ``None`` for other values."""
        if isinstance(value, types.FunctionType):
            kind = "function"
        elif isinstance(value, type):
            kind = "class"
        elif isinstance(value, types.ModuleType):
            origin = self._owner._origin_of(value)
            return f"module {value.__name__}" + self._foreign(value.__name__, origin)
        elif isinstance(value, types.BuiltinFunctionType):
            kind = "builtin"
        else:
            return None
        owner = self._owner
        key = owner._key(value)
        origin = owner._origin_of(value)
        if origin is Origin.OWN and kind != "builtin":
            self.deps.append(value)
            return f"{kind} {key}"
        text = f"{kind} {key}" + self._foreign(key.partition(":")[0], origin)
        wrapped = value.__dict__.get("__wrapped__") if kind == "function" else None
        return text if wrapped is None else f"{text} wrapping {self.text(wrapped)}"

    def _foreign(self, module: str, origin: Origin) -> str:
        if origin is not Origin.LIBRARY:
            return ""
        libraries = self._owner._libraries_of(module)
        self.deps.extend(libraries)
        return " from " + ",".join(library.key for library in libraries)

    def text(self, value: object) -> str:
        """The value's text (raises when it cannot be read; see :meth:`encode`)."""
        self._budget -= 1
        if self._budget < 0:
            raise _TooLarge
        simple = literal(value)
        if simple is not None:
            return simple
        reference = self.reference(value)
        if reference is not None:
            return reference
        if id(value) in self._open:
            return "<cycle>"
        self._open.add(id(value))
        try:
            return self._compound(value)
        finally:
            self._open.discard(id(value))

    def _compound(self, value: object) -> str:
        for kinds, write in _WRITERS:
            if isinstance(value, kinds):
                return write(self, value)
        wrapped = _wrapped(value)
        if wrapped is not None:
            return f"{self.text(type(value))} wrapping {self.text(wrapped)}"
        return self._instance(value)

    def items(self, values: Iterable[object], *, ordered: bool = True) -> str:
        """The texts of several values, comma-separated (sorted unless ``ordered``)."""
        texts = [self.text(v) for v in values]
        return ",".join(texts if ordered else sorted(texts))

    def mapping(self, value: Mapping[object, object]) -> str:
        """A dict's text, in its own order (code may rely on it)."""
        items = ",".join(f"{self.text(k)}:{self.text(v)}" for k, v in value.items())
        return f"{type(value).__name__}{{{items}}}"

    def code_digest(self, code: types.CodeType) -> str:
        """The digest of a code object met as a value."""
        return self._owner._code(code)[0]

    def _instance(self, value: object) -> str:
        cls = self.text(type(value))
        if self._owner._is_own(type(value)):
            return f"instance {cls}({self._state(value)})"
        fields = _declared_fields(value)
        if fields is not None:
            return f"{cls}({','.join(f'{name}={self.text(v)}' for name, v in fields)})"
        shown = readable_repr(value)
        if shown is None:
            return f"opaque {qualified_type(value)}"
        return f"{cls} repr {shown}"

    def _state(self, value: object) -> str:
        """An own object's attributes: dataclass fields, or its ``__dict__`` and slots."""
        fields = _declared_fields(value)
        if fields is None:
            names = sorted(getattr(value, "__dict__", {}))
            for klass in type(value).__mro__:
                slots = vars(klass).get("__slots__", ())
                names += [slots] if isinstance(slots, str) else list(slots)
            missing = object()
            found = ((name, getattr(value, name, missing)) for name in dict.fromkeys(names))
            fields = [(n, v) for n, v in found if v is not missing and not _is_dunder(n)]
        return ",".join(f"{name}={self.text(v)}" for name, v in fields)


def _declared_fields(value: object) -> list[tuple[str, object]] | None:
    """An object's fields when its type declares them, else ``None``.

    Declared fields are read rather than the ``repr``, which may show a set in an order that
    differs between processes: dataclass fields, a signature's parameters, and the name/value
    pairs of pydantic's ``__repr_args__`` (field definitions, constraints).
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]
    if isinstance(value, inspect.Signature):
        return [
            ("parameters", tuple(value.parameters.values())),
            ("return", value.return_annotation),
        ]
    if isinstance(value, inspect.Parameter):
        return [(part, getattr(value, part)) for part in ("name", "default", "annotation")] + [
            ("kind", value.kind.name)
        ]
    if callable(getattr(type(value), "__repr_args__", None)):
        return [(str(name), v) for name, v in value.__repr_args__()]  # type: ignore[attr-defined]
    return None


_WRITERS: tuple[tuple[type | types.UnionType, Callable[[_Encoder, Any], str]], ...] = (
    (list, lambda e, v: f"[{e.items(v)}]"),
    (tuple, lambda e, v: f"({e.items(v)})"),
    (set | frozenset, lambda e, v: f"{{{e.items(v, ordered=False)}}}"),
    (dict | types.MappingProxyType, lambda e, v: e.mapping(v)),
    (functools.partial, lambda e, v: f"partial({e.items((v.func, v.args, v.keywords))})"),
    (staticmethod | classmethod, lambda e, v: f"{type(v).__name__}({e.text(v.__func__)})"),
    (property, lambda e, v: f"property({e.items((v.fget, v.fset, v.fdel))})"),
    (functools.cached_property, lambda e, v: f"cached_property({e.text(v.func)})"),
    (types.MethodType, lambda e, v: f"method({e.items((v.__func__, v.__self__))})"),
    (enum.Enum, lambda e, v: f"enum {e.text(type(v))}.{v.name}"),
    (types.CodeType, lambda e, v: "code " + e.code_digest(v)),
    # A logger's repr shows its effective level: by name, so that configuring logging (say,
    # ``--verbose``) does not change the code of every node that logs.
    (logging.Logger, lambda e, v: f"logger {e.text(type(v))} {e.text(v.name)}"),
    (
        logging.LoggerAdapter,
        lambda e, v: f"logger adapter {e.text(type(v))}({e.items((v.logger, v.extra))})",
    ),
)
"""How the encoder writes containers, descriptors and other objects of known types."""


def _numbered(found: Mapping[str, set[str]]) -> dict[str, str]:
    """One entry per component; ``#2``, ``#3`` tell apart objects defined at one place."""
    components = {}
    for key, values in found.items():
        for number, value in enumerate(sorted(values), 1):
            components[key if number == 1 else f"{key}#{number}"] = value
    return components


def _innermost(func: object) -> object:
    """The function at the heart of partials, bound methods and decorators."""
    seen: set[int] = set()
    while id(func) not in seen:
        seen.add(id(func))
        if isinstance(func, functools.partial):
            func = func.func
        elif isinstance(func, types.MethodType | staticmethod | classmethod):
            func = func.__func__
        else:
            wrapped = _wrapped(func)
            if wrapped is None:
                break
            func = wrapped
    return func


def _wrapped(obj: object) -> object | None:
    """``obj.__wrapped__`` if set on the object itself (no ``__getattr__`` is triggered)."""
    try:
        namespace = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        return None
    return namespace.get("__wrapped__") if isinstance(namespace, dict) else None


def _module_of(func: Any) -> str:
    """The module a function's code was compiled in (a decorator's, for its wrapper)."""
    name = func.__globals__.get("__name__")
    return name if isinstance(name, str) else str(func.__module__)


def _module_name(obj: object) -> str:
    """The module defining a class or callable (its ``__self__``'s for built-in methods)."""
    module = getattr(obj, "__module__", None)
    if not isinstance(module, str):
        module = type(getattr(obj, "__self__", None)).__module__
    return module


def _annotations(func: Any) -> object:
    try:
        return dict(func.__annotations__)
    except Exception:  # annotations that cannot be evaluated
        return "unreadable annotations"


def _cell(cell: types.CellType) -> object:
    try:
        return cell.cell_contents
    except ValueError:
        return "<empty cell>"


def _derived_by_pydantic(name: str) -> bool:
    """pydantic's schema, validator, ... are built from the fields and methods, which count."""
    return name.startswith("__pydantic_") and name not in _PYDANTIC_FIELDS


_PYDANTIC_FIELDS = frozenset({"__pydantic_fields__", "__pydantic_computed_fields__"})


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _python_version() -> str:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    name = sys.implementation.name
    return version if name == "cpython" else f"{name} {version}"
