"""The field types of every settings model: what a knob holds, in which unit, checked one way with one message.

Each type is a ``typing.Annotated`` alias (or a function returning one, for types with bounds) whose
validator is a :class:`Rule`: the words for what is expected, an example, and the check. A value that
breaks the rule raises ``ValueError("expected <what>, e.g. <example>")``; the message never repeats the
value, because the params loader adds the dotted key, the value (once) and the file that set it:

    supply.attrition_annual: expected a share from 0 to below 1 (0.15 = 15%), e.g. 0.15; got 1.0 (set in q.yaml)

Conventions, decided once for every field:

* Numbers are real numbers: ``true``/``false``, text, NaN and infinity are rejected.
* Whole numbers (months, days, counts) accept a float with nothing after the point: ``12.0`` is 12;
  ``12.5`` is rejected.
* Shares are fractions of 1 (0.15 = 15%), never percentages.
* Money is in the company currency (``currency`` in the params), never negative.
* A type made optional with ``optional=True`` accepts null (None), meaning "not set".
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, get_args

from pydantic import BeforeValidator


@dataclass(frozen=True, eq=False)
class Rule:
    """What a field accepts, said once: ``expected`` (words), ``example`` (a good value), ``bad`` (a value the
    rule rejects, for tests), ``accepts`` (the check), ``convert`` (the accepted value as stored) and ``hint``
    (words added to the message for a given bad value, e.g. " (did you mean 'fast'?)")."""

    expected: str
    example: Any
    bad: Any
    accepts: Callable[[Any], bool]
    convert: Callable[[Any], Any] = lambda value: value
    optional: bool = False
    hint: Callable[[Any], str] = lambda value: ""

    @property
    def message(self) -> str:
        """The error text of a value this rule rejects (without the value)."""
        null = ", or null" if self.optional else ""
        return f"expected {self.expected}, e.g. {_show(self.example)}{null}"

    def __call__(self, value: Any) -> Any:
        if value is None and self.optional:
            return None
        if not self.accepts(value):
            raise ValueError(self.message + self.hint(value))
        return self.convert(value)


def rule_of(field_info) -> Rule | None:
    """The :class:`Rule` of a pydantic field (``model.model_fields[name]``), None for a field without one."""
    for item in field_info.metadata:
        if isinstance(item, BeforeValidator) and isinstance(item.func, Rule):
            return item.func
    return None


def did_you_mean(value: Any, accepted: Sequence[str]) -> str:
    """`` (did you mean 'X'?)`` for the entry of ``accepted`` closest to ``value``, ignoring case; else ''."""
    lowered = {str(name).lower(): name for name in accepted}
    close = difflib.get_close_matches(str(value).lower(), list(lowered), n=1, cutoff=0.5)
    return f" (did you mean {lowered[close[0]]!r}?)" if close else ""


def check_argument(value: Any, field_type: Any, name: str) -> Any:
    """``value`` checked by a field type outside a settings model (a function's argument), as the type stores
    it; a ValueError ``"<name>: expected <what>, e.g. <example>; got <value>"`` when the type's rule rejects it."""
    rule = next(item.func for item in get_args(field_type)[1:]
                if isinstance(item, BeforeValidator) and isinstance(item.func, Rule))
    try:
        return rule(value)
    except ValueError as error:
        raise ValueError(f"{name}: {error}; got {value!r}") from None


def _show(example: Any) -> str:
    if isinstance(example, Mapping):
        return "{" + ", ".join(f"{key}: {_show(value)}" for key, value in example.items()) + "}"
    if isinstance(example, (list, tuple)):
        return "[" + ", ".join(_show(value) for value in example) + "]"
    if isinstance(example, float) and example.is_integer() and abs(example) >= 1000:
        return f"{example:.0f}"
    return str(example)


def _typed(python_type: Any, rule: Rule) -> Any:
    return Annotated[python_type | None if rule.optional else python_type, BeforeValidator(rule)]


# -- numbers ------------------------------------------------------------------------------------------


def is_number(value: Any) -> bool:
    """A real, finite number that is not a bool."""
    return not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value)


def is_whole(value: Any) -> bool:
    """A number with nothing after the point (12 and 12.0, not 12.5, not true)."""
    return is_number(value) and float(value).is_integer()


def _bounds_text(ge, gt, le, lt) -> str:
    """The range in words: "from 0 to 1", "from 0 to below 1", "above 0 and at most 1", "1 or more"... ("" for
    no bounds)."""
    if ge is None and gt is None and le is None and lt is None:
        return ""
    low = None if ge is None and gt is None else (f"above {gt:g}" if gt is not None else f"{ge:g}")
    high = None if le is None and lt is None else (f"below {lt:g}" if lt is not None else f"{le:g}")
    if low is None:
        return f"at most {high}" if lt is None else high
    if high is None:
        return low if gt is not None else f"of {low} or more"
    if gt is None:
        return f"from {low} to {high}"
    return f"{low} and {high}" if lt is not None else f"{low} and at most {high}"


def _within(value: float, ge, gt, le, lt) -> bool:
    return ((ge is None or value >= ge) and (gt is None or value > gt)
            and (le is None or value <= le) and (lt is None or value < lt))


def _bad_value(ge, gt, le, lt, whole: bool) -> Any:
    if ge is not None:
        return ge - 1
    if gt is not None:
        return gt
    if le is not None:
        return le + 1
    if lt is not None:
        return lt
    return 1.5 if whole else "many"


def Number(what: str, example: float, *, ge: float | None = None, gt: float | None = None,
           le: float | None = None, lt: float | None = None, note: str = "", optional: bool = False) -> Any:
    """A real number in a range: ``what`` names it ("a number of hours", "a multiplier"), ``note`` says its
    unit or how to read it ("0.15 = 15%", "company currency")."""
    words = f"{what} {_bounds_text(ge, gt, le, lt)}".rstrip() + (f" ({note})" if note else "")
    rule = Rule(words, example, _bad_value(ge, gt, le, lt, False),
                lambda v: is_number(v) and _within(v, ge, gt, le, lt), float, optional)
    return _typed(float, rule)


def Whole(unit: str, lo: int | None = 0, hi: int | None = None, *, example: int | None = None,
          optional: bool = False, words: str | None = None) -> Any:
    """A whole number of ``unit`` (months, days, leads...) from ``lo`` to ``hi`` (None: no bound); ``words``
    replaces "a whole number of <unit>" where that reads badly."""
    if lo is not None and hi is not None:
        bounds = f"from {lo:,} to {hi:,}"
    elif lo is not None:
        bounds = f"of {lo:,} or more"
    else:
        bounds = f"of at most {hi:,}"
    if example is None:
        example = max(lo or 1, 1) if hi is None else min(max(lo or 1, 1), hi)
    rule = Rule(f"{words or 'a whole number of ' + unit} {bounds}", example, _bad_value(lo, None, hi, None, True) if
                lo is not None or hi is not None else 1.5,
                lambda v: is_whole(v) and _within(v, lo, None, hi, None), int, optional)
    return _typed(int, rule)


def Months(lo: int, hi: int | None, *, example: int | None = None, optional: bool = False) -> Any:
    """A whole number of calendar months from ``lo`` to ``hi`` (12.0 counts as 12)."""
    if example is None:
        example = 12 if lo <= 12 and (hi is None or hi >= 12) else lo
    return Whole("months", lo, hi, example=example, optional=optional)


def Days(lo: int, hi: int | None = None, *, example: int | None = None, optional: bool = False) -> Any:
    """A whole number of days from ``lo`` to ``hi`` (None: no upper bound)."""
    return Whole("days", lo, hi, example=example, optional=optional)


def Count(what: str, lo: int = 0, hi: int | None = None, *, example: int | None = None,
          optional: bool = False) -> Any:
    """A whole number of things (``what``: "leads", "reps", "actions") from ``lo`` to ``hi``."""
    return Whole(what, lo, hi, example=example, optional=optional)


#: A random seed: a whole number from 0 to 2**32 - 1; the same seed gives the same figures.
Seed = Whole("a random seed", 0, 2**32 - 1, example=42)

#: A share of a whole, a fraction from 0 to 1 (0.15 = 15%).
Share = Number("a share", 0.15, ge=0, le=1, note="0.15 = 15%")
#: A share below 1 (0.15 = 15%), e.g. a yearly attrition or a tolerance: 1 would mean everything.
ShareBelowOne = Number("a share", 0.15, ge=0, lt=1, note="0.15 = 15%")
#: A share above 0 (0.15 = 15%): 0 would mean nothing at all.
PositiveShare = Number("a share", 0.15, gt=0, le=1, note="0.15 = 15%")
#: A probability strictly between 0 and 1 (0.95 = 95%).
Probability = Number("a probability", 0.95, gt=0, lt=1, note="0.95 = 95%")

#: Points of a rule score: any real number, negative for what counts against (e.g. an industry not served).
Points = _typed(float, Rule("a number of points (below 0 counts against)", 15, "many", is_number, float))


def Money(*, positive: bool = False, example: float = 50_000, optional: bool = False) -> Any:
    """An amount in the company currency: 0 or more, or above 0 with ``positive``."""
    return Number("an amount", example, gt=0 if positive else None, ge=None if positive else 0,
                  note="company currency", optional=optional)


#: An amount in the company currency, 0 or more.
NonNegativeMoney = Money()
#: An amount in the company currency, above 0.
PositiveMoney = Money(positive=True)


def Multiplier(minimum: float = 1.0, example: float = 1.5) -> Any:
    """A multiplier of at least ``minimum`` (1.25 = +25%)."""
    return Number("a multiplier", example, ge=minimum, note="1.25 = +25%")


# -- text, names, lists and mappings ----------------------------------------------------------------


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def Text(example: str, *, optional: bool = False) -> Any:
    """Non-empty text (surrounding spaces removed)."""
    return _typed(str, Rule("non-empty text", repr(example), "  ", _is_text, str.strip, optional))


def OneOf(options: Sequence[str], *, example: str | None = None, meanings: Mapping[str, str] | None = None,
          ignore_case: bool = False) -> Any:
    """One of a few words, e.g. ``OneOf(("commit", "best_case"))``; ``meanings`` says what each means
    ("M (calendar months)"); with ``ignore_case`` ``"m"`` is stored as ``"M"``. A near miss is named
    (" (did you mean 'fast'?)")."""
    options = tuple(options)
    by_key = {option.lower() if ignore_case else option: option for option in options}

    def key(value: Any) -> Any:
        return value.lower() if ignore_case and isinstance(value, str) else value

    words = ", ".join(f"{option} ({meanings[option]})" if meanings and option in meanings else option
                      for option in options)
    rule = Rule(f"one of {words}", example or options[0], "unknown",
                lambda v: isinstance(v, str) and key(v) in by_key, lambda v: by_key[key(v)],
                hint=lambda v: did_you_mean(v, options))
    return _typed(str, rule)


def ListOf(item: Any, what: str, example: Sequence, *, min_items: int = 0, unique: bool = False,
           optional: bool = False, one_alone: bool = False) -> Any:
    """A list (stored as a tuple) of ``item`` values, each checked by the item's own type (so an error names
    the entry's position), with at least ``min_items`` entries and, with ``unique``, each listed once; with
    ``one_alone`` a single text value counts as a list of one (``dimensions: source``)."""
    def accepts(value: Any) -> bool:
        if one_alone and isinstance(value, str):
            return True
        if isinstance(value, (str, Mapping)) or not isinstance(value, Sequence) or len(value) < min_items:
            return False
        return not unique or len({str(v) for v in value}) == len(value)

    def convert(value: Any) -> Any:
        return [value] if one_alone and isinstance(value, str) else value

    words = f"a list of {what}" + (f" with at least {min_items} entr{'y' if min_items == 1 else 'ies'}"
                                   if min_items else "") + (", each once" if unique else "")
    return _typed(tuple[item, ...], Rule(words, list(example), 1, accepts, convert, optional))


def MappingOf(value: Any, what: str, example: Mapping, *, keys: Sequence[str] | None = None,
              optional: bool = False) -> Any:
    """A mapping of names (non-empty text; with ``keys``, only those) to ``value``s, each checked by the value's
    own type (so an error names the entry, e.g. ``supply.productivity.SMB``)."""
    def accepts(mapping: Any) -> bool:
        return isinstance(mapping, Mapping) and all(_is_text(key) and (keys is None or key in keys)
                                                    for key in mapping)

    words = f"a mapping of {what}" + (f" (names: {', '.join(keys)})" if keys is not None else "")
    return _typed(dict[str, value], Rule(words, dict(example), "x", accepts, optional=optional))


#: Per segment (or role, product...), an amount above 0 in the company currency, e.g. {SMB: 60000}.
MoneyByName = MappingOf(PositiveMoney, "name to an amount above 0 (company currency)", {"SMB": 60_000})
