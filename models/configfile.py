"""Configuration documents (YAML/JSON mappings) into typed, frozen settings.

Every settings section is a pydantic dataclass declared with :func:`section`:
frozen, slotted, keyword-only, and **strict about keys** (an unknown key is a
problem, with the closest known key suggested). Defaults are stated once, on
the field. :func:`validate` turns a raw document into the typed value and
reports every problem at once as a :class:`models.errors.ValidationError`
whose :class:`Problem` names the dotted path of each field
(``metrics.lisen: '0.0.0.0:9464' is not a setting; did you mean 'listen'?``).

Field validators raise :func:`problem` (a why-sentence, no field name: the
path is added here), so messages keep the one format of every fabricd error.
Pure: no I/O.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import difflib
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import ConfigDict, TypeAdapter
from pydantic import ValidationError as PydanticError
from pydantic.dataclasses import dataclass as _pydantic_dataclass
from pydantic_core import PydanticCustomError

from models.errors import Problem, ValidationError

T = TypeVar("T")

#: the configuration every section shares: unknown keys are refused; field
#: docstrings become the descriptions of the JSON Schema and the reference docs
CONFIG = ConfigDict(extra="forbid", use_attribute_docstrings=True, arbitrary_types_allowed=True)

#: pydantic error types -> our why-sentences (the value is printed before them)
_WHY = {
    "missing": "is required",
    "missing_argument": "is required",
    "bool_type": "is not true or false",
    "bool_parsing": "is not true or false",
    "int_type": "is not an integer",
    "int_parsing": "is not an integer",
    "int_from_float": "is not an integer",
    "float_type": "is not a number",
    "float_parsing": "is not a number",
    "string_type": "is not a string",
    "dict_type": "must be a mapping",
    "dataclass_type": "must be a mapping",
    "dataclass_exact_type": "must be a mapping",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "frozen_set_type": "must be a list",
    "set_type": "must be a list",
}


@typing.dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(dataclasses.field,))
def section(cls: type[T]) -> type[T]:
    """Declare a settings section (see the module docstring)."""
    return typing.cast(type[T], _pydantic_dataclass(frozen=True, slots=True, kw_only=True, config=CONFIG)(cls))


def problem(why: str, **ctx: Any) -> PydanticCustomError:
    """A field's problem, raised by validators: ``raise problem("is negative")``.
    ``field=`` names a sub-field (dotted, relative to where it was raised)."""
    return PydanticCustomError("fabricd", "{why}", {"why": why, **ctx})


def why_of(error: BaseException, value: object) -> str:
    """An error message as a why-sentence: without the value it starts with."""
    text, shown = str(error), repr(value)
    return text[len(shown) :].strip() if text.startswith(shown) else text


def validate(kind: type[T], doc: object, *, prefix: str = "", context: Mapping[str, Any] | None = None) -> T:
    """``doc`` as a ``kind``; raises ValidationError naming every problem."""
    try:
        return _adapter(kind).validate_python({} if doc is None else doc, context=dict(context or {}))
    except PydanticError as e:
        raise ValidationError(problems_of(e, kind, prefix=prefix)) from None


def problems_of(error: PydanticError, kind: type[Any], *, prefix: str = "") -> list[Problem]:
    out: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for err in error.errors(include_url=False):
        loc = [x for x in err["loc"] if not _is_internal(x)]
        ctx = dict(err.get("ctx") or {})
        if ctx.get("field"):
            loc += str(ctx["field"]).split(".")
        where = _dotted(loc)
        if prefix:
            where = prefix + ("" if prefix.endswith((" ", ":")) or not where else ".") + where
        kind_ = err["type"]
        value = ctx["value"] if "value" in ctx else err.get("input")
        if kind_ in ("unexpected_keyword_argument", "extra_forbidden"):
            why = "is not a setting" + _suggest(kind, loc)
        elif kind_ == "fabricd":
            why = err["msg"]
        elif kind_ in ("literal_error", "enum"):
            why = "is not " + _alternatives(str(ctx.get("expected", "")))
        elif kind_ in ("missing", "missing_argument"):
            value = None
            why = _WHY[kind_]
        else:
            why = _WHY.get(kind_, err["msg"][:1].lower() + err["msg"][1:])
        if (where, why) not in seen:
            seen.add((where, why))
            out.append(Problem(where or "settings", value, why))
    return out


def is_section(kind: object) -> bool:
    """A settings section (declared with :func:`section`), not a value type."""
    return isinstance(kind, type) and dataclasses.is_dataclass(kind) and hasattr(kind, "__pydantic_fields__")


def section_of(hint: object) -> tuple[type[Any] | None, bool]:
    """The section a field holds (``X``, ``X | None``) or maps names to
    (``dict[str, X]``: then ``keyed`` is True); ``(None, False)`` for values."""
    if is_section(hint):
        return typing.cast(type[Any], hint), False
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (dict, collections.abc.Mapping) and args and is_section(args[-1]):
        return typing.cast(type[Any], args[-1]), True
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            if is_section(arg):
                return typing.cast(type[Any], arg), False
    return None, False


def known_keys(kind: type[Any], path: Iterable[str | int] = ()) -> list[str]:
    """The field names of ``kind``, or of the section at ``path`` inside it
    (list indexes and mapping keys on the way are skipped)."""
    current: Any = kind
    skip_key = False
    for part in path:
        if isinstance(part, int):
            continue
        if skip_key:
            skip_key = False
            continue
        if not is_section(current):
            return []
        hint = hints(current).get(str(part))
        if hint is None:
            return []
        current, skip_key = section_of(hint)
    return [f.name for f in dataclasses.fields(current)] if is_section(current) else []


# ----------------------------------------------------------------- helpers

_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(kind: type[T]) -> TypeAdapter[T]:
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    return adapter


def json_schema(kind: type[Any]) -> dict[str, Any]:
    """The JSON Schema of a settings type (for editors and Helm values)."""
    return _adapter(kind).json_schema()


def _is_internal(part: object) -> bool:
    # pydantic's names for union members and validator steps, not document keys
    return isinstance(part, str) and (
        (part.endswith("]") and "[" in part) or part in ("function-before", "function-after", "function-wrap")
    )


def _dotted(parts: Iterable[str | int]) -> str:
    text = ""
    for p in parts:
        if isinstance(p, int):
            text += f"[{p}]"
        else:
            text += ("." if text else "") + str(p)
    return text


def _suggest(kind: type[Any], loc: list[Any]) -> str:
    known = known_keys(kind, loc[:-1])
    if not known:
        return ""
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f" (known: {', '.join(sorted(known))})"


def _alternatives(expected: str) -> str:
    parts = [p.strip() for p in expected.replace(" or ", ",").split(",") if p.strip()]
    parts = [p.strip("'") for p in parts]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def hints(owner: Any) -> dict[str, Any]:
    """The resolved type hints of a section's fields."""
    try:
        return typing.get_type_hints(owner, include_extras=False)
    except (NameError, TypeError):
        return {}
