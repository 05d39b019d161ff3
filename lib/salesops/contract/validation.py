"""Turn raw input frames into canonical, typed tables, enforcing the data contract of ``schema.py``.

Table-level problems (missing table or column, empty table) always stop with a DataError.
Row-level problems (unparseable date, negative amount, duplicate key, orphan key, close before
create, an unmapped stage ...) follow ``data.on_row_error``: ``error`` collects every problem and
stops with one message; ``quarantine`` moves the rows to a rejects table (nothing is dropped
silently) unless more than ``data.max_reject_share`` of a table would go.

Row numbers in messages are as a spreadsheet shows them: the header is row 1, the first data row
is row 2. A table read from several files (``data.files.<table>`` a list) is mapped file by file, then its
rows are stacked (``assembly.stack``); a row problem names the file the row comes from and its row there.
A table named in ``data.collapse`` is collapsed to one row per key after mapping (``collapse.py``).
"""

from __future__ import annotations

import difflib
import math
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesops.contract import assembly, collapse, line_items, quarantine, quota_history
from salesops.contract import currency, derive, export_ids, privacy, schema
from salesops.contract.assembly import RowLocator
from salesops.contract.presets import PRESETS, Preset
from salesops.errors import DataError
from salesops import formats

#: The rejects table: one row per rule a set-aside row breaks. ``file`` is the file the row comes from and ``row``
#: its spreadsheet row there (header = 1; ``quarantine.ROW_KEY`` names a row), ``value`` the offending value as text (a personal value masked: ``privacy.mask``). ``cause_table`` /
#: ``cause_file`` / ``cause_row`` name the row's root cause and ``cause`` says what is wrong with it: a row with a problem of
#: its own, or whose key names an id that never existed, is its own cause (``is_cause``); a row set aside only
#: because the row it points to was set aside has that row's cause. ``won_deal``: a won opportunity;
#: ``won_amount``: its amount (company currency; empty when not a won deal or the amount is itself a problem).
REJECT_COLUMNS = ["table", "file", "row", "column", "problem", "value", "message", "cause_table", "cause_file",
                  "cause_row", "cause", "is_cause", "won_deal", "won_amount"]
_REJECT_DTYPES = {"table": "string", "file": "string", "row": "int64", "column": "string", "problem": "string",
                  "value": "string", "message": "string", "cause_table": "string", "cause_file": "string",
                  "cause_row": "int64", "cause": "string", "is_cause": "bool", "won_deal": "bool",
                  "won_amount": "float64"}
_TRUE = {"true", "t", "yes", "y", "on", "1"}
_FALSE = {"false", "f", "no", "n", "off", "0"}
#: 1 and 0 as numbers may be written with decimals (1.0, 0,00): a spreadsheet's or a database's checkbox.
_ONE, _ZERO = r"\+?0*1(?:[.,]0*)?", r"[+-]?0+(?:[.,]0*)?"
_SHOW_ROWS = 5


@dataclass(frozen=True)
class Problem:
    """Rows of one table that break one rule (of one file, once ``per_file`` has split it)."""

    table: str
    source: str  # file name, for messages
    column: str
    code: str
    rows: pd.Index  # row labels of the raw frame (``assembly``: unique in the table)
    values: pd.Series  # offending values, aligned on rows
    expected: str
    fix: str
    locator: RowLocator | None = None  # turns labels into spreadsheet rows; None: label + 2

    def row_numbers(self) -> list[int]:
        """The spreadsheet rows of ``rows`` in their file (the header is row 1)."""
        if self.locator is None:
            return [int(i) + 2 for i in self.rows]
        return [self.locator.row(i) for i in self.rows]

    def per_file(self) -> list["Problem"]:
        """This problem as one problem per file its rows come from (in file order), each naming its file."""
        if self.locator is None or len(self.locator.files) == 1:
            return [self]
        parts = np.array([self.locator.part(label) for label in self.rows], dtype=int)
        return [replace(self, source=self.locator.files[part], rows=self.rows[parts == part],
                        values=self.values[parts == part]) for part in sorted(set(parts.tolist()))]

    def message(self) -> str:
        numbers = self.row_numbers()
        shown = ", ".join(str(n) for n in numbers[:_SHOW_ROWS])
        more = f" and {len(numbers) - _SHOW_ROWS:,} more" if len(numbers) > _SHOW_ROWS else ""
        values = ", ".join(repr(_plain(v)) for v in self.values.iloc[:_SHOW_ROWS])
        rows = "row" if len(numbers) == 1 else "rows"
        return (
            f"{self.source}, column '{self.column}': {len(numbers):,} {rows} {_CODE_TEXT[self.code]} "
            f"({rows} {shown}{more}; values {values}). Expected: {self.expected}. Fix: {self.fix}"
        )


_CODE_TEXT = {
    "missing_value": "are empty",
    "unparseable_date": "hold a date that cannot be read",
    "invalid_number": "hold something that is not a number",
    "invalid_value": "hold a value that is not allowed",
    "unmapped_value": "hold a value absent from the value mapping",
    "negative_value": "hold a negative number",
    "not_positive": "hold zero or a negative number",
    "unknown_currency": "hold a currency with no exchange rate",
    "duplicate_key": "repeat a key already used on an earlier row",
    "orphan_key": "point to an id that does not exist",
    "date_order": "have dates in the wrong order",
    "contradiction": "contradict the stage",
    "foreign_currency": "hold an amount in another currency",
    "ambiguous_number": "hold a number whose separators could be read two ways",
    "not_finite": "hold an infinite or not-a-number value",
    "outlier_value": "hold a value far outside the column's own range",
    "date_range": "have a date beyond the planning horizon",
}

QUARANTINE_HINT = "or set data.on_row_error: quarantine to set such rows aside and go on."


def _plain(value):
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, np.generic):
        return value.item()
    return None if pd.isna(value) else value


@dataclass
class ValidationResult:
    """Canonical tables, the rows set aside, the problems found (empty in error mode) and the documented
    rules applied (``derive.apply_rules``: derived reps/accounts and columns, unified product spellings)."""

    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    adjustments: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=derive.ADJUSTMENT_COLUMNS))


@dataclass(frozen=True)
class MappingRules:
    """How a CRM export maps onto the canonical tables: the ``data`` params over an optional preset."""

    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Per table, export columns left out before mapping (a column named like a canonical one that means
    #: something else: an invoice currency next to amounts already converted).
    ignored: dict[str, tuple[str, ...]] = field(default_factory=dict)
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    date_format: str | None = None
    true_values: tuple[str, ...] = ()
    false_values: tuple[str, ...] = ()
    preset: Preset | None = None
    #: ISO code of the company currency: the only currency code or sign an amount may carry.
    currency: str = "USD"
    #: IANA name of the company's time zone: timestamps with a zone or offset are converted to it.
    timezone: str = "UTC"
    decimal_separator: str = "."
    thousands_separator: str = ","
    #: The ``currency_rates`` table once typed (None: no rates): amounts of rows with a ``currency`` column
    #: are converted with it (``currency.py``).
    currency_rates: pd.DataFrame | None = None
    #: A money value more than this many times the median of its column's positive values breaks the
    #: ``outlier_value`` rule (None: no such rule).
    max_amount_ratio: float | None = None
    #: A closed opportunity whose close date is after this day breaks the ``date_range`` rule (None: no
    #: such rule); ``latest_close_reason`` says in words what the day is, for the message.
    latest_close: pd.Timestamp | None = None
    latest_close_reason: str = ""
    #: Tables read from a file whose key repeats, collapsed to one row per key (``collapse.py``).
    collapse: tuple[str, ...] = ()
    #: The planned quarter, the last day of known data and the fiscal year's first month: which quarter's quotas
    #: reps without a quota take (``quota_history.derive_rep_quotas``; no quarter: none is taken).
    quarter: str | None = None
    as_of: pd.Timestamp | None = None
    fiscal_year_start_month: int = 1

    @classmethod
    def from_params(cls, data_params, currency: str = "USD", timezone: str = "UTC",
                    latest_close: pd.Timestamp | None = None, latest_close_reason: str = "") -> "MappingRules":
        """The rules of the ``data`` params; ``currency`` and ``timezone`` are the top-level params, and
        ``latest_close`` the last day a deal may have closed (the end of the planning horizon)."""
        preset = PRESETS[data_params.preset] if data_params.preset else None
        values = data_params.values
        if preset is not None:  # the params' own value mappings win over the preset's
            values = {table: {column: {**preset.values.get(table, {}).get(column, {}),
                                       **data_params.values.get(table, {}).get(column, {})}
                              for column in {*preset.values.get(table, {}), *data_params.values.get(table, {})}}
                      for table in {*preset.values, *data_params.values}}
        for (table, column), (like_table, like_column) in schema.SHARED_VALUES.items():
            shared = {**values.get(like_table, {}).get(like_column, {}), **values.get(table, {}).get(column, {})}
            if shared:
                values = {**values, table: {**values.get(table, {}), column: shared}}
        return cls(
            columns=data_params.columns,
            ignored={table: tuple(names) for table, names in data_params.ignore_columns.items()},
            values=values,
            date_format=data_params.date_format or (preset.date_format if preset else None),
            true_values=tuple(data_params.true_values),
            false_values=tuple(data_params.false_values),
            preset=preset,
            collapse=tuple(data_params.collapse),
            **cls.reading(data_params, currency, timezone, latest_close, latest_close_reason),
        )

    @staticmethod
    def reading(data_params, currency: str = "USD", timezone: str = "UTC", latest_close: pd.Timestamp | None = None,
                latest_close_reason: str = "") -> dict:
        """The fields that say how values are read and bounded (not how names map): for ``from_params`` and
        for the canonical sample company alike."""
        return dict(currency=currency.upper(), timezone=timezone, decimal_separator=data_params.decimal_separator,
                    thousands_separator=data_params.thousands_separator,
                    max_amount_ratio=data_params.max_amount_ratio, latest_close=latest_close,
                    latest_close_reason=latest_close_reason)

    def feeds(self, table: str, present: list[str]) -> dict[str, tuple[str, ...]]:
        """Export column → the canonical column(s) it feeds for ``table``: the params' own mapping (one export
        column may feed several canonical ones, ``{Owner: [rep_id, name]}``), then, for canonical columns still
        missing, the first of the preset's names that is present (an export column the params do not map may
        feed several of them: a Zoho account name is the account's id and its name)."""
        feeds = {source: (target,) if isinstance(target, str) else tuple(target)
                 for source, target in self.columns.get(table, {}).items()}
        # only mappings of columns this file has: a table read from several files maps each on its own
        fed = {canonical for source, targets in feeds.items() if source in present for canonical in targets}
        if self.preset is not None:
            mapped_by_params = set(feeds)
            for canonical, names in self.preset.columns.get(table, {}).items():
                if canonical in present or canonical in fed:
                    continue
                found = next((name for name in names if name in present), None)
                if found is not None and found not in mapped_by_params:
                    feeds[found] = feeds.get(found, ()) + (canonical,)
                    fed.add(canonical)
        return feeds

    def id_prefixes(self, table: str) -> dict[str, str]:
        """The preset's key prefix per id column of ``table`` (``export_ids.empty_ids``); none without a preset."""
        return self.preset.id_prefixes.get(table, {}) if self.preset is not None else {}

    def renames(self, table: str, present: list[str]) -> dict[str, str]:
        """Export column → the canonical column it is renamed to (the first it feeds; ``feeds`` gives all)."""
        return {source: targets[0] for source, targets in self.feeds(table, present).items()}


# -- table level --------------------------------------------------------------------------------


def map_columns(raw: pd.DataFrame, spec: schema.TableSpec, source: str, rules: MappingRules) -> pd.DataFrame:
    """Rename export columns to canonical ones (an export column that feeds several canonical columns is
    renamed to the first and copied to the others) and check the required columns and rows are there. Export
    columns listed in ``data.ignore_columns`` are left out first."""
    raw = raw.drop(columns=[c for c in rules.ignored.get(spec.name, ()) if c in raw.columns])
    feeds = {source: targets for source, targets in rules.feeds(spec.name, [str(c) for c in raw.columns]).items()
             if source in raw.columns}
    fed_by: dict[str, list[str]] = {}
    for src, targets in feeds.items():
        for dst in targets:
            fed_by.setdefault(dst, []).append(src)
    twice = {dst: srcs for dst, srcs in fed_by.items() if len(srcs) > 1}
    if twice:
        dst, srcs = next(iter(twice.items()))
        raise DataError(
            f"{source}: data.columns.{spec.name} maps {' and '.join(map(repr, srcs))} onto {dst!r}, and this file has "
            f"both. Expected: one export column per contract column in each file (two names are for two files of "
            f"the table). Fix: remove one of the two mappings, or the column from the file."
        )
    clashes = [f"{src!r} → {dst!r}" for src, targets in feeds.items() for dst in targets
               if dst in raw.columns and src != dst]
    if clashes:
        raise DataError(
            f"{source}: the mapping {', '.join(clashes)} renames a column onto one that already exists. "
            f"Fix: drop one of the two columns, or remove the mapping in data.columns.{spec.name}."
        )
    frame = raw.rename(columns={source: targets[0] for source, targets in feeds.items()})
    copies = {target: raw[source] for source, targets in feeds.items() for target in targets[1:]}
    if copies:
        frame = frame.assign(**copies)
    if rules.preset is not None:
        frame = rules.preset.prepare_table(spec.name, frame)
    if frame.empty:
        raise DataError(
            f"{source} has no data rows (only a header or nothing at all). Expected at least one "
            f"{spec.name} row. Fix: export the table again with its rows, or remove the file if the table "
            "is optional."
        )
    missing = [name for name in spec.required_columns if name not in frame.columns]
    if missing:
        found = [str(c) for c in raw.columns]
        hints = []
        for name in missing:
            guess = _guess_column(name, found)
            hints.append(f"'{name}'" + (f" (is {guess!r} it? map it with data.columns.{spec.name}: "
                                        f"{{{guess}: {name}}})" if guess else ""))
        raise DataError(
            f"{source}: required column{'s' if len(missing) > 1 else ''} {', '.join(hints)} missing. "
            f"Found columns: {', '.join(found) or 'none'}. Fix: add the column to the export, or map the "
            f"export's own name onto it under data.columns.{spec.name} in the params."
        )
    return frame


def _normalise(name: str) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def _guess_column(name: str, found: list[str]) -> str | None:
    """The export column most likely meant for canonical ``name`` (e.g. 'Amount USD' for amount)."""
    key = _normalise(name)
    containing = [c for c in found if key and key in _normalise(c)]
    if containing:
        return min(containing, key=len)
    by_normalised = {_normalise(c): c for c in found}
    near = difflib.get_close_matches(key, list(by_normalised), n=1, cutoff=0.6)
    return by_normalised[near[0]] if near else None


# -- row level ----------------------------------------------------------------------------------


def coerce_table(frame: pd.DataFrame, spec: schema.TableSpec, source: str, rules: MappingRules,
                 locator: RowLocator | None = None, check_keys: bool = True) -> tuple[pd.DataFrame, list[Problem]]:
    """Map values, convert every canonical column to its type and check the row rules.

    Returns the typed frame (same index as the input, extra non-canonical columns kept as they
    were) and the problems found, one per rule and file (``locator``: where the rows of a table read from
    several files come from; None: one file, ``source``). Rows with problems are still in the frame.
    ``check_keys`` False leaves out the check of repeated keys (a slice of a table: the caller checks the whole).
    """
    problems: list[Problem] = []
    columns: dict[str, pd.Series] = {}
    for column in spec.columns:
        if column.name not in frame.columns:
            continue
        values = _map_values(frame[column.name], spec, column, source, rules, problems)
        typed = _convert(values, spec, column, source, rules, problems)
        _check_values(typed, spec, column, source, problems)
        columns[column.name] = typed
    typed_frame = frame.assign(**columns)
    if "currency" in typed_frame.columns and any(c.money for c in spec.columns):
        typed_frame = _convert_currencies(typed_frame, spec, source, rules, problems)
    for column in spec.columns:
        if (column.money and not column.wide_range and rules.max_amount_ratio is not None
                and column.name in typed_frame.columns):
            _check_outliers(typed_frame[column.name], spec, column, source, rules.max_amount_ratio, problems)
    if spec.name == "opportunities":
        typed_frame = _derive_closed_flags(typed_frame, source, problems)
        _check_closed_deals(typed_frame, source, problems)
        _check_close_dates(typed_frame, source, rules, problems)
    if check_keys:
        _check_keys_unique(typed_frame, spec, source, problems, locator)
    _check_date_orders(typed_frame, spec, source, problems)
    ordered = [c.name for c in spec.columns if c.name in typed_frame.columns]
    extras = [c for c in typed_frame.columns if c not in ordered]
    if locator is not None:
        problems = [part for problem in problems for part in replace(problem, locator=locator).per_file()]
    return typed_frame[ordered + extras], problems


def _convert_currencies(frame: pd.DataFrame, spec, source, rules, problems) -> pd.DataFrame:
    """Money columns of rows entered in another currency converted to the company currency with
    ``rules.currency_rates`` (:mod:`salesops.contract.currency`); the amounts as entered are kept as
    ``<column>_entered``. A row whose currency has no rate is an ``unknown_currency`` problem."""
    row_codes = currency.codes(frame["currency"])
    rates = currency.rates_per_row(row_codes, currency.conversion_dates(frame), rules.currency_rates, rules.currency)
    unknown = rates.isna().to_numpy(dtype=bool)
    if unknown.any():
        missing = sorted(row_codes[unknown].dropna().unique())
        problems.append(Problem(
            spec.name, source, "currency", "unknown_currency", frame.index[unknown], frame["currency"][unknown],
            f"{rules.currency} (the params' currency), or a currency listed in the currency_rates table",
            f"add a rate for {', '.join(missing[:5])} to the currency_rates table (data.files.currency_rates: "
            "Salesforce's CurrencyType or DatedConversionRate export), or correct the codes; " + QUARANTINE_HINT,
        ))
    money = [c.name for c in spec.columns if c.money and c.name in frame.columns]
    converted = {f"{name}_entered": frame[name] for name in money}
    # a row without rate keeps its amount as entered: it is reported once, as unknown_currency
    converted.update({name: currency.convert(frame[name], rates.fillna(1.0)) for name in money})
    return frame.assign(currency=row_codes, **converted)


def _map_values(values: pd.Series, spec, column: schema.ColumnSpec, source, rules, problems) -> pd.Series:
    mapping = dict(rules.values.get(spec.name, {}).get(column.name, {}))
    if not mapping:
        return values
    if column.allowed:
        mapping.update({name: name for name in column.allowed})
    text = values.astype("string").str.strip()
    mapped = text.map(mapping)
    unmapped = text.notna() & mapped.isna()
    if unmapped.any():
        known = ", ".join(sorted(mapping))
        problems.append(Problem(
            spec.name, source, column.name, "unmapped_value", values.index[unmapped], values[unmapped],
            f"one of the mapped values ({known})",
            f"add each new value to data.values.{spec.name}.{column.name} in the params "
            f"(e.g. {{{_plain(values[unmapped].iloc[0])}: {_catch_all(column)}}}), "
            + QUARANTINE_HINT,
        ))
        mapped = mapped.where(~unmapped, text)
    return mapped


def _catch_all(column: schema.ColumnSpec) -> str:
    """The value to suggest for an unmapped one: the column's catch-all (an activity type ``other``), else its
    first allowed value."""
    if not column.allowed:
        return "..."
    return schema.OTHER_ACTIVITY if schema.OTHER_ACTIVITY in column.allowed else column.allowed[0]


def _convert(values: pd.Series, spec, column: schema.ColumnSpec, source, rules, problems) -> pd.Series:
    kind = column.kind
    if kind == "string":
        text = values.astype(schema.TEXT_DTYPE).str.strip()
        return text.mask(text == "", pd.NA)
    if kind in ("date", "datetime"):
        return _convert_dates(values, spec, column, source, rules, problems)
    if kind in ("int", "float"):
        return _convert_numbers(values, spec, column, source, rules, problems)
    if kind == "bool":
        return _convert_bools(values, spec, column, source, rules, problems)
    raise ValueError(f"unknown column kind {kind!r}")


#: A time of day followed by a zone: ``Z`` or an offset (``+02:00``, ``-0500``, ``+02``).
_ZONED = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"
#: The range of ``datetime64[ns]``, in which every date of the workbook lives.
_EARLIEST, _LATEST = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")


def _convert_dates(values, spec, column, source, rules, problems) -> pd.Series:
    """Text or datetime values as naive company-local datetimes (``rules.timezone``): a value with a zone
    or offset is converted to the company's zone, one without is taken as local already; a ``date``
    column keeps the local calendar date (midnight)."""
    present = values.notna()
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = values
        if getattr(values.dt, "tz", None) is not None:
            parsed = values.dt.tz_convert(rules.timezone).dt.tz_localize(None)
        outside = present & ((parsed < _EARLIEST) | (parsed > _LATEST))
        parsed = parsed.mask(outside)
        bad = outside
    else:
        text = values.astype("string").str.strip().mask(lambda s: s == "", pd.NA)
        present = text.notna()
        zoned = text.str.contains(_ZONED, regex=True).fillna(False).astype(bool)
        parsed = _parse_dates(text, zoned, "ISO8601", rules.timezone)
        if rules.date_format:  # the export's own format first; ISO dates are read either way
            own = _parse_dates(text, zoned, rules.date_format, rules.timezone)
            parsed = own.where(own.notna(), parsed)
            for timed in _with_time(rules.date_format):  # date-times among the dates: the format plus a time
                unread = present & parsed.isna()
                if not unread.any():
                    break
                parsed[unread] = _parse_dates(text[unread], zoned[unread], timed, rules.timezone)
        bad = present & parsed.isna()
    if bad.any():
        expected = f"a date written as {rules.date_format}" if rules.date_format else "an ISO date, YYYY-MM-DD"
        problems.append(Problem(
            spec.name, source, column.name, "unparseable_date", values.index[bad], values[bad],
            f"{expected}, between {_EARLIEST:%Y} and {_LATEST:%Y} (a time may follow, with Z or an offset "
            "such as +02:00 when it is not in company time)",
            "correct the dates in the export, or set data.date_format to the format the file uses "
            "(e.g. '%d.%m.%Y' for 31.03.2026); " + QUARANTINE_HINT,
        ))
    parsed = parsed.astype("datetime64[ns]")
    return parsed.dt.normalize() if column.kind == "date" else parsed


def _with_time(date_format: str) -> tuple[str, ...]:
    """``date_format`` followed by a time of day (after a space or a 'T'; minutes, seconds or fractions; an
    optional zone), for exports that mix dates and date-times in one column; none when it has a time already."""
    if any(code in date_format for code in ("%H", "%I", "%M", "%S", "%X", "%c")):
        return ()
    return tuple(f"{date_format}{sep}{time}{zone}" for zone in ("", "%z", " %z") for sep in (" ", "T")
                 for time in ("%H:%M", "%H:%M:%S", "%H:%M:%S.%f"))


def _parse_dates(text: pd.Series, zoned: pd.Series, date_format: str, timezone: str) -> pd.Series:
    """Parse ``text`` with ``date_format`` (unreadable → NaT): rows flagged ``zoned`` as instants converted
    to ``timezone`` and made naive, the others as they are."""
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if (~zoned).any():
        with warnings.catch_warnings():  # a zone the pattern missed: read below as an instant
            warnings.simplefilter("ignore", FutureWarning)
            try:
                local = pd.to_datetime(text[~zoned].astype(object), format=date_format, errors="coerce")
            except (ValueError, TypeError):
                local = None
        if local is not None and pd.api.types.is_datetime64_dtype(local.dtype):
            parsed[~zoned] = local.astype("datetime64[ns]")
        else:
            zoned = pd.Series(True, index=text.index)
    if zoned.any():
        instants = pd.to_datetime(text[zoned].astype(object), format=date_format, errors="coerce", utc=True)
        parsed[zoned] = instants.dt.tz_convert(timezone).dt.tz_localize(None).astype("datetime64[ns]")
    return parsed


_NON_FINITE_WORDS = {"inf", "infinity", "nan", "inf.0", "1.#inf", "1.#ind", "-1.#inf", "#num!"}
_MARK = r"[A-Z]{1,3}\$|[A-Z]{3}|[$€£¥₹]"
_NUMBER_TEXT = re.compile(
    rf"(?P<sign>[-+]?)\s*(?P<pre>{_MARK})?\s*(?P<sign2>[-+]?)\s*"
    r"(?P<body>[.,]?\d(?:[\d.,' ]*\d)?(?:[eE][-+]?\d+)?)"
    rf"\s*(?P<post>{_MARK})?"
)


@dataclass(frozen=True)
class _NumberReading:
    """How text numbers are written: the params' separators and the company currency's marks."""

    decimal: str
    thousands: str
    marks: frozenset[str]
    money: bool

    @classmethod
    def of(cls, rules: "MappingRules", column: schema.ColumnSpec) -> "_NumberReading":
        return cls(rules.decimal_separator, rules.thousands_separator, formats.currency_marks(rules.currency),
                   column.money)

    @property
    def plain(self) -> str:
        """Numbers that need no more than pandas: digits with an optional decimal point."""
        if self.decimal == ".":
            return r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
        return r"[-+]?\d+"


def _read_number(text: str, how: _NumberReading) -> tuple[float | None, str | None, str]:
    """One text number → (value, problem code or None, the foreign currency mark found or "")."""
    cleaned = text.replace("\u00a0", " ").replace("\u202f", " ").strip()
    word = cleaned.lower().lstrip("+-").replace(" ", "")
    if word in _NON_FINITE_WORDS:
        return None, "not_finite", ""
    match = _NUMBER_TEXT.fullmatch(cleaned)
    if match is None or (match["sign"] and match["sign2"]):
        return None, "invalid_number", ""
    foreign = [mark for mark in (match["pre"], match["post"]) if mark and mark not in how.marks]
    if foreign:
        return None, "foreign_currency", foreign[0]
    if match["pre"] and match["post"]:
        return None, "invalid_number", ""
    body, exponent = re.fullmatch(r"(.*?)((?:[eE][-+]?\d+)?)", match["body"]).groups()
    dec, thou = re.escape(how.decimal), re.escape(how.thousands)
    dot_grouped = re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", body)
    if how.money and how.decimal == "." and how.thousands == "," and dot_grouped:
        return None, "ambiguous_number", ""
    for group in {" ", how.thousands} - {""}:  # spaces always group thousands, in threes
        if group in body:
            if exponent or not re.fullmatch(rf"\d{{1,3}}(?:{re.escape(group)}\d{{3}})+(?:{dec}\d+)?", body):
                return None, "invalid_number", ""
            body = body.replace(group, "")
    if not re.fullmatch(rf"\d+(?:{dec}\d*)?|{dec}\d+", body):
        return None, "invalid_number", ""
    value = float(match["sign"] + match["sign2"] + body.replace(how.decimal, ".") + exponent)
    if not math.isfinite(value):
        return None, "not_finite", ""
    return value, None, ""


def _is_number(value) -> bool:
    """A number stored as one (an Excel cell), not as text; True/False are not numbers."""
    return isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))


def _convert_numbers(values, spec, column, source, rules, problems) -> pd.Series:
    """Numbers as float64 (``int`` columns: ``Int64``). Text is read with the params' separators
    (``data.decimal_separator``, ``data.thousands_separator``; spaces grouping thousands in threes are
    read too) and may carry the company currency's code or sign (``$1,234.50``, ``USD 1,234.50``).
    Problems: anything else that is not a number (``invalid_number``: ``+1 555 0123`` too), another
    currency's code or sign (``foreign_currency``), a money value with dot-grouped thousands under the
    default separators (``ambiguous_number``: ``48.800``), and infinities or not-a-number (``not_finite``)."""
    codes = pd.Series(None, index=values.index, dtype=object)
    found: list[str] = []
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        numbers = values.astype("float64")
        stored = values.notna().to_numpy(dtype=bool)  # a float NaN counts as missing, as pandas stores it
        codes[stored & ~np.isfinite(numbers.fillna(0.0).to_numpy())] = "not_finite"
    else:
        how = _NumberReading.of(rules, column)
        is_number = (values.map(_is_number).astype(bool) if values.dtype == object
                     else pd.Series(False, index=values.index))
        text = values.astype("string").str.strip().mask(lambda s: s == "", pd.NA)
        present = text.notna().to_numpy(dtype=bool)
        plain = text.str.fullmatch(how.plain).fillna(False).astype(bool) & ~is_number
        if how.money and how.decimal == "." and how.thousands == ",":
            plain &= ~text.str.fullmatch(r"\d{1,3}(?:\.\d{3})+").fillna(False).astype(bool)
        numbers = pd.Series(np.nan, index=values.index, dtype="float64")
        numbers[plain] = pd.to_numeric(text[plain].astype(object), errors="coerce")
        numbers[is_number] = values[is_number].astype("float64")
        read = (plain | is_number).to_numpy(dtype=bool)
        codes[read & present & ~np.isfinite(numbers.fillna(np.nan).to_numpy())] = "not_finite"
        rest = present & ~read
        if rest.any():
            readings = {item: _read_number(item, how) for item in text[rest].unique()}
            numbers[rest] = text[rest].map(lambda item: readings[item][0]).astype("float64")
            codes[rest] = text[rest].map(lambda item: readings[item][1]).astype(object)
            found = sorted({reading[2] for reading in readings.values() if reading[2]})
    if column.kind == "int":
        whole = np.isfinite(numbers.to_numpy()) & (numbers.to_numpy() != np.round(numbers.to_numpy()))
        codes[codes.isna().to_numpy() & whole] = "invalid_number"
    company_currency = rules.currency
    details = {
        "invalid_number": (
            "a whole number" if column.kind == "int" else f"a number written like {_number_example(rules)}"
            + (f", optionally with the {company_currency} code or sign" if column.money else ""),
            f"correct the cells (the decimal and thousands separators are data.decimal_separator "
            f"{rules.decimal_separator!r} and data.thousands_separator {rules.thousands_separator!r}; spaces may "
            f"only group thousands in threes), " + QUARANTINE_HINT),
        "foreign_currency": (
            f"amounts in {company_currency}, the params' currency, with no other currency's code or sign",
            "export deal amounts without currency marks and map the export's currency column onto "
            f"opportunities.currency, with a currency_rates table; or convert the amounts to {company_currency} in "
            "the export, or set currency in the params if every amount of the export is in that currency; "
            + QUARANTINE_HINT),
        "ambiguous_number": (
            "a number whose separators the params define: with the default separators ('.' decimal, ',' "
            "thousands) a dot followed by groups of three digits could be a decimal point or group thousands",
            "set data.decimal_separator: ',' and data.thousands_separator: '.' if the export writes 1.234,50; "
            "if the dot is a decimal point, set data.thousands_separator: '' (no grouping) or export the amounts "
            "without thousands separators; " + QUARANTINE_HINT),
        "not_finite": (
            "a finite number (not inf, infinity or nan)",
            "replace the cells by the real values, or leave them empty where the value is unknown; "
            + QUARANTINE_HINT),
    }
    for code, (expected, fix) in details.items():
        rows = codes.eq(code).fillna(False).to_numpy(dtype=bool)
        if rows.any():
            if code == "foreign_currency":
                expected += f" (found {', '.join(found)})"
            problems.append(Problem(spec.name, source, column.name, code, values.index[rows], values[rows],
                                    expected, fix))
            numbers[rows] = np.nan
    return numbers.round().astype("Int64") if column.kind == "int" else numbers


def _number_example(rules: "MappingRules") -> str:
    """How a number is written under the params' separators, e.g. ``1234.5 or 1,234.50``."""
    grouped = (f"1{rules.thousands_separator}234{rules.decimal_separator}50" if rules.thousands_separator
               else f"1234{rules.decimal_separator}50")
    return f"1234{rules.decimal_separator}5 or {grouped}"


def _convert_bools(values, spec, column, source, rules, problems) -> pd.Series:
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("boolean")
    true_set = _TRUE | {v.lower() for v in rules.true_values}
    false_set = _FALSE | {v.lower() for v in rules.false_values}
    text = values.astype("string").str.strip().str.lower()
    result = pd.Series(pd.NA, index=values.index, dtype="boolean")
    result[(text.isin(true_set) | text.str.fullmatch(_ONE)).fillna(False).astype(bool)] = True
    result[(text.isin(false_set) | text.str.fullmatch(_ZERO)).fillna(False).astype(bool)] = False
    bad = text.notna() & (text != "") & result.isna()
    if bad.any():
        problems.append(Problem(
            spec.name, source, column.name, "invalid_value", values.index[bad], values[bad],
            "true or false (also yes/no, y/n, on/off, 1/0, 1.0/0.0)",
            "correct the cells, or list the export's spellings in data.true_values / data.false_values; "
            + QUARANTINE_HINT,
        ))
    return result


def _check_values(typed: pd.Series, spec, column: schema.ColumnSpec, source, problems) -> None:
    # a cell that failed mapping or conversion is reported once, not again as empty or not allowed
    already = typed.index.isin([row for p in problems if p.table == spec.name and p.column == column.name
                                for row in p.rows])
    if not column.nullable:
        empty = typed.isna() & ~already
        if empty.any():
            problems.append(Problem(
                spec.name, source, column.name, "missing_value", typed.index[empty], typed[empty],
                f"a value in every row ({column.description})", "fill the cells in the CRM and export again, "
                + QUARANTINE_HINT,
            ))
    if column.allowed:
        bad = typed.notna() & ~typed.isin(column.allowed) & ~already
        if bad.any():
            problems.append(Problem(
                spec.name, source, column.name, "invalid_value", typed.index[bad], typed[bad],
                f"one of {', '.join(column.allowed)}",
                f"correct the cells or map the export's values with data.values.{spec.name}.{column.name}; "
                + QUARANTINE_HINT,
            ))
    if column.positive:
        not_positive = typed.notna() & (typed <= 0)
        if not_positive.any():
            problems.append(Problem(
                spec.name, source, column.name, "not_positive", typed.index[not_positive], typed[not_positive],
                "a number above zero", "correct the cells (a rate of zero converts nothing), " + QUARANTINE_HINT,
            ))
    elif column.non_negative:
        negative = typed.notna() & (typed < 0)
        if negative.any():
            problems.append(Problem(
                spec.name, source, column.name, "negative_value", typed.index[negative], typed[negative],
                "zero or more", "correct the amounts in the CRM (a refund or credit note is not a deal) "
                "and export again, " + QUARANTINE_HINT,
            ))


def _derive_closed_flags(frame: pd.DataFrame, source: str, problems: list[Problem]) -> pd.DataFrame:
    stage = frame["stage"]
    closed_by_stage = stage.isin(schema.CLOSED_STAGES).astype("boolean")
    won_by_stage = (stage == "closed_won").astype("boolean")
    derived = {}
    for name, by_stage in (("is_closed", closed_by_stage), ("is_won", won_by_stage)):
        if name in frame.columns:
            given = frame[name]
            clash = given.notna() & stage.notna() & (given != by_stage)
            if clash.any():
                problems.append(Problem(
                    "opportunities", source, name, "contradiction", frame.index[clash], given[clash],
                    f"{name} consistent with the stage (closed_won: closed and won; closed_lost: closed, not won; "
                    "other stages: open)", "correct the stage or the flag, " + QUARANTINE_HINT,
                ))
        derived[name] = by_stage
    return frame.assign(**derived)


def _check_closed_deals(frame: pd.DataFrame, source: str, problems: list[Problem]) -> None:
    """A closed deal needs its close date, a won deal its amount (open deals may lack either). A cell
    already reported (an amount that is not a number) is not reported again as empty."""
    for column, needs, what in (("close_date", frame["is_closed"], "closed"), ("amount", frame["is_won"], "won")):
        already = frame.index.isin([row for p in problems if p.table == "opportunities" and p.column == column
                                    for row in p.rows])
        missing = needs.fillna(False).to_numpy(dtype=bool) & frame[column].isna().to_numpy() & ~already
        if missing.any():
            problems.append(Problem(
                "opportunities", source, column, "missing_value", frame.index[missing], frame.loc[missing, "stage"],
                f"a {column.replace('_', ' ')} on every {what} deal (the values shown are the stages)",
                f"fill in the {column.replace('_', ' ')} of the {what} deals in the CRM and export again, "
                + QUARANTINE_HINT,
            ))


def _check_close_dates(frame: pd.DataFrame, source: str, rules: MappingRules, problems: list[Problem]) -> None:
    """A closed deal's close date is when it closed: one after ``rules.latest_close`` (the end of the planning
    horizon) is a typo or an expected date left on a closed deal."""
    if rules.latest_close is None:
        return
    late = (frame["is_closed"].fillna(False).to_numpy(dtype=bool)
            & (frame["close_date"] > rules.latest_close).fillna(False).to_numpy(dtype=bool))
    if late.any():
        problems.append(Problem(
            "opportunities", source, "close_date", "date_range", frame.index[late], frame.loc[late, "close_date"],
            f"the close date of a closed deal on or before {rules.latest_close:%Y-%m-%d}, "
            f"{rules.latest_close_reason or 'the end of the planning horizon'}",
            "correct the close dates (or the stage: a deal still open is not closed) in the CRM and export again, "
            + QUARANTINE_HINT,
        ))


def amount_outliers(values: pd.Series, ratio: float) -> pd.Series:
    """Whether each value is more than ``ratio`` times the median of the positive values of ``values``
    (money in the company currency; missing and non-positive values are never outliers). All False when
    the series holds no positive value. A pure function: ``values`` is not changed."""
    if ratio <= 0:
        raise ValueError(f"ratio must be greater than 0, got {ratio!r}")
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    positive = numbers[numbers > 0]
    if positive.empty:
        return pd.Series(False, index=values.index)
    return (numbers > ratio * float(positive.median())).fillna(False).astype(bool)


def amount_outlier_rows(tables: dict[str, pd.DataFrame], ratio: float) -> pd.DataFrame:
    """The rows of canonical tables holding a money value (``schema.ColumnSpec.money``, not ``wide_range``: an
    account's annual revenue spans orders of magnitude by nature) more than ``ratio`` times the median of that
    column's positive values: columns ``table``, ``row`` (index label of the
    row in its table), ``column``, ``value``, ``median`` and ``times`` (value / median), in schema order.
    The data-quality audit lists them; above ``data.max_amount_ratio`` loading stops (``outlier_value``)."""
    records = []
    for name, spec in schema.TABLES.items():
        frame = tables.get(name)
        if frame is None:
            continue
        for column in spec.columns:
            if not column.money or column.wide_range or column.name not in frame.columns:
                continue
            values = pd.to_numeric(frame[column.name], errors="coerce").astype("float64")
            flagged = amount_outliers(values, ratio)
            if flagged.any():
                median = float(values[values > 0].median())
                records += [(name, label, column.name, float(value), median, float(value) / median)
                            for label, value in values[flagged].items()]
    return pd.DataFrame.from_records(records, columns=["table", "row", "column", "value", "median", "times"])


def _check_outliers(typed: pd.Series, spec, column: schema.ColumnSpec, source, ratio: float, problems) -> None:
    far = amount_outliers(typed, ratio).to_numpy(dtype=bool)
    if far.any():
        median = float(typed[typed > 0].median())
        problems.append(Problem(
            spec.name, source, column.name, "outlier_value", typed.index[far], typed[far],
            f"values at most {ratio:,.0f} times the median of the column's positive values "
            f"({formats.number(median, 2 if median < 100 else 0)}; data.max_amount_ratio)",
            "correct the amounts (a value in cents, a missing decimal point or a test record is the usual "
            "cause), or raise data.max_amount_ratio if they are real; " + QUARANTINE_HINT,
        ))


def _check_keys_unique(frame, spec: schema.TableSpec, source, problems, locator: RowLocator | None = None) -> None:
    """Later rows repeating a key; in a table read from several files each value shown names where the key was
    first used (``'X1' (first in Task.csv row 2)``)."""
    key = [c for c in spec.primary_key if c in frame.columns]
    if not key or any(spec.column(c).required for c in spec.primary_key if c not in key):
        return
    # an empty or absent optional part of a compound key is one value (an undated exchange rate)
    present = frame[key].notna().any(axis=1)
    repeated = frame[key][present].duplicated(keep="first")
    rows = repeated[repeated].index
    if len(rows):
        shown = frame.loc[rows, key[0]] if len(key) == 1 else frame.loc[rows, key].astype(str).agg(" / ".join, axis=1)
        if locator is not None and len(locator.files) > 1:
            keys = frame[key][present].astype(str).agg(" / ".join, axis=1)
            first = pd.Series(keys.index, index=keys.to_numpy())
            first = first[~first.index.duplicated()]
            shown = pd.Series([f"{value} (first in {' row '.join(map(str, locator.locate(first[k])))})"
                               for value, k in zip(shown.astype(str), keys[rows])], index=rows, dtype=object)
        problems.append(Problem(
            spec.name, source, "/".join(key), "duplicate_key", rows, shown,
            f"each {'/'.join(key)} once (the first row with a key is kept; later rows are the duplicates)",
            "remove the duplicate rows or give them their own ids in the CRM, " + QUARANTINE_HINT,
        ))


def _check_date_orders(frame, spec: schema.TableSpec, source, problems) -> None:
    for order in spec.date_orders:
        if order.earlier not in frame.columns or order.later not in frame.columns:
            continue
        wrong = frame[order.later].notna() & frame[order.earlier].notna() & (frame[order.later] < frame[order.earlier])
        if wrong.any():
            shown = (frame.loc[wrong, order.later].dt.strftime("%Y-%m-%d") + " < "
                     + frame.loc[wrong, order.earlier].dt.strftime("%Y-%m-%d") + f" ({order.earlier})")
            problems.append(Problem(
                spec.name, source, order.later, "date_order", frame.index[wrong], shown,
                f"{order.later} on or after {order.earlier}",
                f"correct {order.later} or {order.earlier} in the CRM and export again, " + QUARANTINE_HINT,
            ))


def check_linked_dates(tables: dict[str, pd.DataFrame], sources: dict[str, str],
                       locators: dict[str, RowLocator] | None = None) -> list[Problem]:
    """Rows dated before the row their key names (``schema.TableSpec.linked_date_orders``: a change of a deal
    dated before the deal's creation day), where both dates are known; the first row holding a key counts. One
    problem per table and file (``locators``, as ``check_foreign_keys``)."""
    locators = locators or {}
    problems = []
    for name, frame in tables.items():
        for key, ref_date, date in schema.TABLES[name].linked_date_orders:
            fk = next(f for f in schema.TABLES[name].foreign_keys if f.column == key)
            ref = tables.get(fk.ref_table)
            if ref is None or key not in frame.columns or date not in frame.columns or ref_date not in ref.columns:
                continue
            dates = ref.drop_duplicates(fk.ref_column).set_index(fk.ref_column)[ref_date]
            earlier = frame[key].map(dates).astype("datetime64[ns]")
            wrong = (frame[date] < earlier).fillna(False).to_numpy(dtype=bool)
            if wrong.any():
                shown = (frame.loc[wrong, date].dt.strftime("%Y-%m-%d") + " < " + earlier[wrong].dt.strftime("%Y-%m-%d")
                         + f" ({ref_date} of {fk.ref_table} " + frame.loc[wrong, key].astype(str) + ")")
                problems += Problem(
                    name, sources[name], date, "date_order", frame.index[wrong], shown,
                    f"{date} on or after the {ref_date} of its {fk.ref_table} row ({sources.get(fk.ref_table)})",
                    f"correct {date} in the export or {ref_date} in {sources.get(fk.ref_table)}, "
                    + QUARANTINE_HINT, locators.get(name),
                ).per_file()
    return problems


def _arrow_text(series: pd.Series) -> pa.Array:
    return pa.array(series.astype(schema.TEXT_DTYPE))


def _isin(values: pd.Series, known: pd.Series) -> np.ndarray:
    """``values.isin(known)`` for text keys, in Arrow (pandas' own isin loops in Python over
    Arrow-backed strings: seconds on millions of rows)."""
    found = pc.is_in(_arrow_text(values), value_set=pc.unique(_arrow_text(known.dropna())))
    return found.to_numpy(zero_copy_only=False).astype(bool)


def check_foreign_keys(tables: dict[str, pd.DataFrame], sources: dict[str, str],
                       locators: dict[str, RowLocator] | None = None) -> list[Problem]:
    """Rows whose foreign key names an id absent from the referenced table (when that table is present), one
    problem per table, column and file (``locators``: where the rows of tables read from several files come from)."""
    locators = locators or {}
    problems = []
    for name in schema.LOAD_ORDER:
        if name not in tables:
            continue
        frame, spec = tables[name], schema.TABLES[name]
        for fk in spec.foreign_keys:
            if fk.column not in frame.columns or fk.ref_table not in tables:
                continue
            values = frame[fk.column]
            orphan = values.notna() & ~_isin(values, tables[fk.ref_table][fk.ref_column])
            if orphan.any():
                problems += Problem(
                    name, sources[name], fk.column, "orphan_key", frame.index[orphan], values[orphan],
                    f"an id present in {fk.ref_table}.{fk.ref_column} ({sources.get(fk.ref_table, fk.ref_table)})",
                    f"add the missing {fk.ref_table} rows to the export, correct the ids, or leave the cell empty "
                    "if the link is unknown; " + QUARANTINE_HINT, locators.get(name),
                ).per_file()
    return problems


# -- the whole folder ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Chunks:
    """A table of one file read a slice at a time (``data.files.read_table_chunks``): ``slices()`` gives the raw
    frames in file order, their row labels continuing from one slice to the next. Such a table is mapped and
    typed slice by slice, so that the raw table and the copies typing makes never exist whole: for the activities
    at scale 10 they were four times the typed table (0.9 GB for 0.24 GB), nine GB at scale 100."""

    slices: Callable[[], Iterator[pd.DataFrame]]


#: A table's raw rows: one frame (of the file its source names), the parts read from several files, each
#: ``(file name, frame)`` (``data.files.<table>`` a list; joins already applied), or one large file in slices.
RawTable = pd.DataFrame | list[tuple[str, pd.DataFrame]] | Chunks


def _merged_problems(problems: list[Problem]) -> list[Problem]:
    """The problems of the slices of one table as those of the whole table: one per rule (same column, code,
    expected and fix), rows and values in file order, rules in the order first found."""
    merged: dict[tuple, list[Problem]] = {}
    for problem in problems:
        merged.setdefault((problem.column, problem.code, problem.expected, problem.fix), []).append(problem)
    return [parts[0] if len(parts) == 1 else replace(parts[0], rows=parts[0].rows.append([p.rows for p in parts[1:]]),
                                                     values=pd.concat([p.values for p in parts]))
            for parts in merged.values()]


def _merged_adjustments(adjustments: list[tuple]) -> list[tuple]:
    """Adjustment rows ``(table, column, rule, rows, detail)`` of the slices of one table as one per rule, rows
    added up, the first slice's detail kept."""
    merged: dict[tuple, tuple] = {}
    for table, column, rule, rows, detail in adjustments:
        key = (table, column, rule)
        merged[key] = (table, column, rule, merged[key][3] + rows, merged[key][4]) if key in merged else (
            table, column, rule, rows, detail)
    return list(merged.values())


@dataclass
class _Mapped:
    """The tables mapped and typed so far, where their rows come from, their row problems and the collapses."""

    typed: dict[str, pd.DataFrame] = field(default_factory=dict)
    locators: dict[str, RowLocator] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    adjustments: list[tuple] = field(default_factory=list)

    def add(self, name: str, raw: RawTable, source: str, rules: MappingRules) -> list[Problem]:
        """Map ``raw`` file by file, stack the files, read placeholder ids as empty (``export_ids.empty_ids``),
        collapse it when ``rules.collapse`` names it, type it and keep its row problems, which it returns. Raises
        DataError for a table-level problem (nothing is kept then)."""
        spec = schema.TABLES[name]
        if isinstance(raw, Chunks):
            return self._add_slices(name, raw, source, rules)
        parts = [(source, raw)] if isinstance(raw, pd.DataFrame) else raw
        frame, locator = assembly.stack([(file, map_columns(_row_labelled(part), spec, file, rules))
                                         for file, part in parts])
        frame, emptied = export_ids.empty_ids(frame, name, rules.id_prefixes(name))
        self.adjustments += emptied  # read before the tables were derived: these come first
        if name in rules.collapse:
            frame, collapsed = collapse.collapse_rows(frame, spec, locator.name)
            self.adjustments += collapsed
        self.typed[name], found = coerce_table(frame, spec, source, rules, locator)
        self.locators[name] = locator
        self.problems += found
        return found

    def _add_slices(self, name: str, raw: Chunks, source: str, rules: MappingRules) -> list[Problem]:
        """``add`` for a table read in slices: each slice mapped, its placeholder ids emptied and typed on its own
        (every rule but the keys' is row by row), then the typed slices put together and the keys checked once
        over the whole table. Not for a table ``rules.collapse`` names (collapsing needs every row at once)."""
        spec = schema.TABLES[name]
        if name in rules.collapse:
            return self.add(name, pd.concat(list(raw.slices())), source, rules)
        typed, found, emptied = [], [], []
        for part in raw.slices():
            frame, adjustments = export_ids.empty_ids(map_columns(_row_labelled(part), spec, source, rules), name,
                                                      rules.id_prefixes(name))
            del part
            emptied += adjustments
            frame, problems = coerce_table(frame, spec, source, rules, check_keys=False)
            typed.append(frame)
            found += problems
        whole = typed[0] if len(typed) == 1 else pd.concat(typed)
        del typed
        _check_keys_unique(whole, spec, source, found)
        found = _merged_problems(found)
        self.adjustments += _merged_adjustments(emptied)
        self.typed[name], self.locators[name] = whole, RowLocator.single(source)
        self.problems += found
        return found

    def derive(self, rules: MappingRules) -> pd.DataFrame:
        """Apply the documented rules to the tables (line items, then ``derive.apply_rules``, then quota history)
        and return every adjustment made, the collapses first."""
        typed, lines = line_items.apply_rules(self.typed)
        typed, derived = derive.apply_rules(typed)
        typed, quotas = quota_history.apply_rules(typed, rules.quarter, rules.as_of, rules.fiscal_year_start_month)
        self.typed = typed
        rows = self.adjustments + lines + list(derived.itertuples(index=False, name=None)) + quotas
        return pd.DataFrame(rows, columns=derive.ADJUSTMENT_COLUMNS).astype({"rows": "int64"})


def _with_derived(sources: dict[str, str], typed: dict[str, pd.DataFrame]) -> dict[str, str]:
    return {**{name: f"{name} (derived from opportunities)" for name in typed}, **sources}


def validate_tables(raw_tables: dict[str, RawTable], sources: dict[str, str], rules: MappingRules,
                    on_row_error: str = "error", max_reject_share: float = 1.0) -> ValidationResult:
    """Validate raw tables (keyed by canonical table name; ``RawTable``) into canonical tables.

    ``sources`` gives each table's file name (or names) for messages. Raises DataError for table-level
    problems, and for row-level ones when ``on_row_error`` is ``error``.
    """
    if "opportunities" not in raw_tables:
        raise DataError("the opportunities table is missing: it is the one table the workbook needs.")
    mapped = _Mapped()
    for name in schema.LOAD_ORDER:
        if name in raw_tables:
            rules = _with_rates(rules, mapped.typed, mapped.add(name, raw_tables[name], sources[name], rules))
    mapped.problems += check_linked_dates(mapped.typed, sources, mapped.locators)
    adjustments = mapped.derive(rules)
    typed, problems, locators = mapped.typed, mapped.problems, mapped.locators
    sources = _with_derived(sources, typed)
    if on_row_error == "error":
        problems += check_foreign_keys(typed, sources, locators)
        if problems:
            raise DataError(_summarise(problems))
        return ValidationResult({n: f.reset_index(drop=True) for n, f in typed.items()}, _empty_rejects(),
                                adjustments=_with_conversions(adjustments, typed, rules.currency))
    clean, rejects, problems = _quarantine(typed, problems, sources, max_reject_share, locators)
    return ValidationResult(clean, rejects, problems, _with_conversions(adjustments, clean, rules.currency))


@dataclass
class FolderProblems:
    """Every problem of a folder at once (``find_problems``): ``table_level`` maps a table to why it cannot be
    used at all (a clash in the mapping, a missing required column, no rows); ``result`` holds the tables that
    could be used, the rows set aside, the row problems and the rules applied. ``result.tables`` keep each row's
    label (``Problem.row_numbers`` turns labels into spreadsheet rows)."""

    table_level: dict[str, str]
    result: ValidationResult


def find_problems(raw_tables: dict[str, RawTable], sources: dict[str, str], rules: MappingRules
                  ) -> FolderProblems:
    """Every problem of every table in one pass, for ``salesops check``: the table-level problems of all tables
    (where ``validate_tables`` stops at the first), then the row problems of the tables that could be used, as
    quarantine finds them (so each set-aside row has its root cause: ``REJECT_COLUMNS``). Tables are derived
    (``derive.apply_rules`` and the other rules) only when opportunities could be used. Never raises for bad
    data."""
    table_level: dict[str, str] = {}
    mapped = _Mapped()
    for name in schema.LOAD_ORDER:
        if name not in raw_tables:
            continue
        try:
            found = mapped.add(name, raw_tables[name], sources[name], rules)
        except DataError as error:
            table_level[name] = str(error)
            continue
        rules = _with_rates(rules, mapped.typed, found)
    mapped.problems += check_linked_dates(mapped.typed, sources, mapped.locators)
    adjustments = pd.DataFrame(columns=derive.ADJUSTMENT_COLUMNS)
    if "opportunities" in mapped.typed:
        adjustments = mapped.derive(rules)
    typed = mapped.typed
    clean, rejects, problems = _set_aside(typed, mapped.problems, _with_derived(sources, typed), mapped.locators)
    return FolderProblems(table_level, ValidationResult(clean, rejects, problems,
                                                        _with_conversions(adjustments, clean, rules.currency)))


def _with_conversions(adjustments: pd.DataFrame, tables: dict[str, pd.DataFrame], company: str) -> pd.DataFrame:
    """The adjustments with one row per table whose amounts were converted from other currencies."""
    rows = []
    for name in schema.LOAD_ORDER:
        converted = currency.summary(tables[name], company) if name in tables else None
        if converted is not None:
            rows.append((name, "amount", "amounts_converted", *converted))
    if not rows:
        return adjustments
    extra = pd.DataFrame(rows, columns=derive.ADJUSTMENT_COLUMNS).astype({"rows": "int64"})
    return pd.concat([adjustments, extra], ignore_index=True) if len(adjustments) else extra


def _with_rates(rules: MappingRules, typed: dict[str, pd.DataFrame], problems: list[Problem]) -> MappingRules:
    """The rules with the ``currency_rates`` table once it is typed (its rows with problems left out), so that
    the tables loaded after it convert their amounts."""
    if "currency_rates" not in typed or rules.currency_rates is not None:
        return rules
    bad = [row for problem in problems if problem.table == "currency_rates" for row in problem.rows]
    rates = typed["currency_rates"]
    return replace(rules, currency_rates=rates[~rates.index.isin(bad)])


def _row_labelled(raw: pd.DataFrame) -> pd.DataFrame:
    """``raw`` as it is when its index already gives each row's place in the file (``files.read_table_file``:
    label + 2 is the spreadsheet row, blank lines counted), else with positional labels 0, 1, ..."""
    index = raw.index
    if (pd.api.types.is_integer_dtype(index.dtype) and index.is_unique and index.is_monotonic_increasing
            and (len(index) == 0 or index[0] >= 0)):
        return raw
    return raw.reset_index(drop=True)


def _quarantine(typed, problems, sources, max_reject_share, locators):
    """``_set_aside`` the rows with problems; stops with a DataError when more than ``max_reject_share`` of a
    table's rows, or of the won bookings, would be set aside. Returns the clean tables, the rejects and every
    problem found, foreign-key ones included."""
    clean, rejects, all_problems = _set_aside(typed, problems, sources, locators)
    limits = reject_share_problems(clean, rejects, sources, max_reject_share)
    if limits:
        raise DataError("\n".join(limits) + "\n" + _largest_causes(rejects) + "\nFirst problems: "
                        + _summarise(all_problems))
    if clean["opportunities"].empty:
        raise DataError(NOTHING_LEFT + _summarise(all_problems))
    return {n: f.reset_index(drop=True) for n, f in clean.items()}, rejects, all_problems


#: The start of the message when quarantine would set every opportunities row aside.
NOTHING_LEFT = "every opportunities row was rejected, nothing is left to plan with:\n"


def _set_aside(typed, problems, sources, locators):
    """Drop the rows with problems, then repeat the foreign-key check until nothing more goes
    (a rejected account makes its opportunities orphans), keeping each set-aside row's root cause
    (see ``REJECT_COLUMNS``). Returns the clean tables (rows keep their labels), the rejects and every
    problem found, foreign-key ones included, in the order found (each table's own problems, then the
    foreign-key ones round by round)."""
    all_problems = list(problems)
    rejected = {name: set() for name in typed}
    cause: dict[tuple[str, object], tuple[str, object]] = {}  # (table, row label) -> its root cause's
    for problem in problems:
        rejected[problem.table].update(problem.rows)
        cause.update({(problem.table, label): (problem.table, label) for label in problem.rows})
    while True:
        clean = {name: frame.drop(index=list(rejected[name])) for name, frame in typed.items()}
        new = check_foreign_keys(clean, sources, locators)
        if not new:
            break
        all_problems += new
        for problem in new:
            _inherit_causes(problem, typed, rejected, cause)
        for problem in new:
            rejected[problem.table].update(problem.rows)
    return clean, _rejects_table(typed, all_problems, cause, sources, locators), all_problems


def _inherit_causes(orphans: Problem, typed, rejected, cause) -> None:
    """Give each row of an orphan-key problem its root cause: that of the set-aside row holding the id it
    names (the first such row), or the row itself when no row of the referenced table ever held the id."""
    fk = next(f for f in schema.TABLES[orphans.table].foreign_keys if f.column == orphans.column)
    gone = typed[fk.ref_table].loc[sorted(rejected[fk.ref_table]), fk.ref_column].dropna()
    holder: dict[str, object] = {}
    for label, key in zip(gone.index, gone.astype(str)):
        holder.setdefault(key, label)
    for label, value in zip(orphans.rows, orphans.values.astype(str)):
        held_by = holder.get(value)
        cause.setdefault((orphans.table, label),
                         cause[(fk.ref_table, held_by)] if held_by is not None else (orphans.table, label))


_VERB_SINGULAR = {"are": "is", "hold": "holds", "repeat": "repeats", "point": "points", "have": "has",
                  "contradict": "contradicts"}


def _singular(code: str) -> str:
    """What one row with problem ``code`` does wrong, e.g. 'holds a negative number'."""
    verb, _, rest = _CODE_TEXT.get(code, f"break the rule {code}").partition(" ")
    return f"{_VERB_SINGULAR.get(verb, verb)} {rest}".strip()


def masked(problem: Problem) -> Problem:
    """``problem`` with the values of a personal column, and any value that is an e-mail address, masked."""
    personal = privacy.is_personal(problem.table, problem.column)
    hide = [personal or privacy.looks_like_email(_plain(v)) for v in problem.values]
    if not any(hide):
        return problem
    values = pd.Series([privacy.mask(_plain(v)) if h else v for v, h in zip(problem.values, hide)],
                       index=problem.values.index, dtype=object)
    return replace(problem, values=values)


def _rejects_table(typed, problems: list[Problem], cause, sources, locators) -> pd.DataFrame:
    """The rejects table (``REJECT_COLUMNS``), in table, file and row order."""
    problems = [masked(p) for p in problems]

    def locator(table) -> RowLocator:
        return locators.get(table) or RowLocator.single(sources[table])

    def where(table, label) -> tuple[str, int]:
        return locator(table).locate(label)

    own: dict[tuple[str, object], list[str]] = {}  # what is wrong with each root-cause row, in words
    for problem in problems:
        for label, value in zip(problem.rows, problem.values):
            if cause[(problem.table, label)] == (problem.table, label):
                shown = "" if _plain(value) is None else f" {_plain(value)!r}"
                own.setdefault((problem.table, label), []).append(
                    f"{problem.column}{shown} {_singular(problem.code)}")
    opportunities = typed.get("opportunities")
    # a won deal whose amount is itself the problem (negative, unreadable, far out of range) has no value to count
    bad_amount = {label for p in problems if p.table == "opportunities" and p.column == "amount" for label in p.rows}
    records = []
    for problem in problems:
        message = problem.message()
        for label, value in zip(problem.rows, problem.values):
            root_table, root_label = cause[(problem.table, label)]
            is_won = opportunities.at[label, "is_won"] if problem.table == "opportunities" else False
            won = bool(pd.notna(is_won) and is_won)
            amount = opportunities.at[label, "amount"] if won and label not in bad_amount else np.nan
            root_file, root_row = where(root_table, root_label)
            records.append((
                problem.table, *where(problem.table, label), problem.column, problem.code,
                "" if _plain(value) is None else str(_plain(value)), message,
                root_table, root_file, root_row,
                f"{root_file} row {root_row}: " + "; ".join(own[(root_table, root_label)]),
                (root_table, root_label) == (problem.table, label), won, float(amount) if pd.notna(amount) else np.nan,
            ))
    rejects = pd.DataFrame(records, columns=REJECT_COLUMNS).astype(_REJECT_DTYPES)
    rejects = rejects.assign(_part=[locator(t).files.index(f) for t, f in zip(rejects["table"], rejects["file"])])
    return (rejects.sort_values(["table", "_part", "row", "column", "problem"], kind="stable")
            .drop(columns="_part").reset_index(drop=True))


def reject_share_problems(tables: dict[str, pd.DataFrame], rejects: pd.DataFrame, sources: dict[str, str],
                          max_reject_share: float) -> list[str]:
    """Why quarantine may not go on, one sentence each: a table of which more than ``max_reject_share`` of
    the rows are set aside (rows kept in ``tables`` plus distinct rows in ``rejects``), and won bookings of
    which more than that share (by value, company currency) are set aside. Empty when within the limit."""
    out = []
    for name, frame in tables.items():
        gone = quarantine.rows_set_aside(rejects, name)
        total = len(frame) + gone
        share = gone / total if total else 0.0
        if share > max_reject_share:
            inherited = quarantine.rows_set_aside(rejects[~rejects["is_cause"].to_numpy(bool)], name)
            out.append(
                f"{sources.get(name, name)}: {gone:,} of {total:,} rows ({_share(share)}) break the data contract, "
                f"more than data.max_reject_share ({_share(max_reject_share)})"
                + (f"; {inherited:,} of them only because a row they point to was set aside (root causes below)"
                   if inherited else "")
                + ("." if 2 * inherited > gone else "; this usually means a column is mapped or formatted wrongly."))
    if "opportunities" in tables:
        won = quarantine.won_set_aside(rejects, tables["opportunities"])
        if won.share > max_reject_share:
            out.append(
                f"{won.deals:,} won deal{'s' if won.deals != 1 else ''} worth {won.value:,.0f} (company currency) "
                f"would be set aside: "
                f"{won.share:.1%} of all won bookings ({won.total:,.0f}), more than data.max_reject_share "
                f"({_share(max_reject_share)}); the plan would be built on bookings that much too low. Fix: correct "
                "the rows named below in the export (a won deal set aside because of another row comes back when "
                "that row is fixed), or set data.on_row_error: error to see every problem at once.")
    return out


def _share(share: float) -> str:
    """A share as a percentage, whole when it is one (40%), else with one decimal (3.3%)."""
    return f"{share:.0%}" if abs(share * 100 - round(share * 100)) < 1e-9 else f"{share:.1%}"


def _largest_causes(rejects: pd.DataFrame, show: int = _SHOW_ROWS) -> str:
    """The root causes that set most rows aside, one line each, most won bookings first."""
    causes = quarantine.rejects_by_cause(rejects)
    lines = [f"  - {row.cause}: {row.rows:,} row{'s' if row.rows != 1 else ''} set aside"
             + (f" (itself, then because of it: {row.because_of_it})" if row.because_of_it else "")
             + (f", {row.won_deals:,} won deal{'s' if row.won_deals != 1 else ''} worth {row.won_value:,.0f}"
                if row.won_deals else "")
             for row in causes.head(show).itertuples()]
    more = f"\n  ... and {len(causes) - show:,} more causes" if len(causes) > show else ""
    return "Root causes, largest first:\n" + "\n".join(lines) + more


def _summarise(problems: list[Problem]) -> str:
    total = sum(len(p.rows) for p in problems)
    lines = [f"the input data breaks {len(problems)} rule{'s' if len(problems) > 1 else ''} "
             f"({total:,} row{'s' if total > 1 else ''} in all):"]
    lines += [f"  - {masked(p).message()}" for p in problems]
    return "\n".join(lines)


def _empty_rejects() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=dtype) for c, dtype in _REJECT_DTYPES.items()})
