"""User functions written in Python (ksqlDB's UDFs, UDAFs and UDTFs from an extension dir).

A decorator (``ksqlpy.local.udf``) marks a Python function or class with a :class:`Definition`;
:func:`load` imports modules or files, collects their definitions and registers them in the
same registries as the built-ins, so overload resolution, SHOW FUNCTIONS and DESCRIBE FUNCTION
treat them alike. Nothing is registered from a source unless all of it is valid: a bad
signature, a clash with a built-in or an import error is one :class:`UdfLoadError` line.

As ksqlDB does with a UDF's exception, a failing call is NULL for that row and a log entry.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import importlib
import importlib.metadata
import importlib.util
import inspect
import logging
import sys
import types as pytypes
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp
from sqlglot.errors import ParseError

from ..convert import sql_type
from ..errors import KsqlStatementError
from ..types import NULL_TYPE, ArrayType, MapType, SqlType
from ..udafs import AGGREGATES, TABLE_AGGREGATES, Accumulator, AggregateFunction
from .registry import REGISTRY, Function, Signature, choose, fixed

LOG = logging.getLogger("ksqlpy.local.udf")
ENTRY_POINTS = "ksqlpy.udfs"  # installed packages name their UDF modules here
MARK = "__ksqlpy_udfs__"  # the attribute a decorator leaves its definitions in
SCALAR, TABLE, AGGREGATE = "SCALAR", "TABLE", "AGGREGATE"

# Python annotations -> ksqlDB types (``int`` is BIGINT, as a Java ``long``).
_PYTHON_TYPES: dict[Any, str] = {
    bool: "BOOLEAN",
    int: "BIGINT",
    float: "DOUBLE",
    str: "STRING",
    bytes: "BYTES",
    decimal.Decimal: "DECIMAL",
    datetime.date: "DATE",
    datetime.time: "TIME",
    datetime.datetime: "TIMESTAMP",
}


class UdfLoadError(ValueError):
    """A user function that cannot be loaded; the message is one line naming file and function."""


@dataclass(frozen=True, slots=True)
class Definition:
    """One overload of a user function, as its decorator declared it."""

    kind: str
    name: str
    # The function, or a class: an aggregate's (its constructor takes literals), or a scalar or
    # table function's, whose instances are called (one instance per call in a query).
    target: Any
    signature: str | None = None  # "(INT, STRING...) -> STRING"; None: from the annotations
    description: str = ""
    author: str = ""
    version: str = ""
    category: str = "OTHER"
    literals: str = ""  # an aggregate's constructor arguments, passed last as literals


@dataclass(frozen=True, slots=True)
class Info:
    """What DESCRIBE FUNCTION shows of a user function beyond the registry's fields."""

    source: str
    author: str
    version: str
    description: str
    overloads: tuple[tuple[Signature, str, str], ...]  # signature, return type, description


# Name -> what loaded it; a name here may be replaced by the same source loading again.
USER: dict[str, Info] = {}


@dataclass
class _Overload:
    definition: Definition
    signature: Signature
    returns: str
    literals: Signature = field(default_factory=lambda: Signature(()))


def load(sources: Iterable[str | Path | pytypes.ModuleType]) -> list[str]:
    """Import each source (a module, a module name, a ``.py`` file or a folder of them) and
    the modules installed packages name under the ``ksqlpy.udfs`` entry-point group, and
    register their functions; the names registered, in order."""
    names: list[str] = []
    installed = [e.value for e in importlib.metadata.entry_points(group=ENTRY_POINTS)]
    for source in [*installed, *sources]:
        for module, where in _modules(source):
            names += register_module(module, where)
    return names


def register_module(module: pytypes.ModuleType, where: str) -> list[str]:
    """Register every function a module's decorators marked; nothing if one is invalid."""
    grouped: dict[tuple[str, str], list[Definition]] = {}
    for value in list(vars(module).values()):
        for definition in getattr(value, MARK, ()):
            # Not a subclass inheriting its base's mark, nor a function imported from elsewhere.
            mine = getattr(value, "__module__", None) == module.__name__
            if isinstance(definition, Definition) and definition.target is value and mine:
                grouped.setdefault((definition.kind, definition.name), []).append(definition)
    plans = [(kind, name, _plan(where, defs)) for (kind, name), defs in grouped.items()]
    for kind, name, _ in plans:
        _check_free(where, name, kind)
    for kind, name, overloads in plans:
        _install(kind, name, overloads, where)
    return [name for _, name, _ in plans]


def unload(names: Iterable[str]) -> None:
    """Remove user functions (tests; a server's functions live as long as the process)."""
    for name in (n.upper() for n in names):
        if USER.pop(name, None) is not None:
            REGISTRY.pop(name, None)
            AGGREGATES.pop(name, None)
            TABLE_AGGREGATES.discard(name)


def _modules(source: str | Path | pytypes.ModuleType) -> list[tuple[pytypes.ModuleType, str]]:
    if isinstance(source, pytypes.ModuleType):
        return [(source, getattr(source, "__file__", None) or source.__name__)]
    path = Path(source)
    if path.is_dir():
        return [(_import_file(p), str(p)) for p in sorted(path.glob("*.py"))]
    if path.suffix == ".py":
        if not path.is_file():
            raise UdfLoadError(f"cannot load UDFs from {path}: no such file")
        return [(_import_file(path), str(path))]
    try:
        module = importlib.import_module(str(source))
    except Exception as exc:
        raise UdfLoadError(f"cannot load UDF module {source}: {_reason(exc)}") from None
    return [(module, getattr(module, "__file__", None) or str(source))]


def _import_file(path: Path) -> pytypes.ModuleType:
    resolved = path.resolve()
    name = "ksqlpy_udf_" + "".join(c if c.isalnum() else "_" for c in str(resolved))
    loaded = sys.modules.get(name)
    if loaded is not None:  # loaded before (another server in this process): the same functions
        return loaded
    spec = importlib.util.spec_from_file_location(name, resolved)
    if spec is None or spec.loader is None:
        raise UdfLoadError(f"cannot load UDF file {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # as an import does: a module importing itself gets this one
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise UdfLoadError(f"cannot load UDF file {path}: {_reason(exc)}") from None
    return module


def _reason(exc: BaseException) -> str:
    line = ""
    tb = exc.__traceback__
    while tb is not None:
        line = f" (line {tb.tb_lineno})"
        tb = tb.tb_next
    return f"import failed: {type(exc).__name__}: {exc}{line}"


def _check_free(where: str, name: str, kind: str) -> None:
    owner = USER.get(name)
    if owner is not None and owner.source != where:
        raise UdfLoadError(
            f"cannot load UDF file {where}: function '{name}' is already defined by {owner.source}"
        )
    if owner is None and (name in REGISTRY or name in AGGREGATES):
        raise UdfLoadError(
            f"cannot load UDF file {where}: function '{name}' has the name of a built-in function"
        )


def _plan(where: str, definitions: list[Definition]) -> list[_Overload]:
    out: list[_Overload] = []
    for definition in definitions:
        where_fn = f"cannot load UDF file {where}: function '{definition.name}'"
        try:
            out.append(_overload(definition))
        except (UdfLoadError, KsqlStatementError, ParseError, ValueError) as exc:
            raise UdfLoadError(f"{where_fn}: {_one_line(exc)}") from None
    seen = [(o.signature.params, o.signature.variadic, o.literals.params) for o in out]
    if len(set(seen)) != len(seen):
        raise UdfLoadError(
            f"cannot load UDF file {where}: function '{definitions[0].name}' declares the same "
            "signature twice"
        )
    return out


def _one_line(exc: BaseException) -> str:
    return " ".join(str(getattr(exc, "message", exc)).split())


def _overload(definition: Definition) -> _Overload:
    if definition.signature is not None:
        params, returns = parse_signature(definition.signature)
    else:
        params, returns = _from_annotations(definition)
    variadic = bool(params) and params[-1].endswith("...")
    patterns = [_pattern(p.removesuffix("...")) for p in params]
    if any(p.endswith("...") for p in params[:-1]):
        raise UdfLoadError("only the last parameter can be variadic (...)")
    literal_texts = _split(definition.literals)
    literal_variadic = bool(literal_texts) and literal_texts[-1].endswith("...")
    literal_params = [_pattern(p.removesuffix("...")) for p in literal_texts]
    if literal_variadic and variadic:
        raise UdfLoadError("an aggregate with variadic literals takes a fixed number of columns")
    returns = _pattern(returns)
    generics = {g for p in patterns for g in _generics(p)}
    missing = set(_generics(returns)) - generics
    if missing:
        raise UdfLoadError(f"return type {returns} uses {sorted(missing)[0]}, no parameter does")
    if definition.kind == AGGREGATE:
        for method in ("initialize", "aggregate", "map"):
            if not callable(getattr(definition.target, method, None)):
                raise UdfLoadError(f"an aggregate class needs a method {method}()")
    elif inspect.isclass(definition.target):
        _instantiate(definition.target)  # as UdfLoader's sanity check, at load
    return _Overload(
        definition,
        Signature(tuple(patterns), variadic),
        returns,
        Signature(tuple(literal_params), literal_variadic),
    )


def _instantiate(target: type) -> Callable[..., Any]:
    """An instance of a scalar or table function class (its constructor takes nothing)."""
    if not any("__call__" in vars(c) for c in target.__mro__[:-1]):
        raise UdfLoadError("a function class needs a method __call__()")
    try:
        instance: Callable[..., Any] = target()
    except Exception as exc:
        raise UdfLoadError(
            f"the class cannot be instantiated: {type(exc).__name__}: {exc}"
        ) from None
    return instance


def parse_signature(text: str) -> tuple[list[str], str]:
    """``"(INT, STRING...) -> STRING"`` as parameter type texts and a return type text."""
    head, arrow, returns = text.partition("->")
    head = head.strip()
    if not arrow or not head.startswith("(") or not head.endswith(")") or not returns.strip():
        raise UdfLoadError(f"signature {text!r} is not of the form '(TYPE, ...) -> TYPE'")
    return _split(head[1:-1]), returns.strip()


def _split(text: str) -> list[str]:
    out, depth, current = [], 0, ""
    for char in text:
        depth += (char in "<(") - (char in ">)")
        if char == "," and depth == 0:
            out.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        out.append(current.strip())
    return out


def _from_annotations(definition: Definition) -> tuple[list[str], str]:
    if definition.kind == AGGREGATE:
        raise UdfLoadError("an aggregate needs an explicit signature='(TYPE, ...) -> TYPE'")
    target = definition.target
    body = target.__call__ if inspect.isclass(target) else target
    hints = typing.get_type_hints(body)
    parameters = list(inspect.signature(body).parameters.values())
    if inspect.isclass(target):
        parameters = parameters[1:]  # self
    params = []
    for parameter in parameters:
        if parameter.name not in hints:
            raise UdfLoadError(f"parameter '{parameter.name}' has no type annotation")
        text = _python_type(hints[parameter.name])
        variadic = parameter.kind == inspect.Parameter.VAR_POSITIONAL
        params.append(text + ("..." if variadic else ""))
    if "return" not in hints:
        raise UdfLoadError("the return value has no type annotation")
    returns = hints["return"]
    if definition.kind == TABLE:  # a table function returns a list of its rows' values
        if typing.get_origin(returns) is not list:
            raise UdfLoadError("a table function returns list[...]")
        returns = typing.get_args(returns)[0]
    return params, _python_type(returns)


def _python_type(hint: Any) -> str:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    origin = typing.get_origin(hint)
    if origin in (typing.Union, pytypes.UnionType) and len(args) == 1:
        return _python_type(args[0])  # X | None: NULL is always allowed
    if origin is list and len(args) == 1:
        return f"ARRAY<{_python_type(args[0])}>"
    if origin is dict and len(args) == 2:
        return f"MAP<{_python_type(args[0])}, {_python_type(args[1])}>"
    if hint in _PYTHON_TYPES:
        return _PYTHON_TYPES[hint]
    raise UdfLoadError(f"no ksqlDB type for the annotation {hint!r}; give signature='...'")


def _pattern(text: str) -> str:
    """A parameter or return type in the registry's spelling: generics (one letter) and ANY
    kept, ARRAY/MAP of them, any other type as ksqlDB parses it."""
    text = text.strip()
    upper = text.upper()
    if (len(text) == 1 and text.isalpha()) or upper == "ANY":
        return upper
    if upper.startswith("ARRAY<") and upper.endswith(">"):
        return f"ARRAY<{_pattern(text[6:-1])}>"
    if upper.startswith("MAP<") and upper.endswith(">"):
        parts = _split(text[4:-1])
        if len(parts) == 2:
            return f"MAP<{_pattern(parts[0])}, {_pattern(parts[1])}>"
    try:
        node = exp.DataType.build(text, dialect="ksql")
    except (ParseError, ValueError):
        raise UdfLoadError(f"unknown type {text!r}") from None
    return str(sql_type(node, {}))


def _generics(pattern: str) -> list[str]:
    if len(pattern) == 1:
        return [pattern]
    if pattern.startswith(("ARRAY<", "MAP<")):
        inner = pattern[pattern.index("<") + 1 : -1]
        return [g for p in _split(inner) for g in _generics(p)]
    return []


def _type(pattern: str, bound: dict[str, SqlType]) -> SqlType:
    """A return pattern as a type, its generics replaced by what the arguments bound."""
    if len(pattern) == 1:
        return bound[pattern]
    if pattern.startswith("ARRAY<"):
        return ArrayType("ARRAY", _type(pattern[6:-1], bound))
    if pattern.startswith("MAP<"):
        key, value = _split(pattern[4:-1])
        return MapType("MAP", _type(key, bound), _type(value, bound))
    return sql_type(exp.DataType.build(pattern, dialect="ksql"), {})


def _bind(pattern: str, kind: SqlType, bound: dict[str, SqlType]) -> None:
    if len(pattern) == 1:
        bound.setdefault(pattern, kind)
    elif pattern.startswith("ARRAY<") and isinstance(kind, ArrayType):
        _bind(pattern[6:-1], kind.element, bound)
    elif pattern.startswith("MAP<") and isinstance(kind, MapType):
        key, value = _split(pattern[4:-1])
        _bind(key, kind.key, bound)
        _bind(value, kind.value, bound)


def _returns(overload: _Overload) -> Callable[[Sequence[SqlType]], SqlType]:
    pattern = overload.returns
    if not _generics(pattern):
        return fixed(_type(pattern, {}))
    signature = overload.signature

    def rule(types: Sequence[SqlType]) -> SqlType:
        bound: dict[str, SqlType] = {}
        params = list(signature.params)
        params += [params[-1]] * (len(types) - len(params)) if signature.variadic else []
        for param, kind in zip(params, types, strict=False):
            _bind(param, kind, bound)
        return _type(pattern, bound)

    return rule


def _guarded(name: str, call: Callable[..., Any], empty: Any = None) -> Callable[..., Any]:
    """A call whose exception is logged and gives ``empty`` (NULL), as ksqlDB treats a UDF's."""

    def run(*args: Any) -> Any:
        try:
            return call(*args)
        except Exception as exc:
            LOG.warning("function %s failed on %r: %s: %s", name, args, type(exc).__name__, exc)
            return empty

    return run


def _rows(call: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any) -> list[Any]:
        result = call(*args)
        return [] if result is None else list(result)

    return run


def _calling(kind: str, name: str, target: Any) -> Callable[[], Callable[..., Any]]:
    """What makes the guarded callable of an overload: a class's makes a fresh instance."""

    def make() -> Callable[..., Any]:
        call: Callable[..., Any] = _instantiate(target) if inspect.isclass(target) else target
        return _guarded(name, _rows(call), []) if kind == TABLE else _guarded(name, call)

    return make


def _install(kind: str, name: str, overloads: list[_Overload], where: str) -> None:
    first = overloads[0].definition
    listed = tuple(
        (o.signature, o.returns, o.definition.description or first.description) for o in overloads
    )
    USER[name] = Info(where, first.author, first.version, first.description, listed)
    if kind == AGGREGATE:
        _install_aggregate(name, overloads)
        return
    parts = tuple(
        Function(
            name,
            _calling(kind, name, o.definition.target)(),
            _returns(o),
            first.category,
            first.description,
            signatures=(o.signature,),
            kind=kind,
            instance=_calling(kind, name, o.definition.target)
            if inspect.isclass(o.definition.target)
            else None,
        )
        for o in overloads
    )
    REGISTRY[name] = Function(
        name,
        parts[0].call,
        parts[0].returns,
        first.category,
        first.description,
        signatures=tuple(o.signature for o in overloads),
        kind=kind,
        overloads=parts,
    )


# -- aggregates -----------------------------------------------------------------------------------


class _UserAccumulator(Accumulator):
    """A user aggregate's state for one group: built from the literal arguments of the call on
    the first row, then initialize/aggregate/undo/map as ksqlDB's Udaf calls them."""

    def __init__(self, name: str, overload: _Overload) -> None:
        self.name = name
        self.cls = overload.definition.target
        self.fixed = len(overload.signature.params) - overload.signature.variadic
        self.variadic = overload.signature.variadic
        self.literal_count = len(overload.literals.params)
        # Variadic literals (ksqlDB's `@UdafFactory(int, String...)`): the columns come first,
        # as many as the signature has, then any number of literals.
        self.column_count = len(overload.signature.params) if overload.literals.variadic else None
        self.instance: Any = None
        self.state: Any = None

    def _value(self, args: Sequence[Any]) -> Any:
        split = self.column_count
        columns = list(args[: len(args) - self.literal_count if split is None else split])
        if self.instance is None:
            literals = args[len(columns) :]
            self.instance = self.cls(*literals)
            self.state = _guarded(self.name, self.instance.initialize)()
        value = columns[: self.fixed]
        if self.variadic:
            value.append(tuple(columns[self.fixed :]))
        return value[0] if len(value) == 1 else tuple(value)

    def add(self, args: Sequence[Any]) -> None:
        value = self._value(args)
        self.state = _guarded(self.name, self.instance.aggregate, self.state)(value, self.state)

    def undo(self, args: Sequence[Any]) -> None:
        value = self._value(args)
        undo = getattr(self.instance, "undo", None)
        if undo is not None:
            self.state = _guarded(self.name, undo, self.state)(value, self.state)

    def value(self) -> Any:
        if self.instance is None:
            return None
        # A copy: the engine keeps emitted results while the state goes on changing.
        return copy.deepcopy(_guarded(self.name, self.instance.map)(self.state))


def _install_aggregate(name: str, overloads: list[_Overload]) -> None:
    first = overloads[0].definition
    specs = [
        AggregateFunction(
            lambda star, o=o: _UserAccumulator(name, o),  # type: ignore[misc]
            _returns(o),
            o.definition.description or first.description,
            (o.signature,),
        )
        for o in overloads
    ]

    def pick(types: Sequence[SqlType]) -> tuple[AggregateFunction, list[SqlType]]:
        for i, o in enumerate(overloads):
            if o.literals.variadic:
                columns, literals = (
                    types[: len(o.signature.params)],
                    types[len(o.signature.params) :],
                )
                if _fits(name, o.literals, literals) and _fits(name, o.signature, columns):
                    return specs[i], [*choose(name, [o.signature], columns)[1], *literals]
        for count in sorted({len(o.literals.params) for o in overloads if not o.literals.variadic}):
            if len(types) < count:
                continue
            columns, literals = types[: len(types) - count], types[len(types) - count :]
            group = [
                i
                for i, o in enumerate(overloads)
                if len(o.literals.params) == count
                and not o.literals.variadic
                and _fits(name, o.literals, literals)
            ]
            signatures = [overloads[i].signature for i in group]
            try:
                chosen, passed = choose(name, signatures, columns)
            except KsqlStatementError:
                continue
            return specs[group[signatures.index(chosen)]], passed + list(literals)
        # ksqlDB's UdafFactory error names the aggregate in capitals.
        shown = ", ".join("null" if t == NULL_TYPE else str(t) for t in types)
        listed = "\n".join(
            o.signature.text(name.lower())[:-1]
            + ", " * bool(o.signature.params and o.literals.params)
            + o.literals.text()[1:-1]
            + ")"
            for o in overloads
        )
        raise KsqlStatementError(
            f"Function '{name}' does not accept parameters ({shown}).\n"
            f"Valid alternatives are:\n{listed}"
        )

    AGGREGATES[name] = AggregateFunction(
        specs[0].make,
        specs[0].returns,
        first.description,
        tuple(o.signature for o in overloads),
        pick=pick,
    )
    if any(callable(getattr(o.definition.target, "undo", None)) for o in overloads):
        TABLE_AGGREGATES.add(name)


def _fits(name: str, signature: Signature, types: Sequence[SqlType]) -> bool:
    if not signature.params:
        return not types
    try:
        choose(name, [signature], types)
    except KsqlStatementError:
        return False
    return True
