"""Typed records: the validated, frozen shape of ``pggate.toml`` and the gates' tables.

A record class names its fields as annotated class attributes, each with its default::

    class Smoke(Record):
        path: str = "checks/smoke"
        repeat: int = bounded(20, ge=3, le=10_000)
        seed: str | None = None

        @validates("path")
        def _relative(value: str) -> str:
            if value.startswith("/"):
                raise ValueError("must be relative to the project")
            return value

``Smoke.model_validate(table)`` (or ``Smoke(path=...)``) checks a TOML table against it:
unknown keys, values of the wrong type, numbers out of bounds and a validator's
``ValueError`` are each a ``Problem`` at its dotted location, and every problem of the
document is raised together in one ``RecordError``. Types are TOML's, taken strictly: ``int``
takes an integer (not ``true``), ``float`` an integer or a float (not a boolean), ``str`` and
``bool`` only themselves. The field types understood are ``str``, ``int``, ``float``, ``bool``,
``Any``, another record, ``list[T]``, ``dict[str, T]``, ``Literal[...]`` and unions of them
(``T | None``, ``list[str] | str``). Validators run after their field's type check, on given
values only (defaults are trusted, as they are written in the code).

Records are frozen, compare by value, and remember which keys were given
(``model_fields_set``). A default that is a list, dict or record is copied for each record,
never shared. Annotations are resolved once per class, on its first validation, so importing
a module of records costs little more than defining its classes.

The names ``model_validate``, ``model_fields`` and ``model_fields_set`` are those the usual
Python validation libraries use; pggate does not import one because of what it would add to
every command's start-up (docs/performance.md).
"""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

__all__ = ["Problem", "Record", "RecordError", "bounded", "validates"]

Loc = tuple[str | int, ...]
Kind = Literal["type", "unknown", "bound", "value", "missing"]
Check = Callable[[Any, Loc, list["Problem"]], Any]
Planned = tuple[Check, tuple[Callable[[Any], Any], ...], Any, bool]
R = TypeVar("R", bound="Record")
F = TypeVar("F", bound=Callable[..., Any])

_BAD = object()  # what a check returns when it recorded a problem
_MISSING = object()
_IMMUTABLE = (str, int, float, bool, type(None), tuple, frozenset)


class Problem:
    """One thing wrong in a document: where (``loc``, keys and list indexes), what and its kind.

    ``kind`` is ``"type"``, ``"unknown"`` (a key no field has), ``"bound"`` (a number
    outside its field's bounds), ``"value"`` (a validator's ``ValueError``) or ``"missing"``.
    """

    __slots__ = ("kind", "loc", "message")

    def __init__(self, loc: Loc, message: str, kind: Kind) -> None:
        self.loc = loc
        self.message = message
        self.kind = kind

    def __repr__(self) -> str:
        return f"Problem({self.loc!r}, {self.message!r}, {self.kind!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and (self.loc, self.message, self.kind) == (
            other.loc,
            other.message,
            other.kind,
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def where(self) -> str:
        """The location dotted: ``environments.staging.lock_timeout``."""
        return ".".join(map(str, self.loc))


class RecordError(ValueError):
    """A document does not fit a record: every ``Problem`` found in it, in document order."""

    def __init__(self, record: type[Record], problems: list[Problem]) -> None:
        self.record = record
        self.problems = problems
        listed = "; ".join(f"{p.where}: {p.message}" if p.loc else p.message for p in problems)
        super().__init__(f"{record.__name__}: {listed}")


class Field:
    """One field of a record class (``Record.model_fields`` maps names to these)."""

    __slots__ = ("annotation", "default", "ge", "le", "module", "name")

    def __init__(
        self,
        name: str,
        annotation: Any,
        default: Any,
        ge: float | None,
        le: float | None,
        module: str,
    ) -> None:
        self.name = name
        # a string until resolved (the modules use ``from __future__ import annotations``)
        self.annotation = annotation
        self.default = default
        self.ge = ge
        self.le = le
        self.module = module  # where the annotation's names are looked up

    @property
    def required(self) -> bool:
        """Whether the field has no default."""
        return self.default is _MISSING

    def __repr__(self) -> str:
        return f"Field({self.name!r}, {self.annotation!r})"


class _Bounded:
    __slots__ = ("default", "ge", "le")

    def __init__(self, default: Any, ge: float | None, le: float | None) -> None:
        self.default, self.ge, self.le = default, ge, le


def bounded(default: Any, *, ge: float | None = None, le: float | None = None) -> Any:
    """A numeric field's default with its bounds, ``ge`` and ``le`` (both inclusive).

    Written ``repeat: int = bounded(20, ge=3, le=10_000)``.
    """
    return _Bounded(default, ge, le)


def validates(*names: str) -> Callable[[F], F]:
    """Mark a function of the class body as the validator of the fields ``names``.

    It takes the value (already of the field's type) and returns the value to keep; a
    ``ValueError`` it raises is a problem at that field's location.
    """

    def mark(func: F) -> F:
        func.__validates__ = names  # type: ignore[attr-defined]
        return staticmethod(func)  # type: ignore[return-value]

    return mark


class Record:
    """Base of typed records: subclass it and annotate the fields (see the module's text)."""

    model_fields: typing.ClassVar[dict[str, Field]] = {}
    _validators: typing.ClassVar[dict[str, tuple[Callable[[Any], Any], ...]]] = {}
    _resolved: typing.ClassVar[dict[str, Planned]]
    model_fields_set: frozenset[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = dict(cls.model_fields)
        validators = {name: list(funcs) for name, funcs in cls._validators.items()}
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():
            text = annotation if isinstance(annotation, str) else ""
            if (
                text.startswith(("ClassVar", "typing.ClassVar"))
                or typing.get_origin(annotation) is typing.ClassVar
            ):
                continue
            if name.startswith(("_", "model_")):
                raise TypeError(f"{cls.__name__}.{name}: field names cannot start with _ or model_")
            default = cls.__dict__.get(name, _MISSING)
            ge = le = None
            if isinstance(default, _Bounded):
                default, ge, le = default.default, default.ge, default.le
            if default is not _MISSING:
                delattr(cls, name)  # an instance always holds its own value
            fields[name] = Field(name, annotation, default, ge, le, cls.__module__)
            validators.setdefault(name, [])
        for attr, value in list(cls.__dict__.items()):
            func = value.__func__ if isinstance(value, staticmethod) else value
            names = getattr(func, "__validates__", None)
            if names is None:
                continue
            for name in names:
                if name not in fields:
                    raise TypeError(f"{cls.__name__}.{attr} validates {name!r}, which is no field")
                validators.setdefault(name, []).append(func)
        cls.model_fields = fields
        cls._validators = {name: tuple(funcs) for name, funcs in validators.items()}

    def __init__(self, /, **values: Any) -> None:
        problems: list[Problem] = []
        if not type(self)._fill(self, values, (), problems):
            raise RecordError(type(self), problems)

    @classmethod
    def model_validate(cls: type[R], data: Any) -> R:
        """``data`` (a mapping, usually a TOML table) as this record; else ``RecordError``."""
        if isinstance(data, cls):
            return data
        problems: list[Problem] = []
        record = cls._check(data, (), problems)
        if record is _BAD:
            raise RecordError(cls, problems)
        return record

    @classmethod
    def _check(cls, data: Any, loc: Loc, problems: list[Problem]) -> Any:
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping):
            problems.append(
                Problem(
                    loc, f"Input should be a valid dictionary or instance of {cls.__name__}", "type"
                )
            )
            return _BAD
        record = cls.__new__(cls)
        return record if cls._fill(record, data, loc, problems) else _BAD

    @classmethod
    def _plan(cls) -> dict[str, Planned]:
        plan = cls.__dict__.get("_resolved")  # this class's own, never a base's
        if plan is None:
            plan = cls._resolved = _resolve(cls)
        return plan

    @classmethod
    def _fill(
        cls, record: Record, data: Mapping[str, Any], loc: Loc, problems: list[Problem]
    ) -> bool:
        fields = cls._plan()
        found = len(problems)
        values: dict[str, Any] = {}
        for name, (check, validators, default, immutable) in fields.items():
            if name not in data:
                if default is _MISSING:
                    problems.append(Problem((*loc, name), "Field required", "missing"))
                else:
                    values[name] = default if immutable else _fresh(default)
                continue
            where = (*loc, name)
            value = check(data[name], where, problems)
            if value is _BAD:
                continue
            for validator in validators:
                try:
                    value = validator(value)
                except ValueError as exc:
                    problems.append(Problem(where, f"Value error, {exc}", "value"))
                    value = _BAD
                    break
            values[name] = value
        for key in data:
            if key not in fields:
                problems.append(Problem((*loc, key), "Extra inputs are not permitted", "unknown"))
        if len(problems) > found:
            return False
        state = record.__dict__
        state.update(values)
        state["model_fields_set"] = frozenset(name for name in data if name in fields)
        return True

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: {name} cannot be set")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: {name} cannot be deleted")

    def _values(self) -> tuple[Any, ...]:
        state = self.__dict__
        return tuple(state[name] for name in self.model_fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={self.__dict__[name]!r}" for name in self.model_fields)
        return f"{type(self).__name__}({shown})"


def _fresh(value: Any) -> Any:
    """A copy of a mutable default, as deep as lists, dicts and records go."""
    kind = type(value)
    if kind is list:
        return [_fresh(item) for item in value]
    if kind is dict:
        return {key: _fresh(item) for key, item in value.items()}
    if isinstance(value, Record):
        copy = kind.__new__(kind)
        copy.__dict__.update({key: _fresh(item) for key, item in value.__dict__.items()})
        return copy
    if kind is set:
        return set(value)
    return value


def _resolve(cls: type[Record]) -> dict[str, Planned]:
    """Per field: its check, its validators, its default and whether that is immutable."""
    fields = {}
    for name, field in cls.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, str):
            namespace = sys.modules[field.module].__dict__
            try:
                annotation = eval(annotation, namespace, {cls.__name__: cls})  # noqa: S307
            except Exception as exc:  # a name the module does not import at run time
                raise TypeError(
                    f"{cls.__name__}.{name}: cannot resolve {field.annotation!r}: {exc}"
                ) from None
        check, _ = _compile(annotation, f"{cls.__name__}.{name}", field.ge, field.le)
        default = field.default
        fields[name] = (
            check,
            cls._validators.get(name, ()),
            default,
            isinstance(default, _IMMUTABLE),
        )
    return fields


def _compile(
    tp: Any, where: str, ge: float | None = None, le: float | None = None
) -> tuple[Check, str]:
    """The check of values of type ``tp``, and what it expects, for a union's message."""
    union = typing.get_origin(tp) in (typing.Union, types.UnionType)
    if (ge is not None or le is not None) and tp is not int and tp is not float and not union:
        raise TypeError(f"{where}: bounds apply to int and float fields, not {tp!r}")
    if tp is Any:
        return (lambda value, loc, problems: value), "any value"
    if tp is str or tp is bool:
        return _exact(tp, "a valid string" if tp is str else "a valid boolean")
    if tp is int or tp is float:
        return _number(tp, ge, le)
    if isinstance(tp, type) and issubclass(tp, Record):
        return tp._check, f"a valid dictionary or instance of {tp.__name__}"
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is list:
        return _list(_compile(args[0], where)[0])
    if origin is dict:
        if args[0] is not str:
            raise TypeError(f"{where}: dict keys must be str, not {args[0]!r}")
        return _dict(_compile(args[1], where)[0])
    if origin is Literal:
        return _literal(args)
    if origin is typing.Union or origin is types.UnionType:
        nullable = type(None) in args
        members = [_compile(a, where, ge, le) for a in args if a is not type(None)]
        check, expected = members[0] if len(members) == 1 else _union(members)
        return (_nullable(check), f"{expected} or None") if nullable else (check, expected)
    raise TypeError(f"{where}: records do not support the type {tp!r}")


def _exact(kind: type, expected: str) -> tuple[Check, str]:
    message = f"Input should be {expected}"

    def check(value: Any, loc: Loc, problems: list[Problem]) -> Any:
        if type(value) is kind:
            return value
        problems.append(Problem(loc, message, "type"))
        return _BAD

    return check, expected


def _number(kind: type, ge: float | None, le: float | None) -> tuple[Check, str]:
    expected = "a valid integer" if kind is int else "a valid number"
    accepted = (int,) if kind is int else (int, float)

    def check(value: Any, loc: Loc, problems: list[Problem]) -> Any:
        if not isinstance(value, accepted) or isinstance(value, bool):
            problems.append(Problem(loc, f"Input should be {expected}", "type"))
            return _BAD
        if ge is not None and value < ge:
            problems.append(Problem(loc, f"Input should be greater than or equal to {ge}", "bound"))
            return _BAD
        if le is not None and value > le:
            problems.append(Problem(loc, f"Input should be less than or equal to {le}", "bound"))
            return _BAD
        return kind(value)

    return check, expected


def _list(item: Check) -> tuple[Check, str]:
    def check(value: Any, loc: Loc, problems: list[Problem]) -> Any:
        if not isinstance(value, list | tuple):
            problems.append(Problem(loc, "Input should be a valid list", "type"))
            return _BAD
        found = len(problems)
        items = [item(v, (*loc, i), problems) for i, v in enumerate(value)]
        return items if len(problems) == found else _BAD

    return check, "a valid list"


def _dict(item: Check) -> tuple[Check, str]:
    def check(value: Any, loc: Loc, problems: list[Problem]) -> Any:
        if not isinstance(value, Mapping):
            problems.append(Problem(loc, "Input should be a valid dictionary", "type"))
            return _BAD
        found = len(problems)
        items = {}
        for key, v in value.items():
            if type(key) is not str:
                problems.append(Problem((*loc, str(key)), "Keys should be valid strings", "type"))
                continue
            items[key] = item(v, (*loc, key), problems)
        return items if len(problems) == found else _BAD

    return check, "a valid dictionary"


def _literal(options: tuple[Any, ...]) -> tuple[Check, str]:
    shown = [repr(o) for o in options]
    expected = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
    message = f"Input should be {expected}"

    def check(value: Any, loc: Loc, problems: list[Problem]) -> Any:
        for option in options:
            if value == option and type(value) is type(option):
                return value
        problems.append(Problem(loc, message, "type"))
        return _BAD

    return check, expected


def _nullable(inner: Check) -> Check:
    def check(value: Any, loc: Loc, problems: list[Problem]) -> Any:
        return None if value is None else inner(value, loc, problems)

    return check


def _union(members: list[tuple[Check, str]]) -> tuple[Check, str]:
    expected = " or ".join(e for _, e in members)
    message = f"Input should be {expected}"

    def check(value: Any, loc: Loc, problems: list[Problem]) -> Any:
        # The first member the value fits wins. When none does, a member whose problems
        # all lie inside the value (a list with a bad item) says what is wrong; otherwise
        # the value's own type fits no member.
        inside = None
        for member, _ in members:
            found: list[Problem] = []
            result = member(value, loc, found)
            if result is not _BAD:
                return result
            if inside is None and all(len(p.loc) > len(loc) for p in found):
                inside = found
        problems.extend(inside if inside is not None else [Problem(loc, message, "type")])
        return _BAD

    return check, expected
