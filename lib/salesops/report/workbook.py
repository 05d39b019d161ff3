"""The quarter's shareable Excel workbook: one formatted sheet per part of the plan, ready to send.

:func:`write_workbook` is a generic writer: an "About" sheet (what the workbook is and where it comes
from), then one sheet per :class:`Sheet` — a bold title, note rows, a styled header of human labels and the
data with Excel number formats per column kind (money in the company currency, percentages, counts,
decimals, real dates), fitted column widths, frozen panes below the header and an autofilter over the table.
Values are written as values, never as formulas; missing values are empty cells and booleans ``Yes`` / ``No``.
The file is written to a temporary file in the same folder and moved over the target only when complete.

:func:`plan_sheets` picks and labels the columns of the step-4 frames (quotas, territories, hiring,
compensation, payouts, actions) for people; a missing or empty frame gives a sheet with a note saying so.

Inputs are never modified.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import numbers
import os
import re
import uuid
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from salesops.formats import currency_symbol, money, number, percent
from salesops.report import labels

#: Name of the first sheet, the one describing the workbook.
ABOUT_SHEET = "About"
#: Sheet names Excel refuses or this module uses itself (compared without regard to case).
RESERVED_SHEET_NAMES: tuple[str, ...] = (ABOUT_SHEET, "History")
#: Excel number formats per column kind (money's depends on the currency: :func:`money_format`).
NUMBER_FORMATS: dict[str, str] = {
    "percent": "0.0%", "number": "#,##0", "decimal": "#,##0.0", "date": "yyyy-mm-dd",
}
MAX_SHEET_NAME = 31
MAX_COLUMN_WIDTH = 60
MIN_COLUMN_WIDTH = 8
#: Headers wrap, so a long label widens its column only up to this many characters (or its longest word).
MAX_HEADER_WIDTH = 18
#: Excel holds at most this many characters in a cell.
MAX_CELL_TEXT = 32_767

_FORBIDDEN_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")
_HEADER_FILL = PatternFill(fill_type="solid", start_color="1F4E78", end_color="1F4E78")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center")
_TITLE_FONT = Font(bold=True, size=14)
_NOTE_FONT = Font(italic=True, color="595959")
_LABEL_FONT = Font(bold=True)


@dataclass(frozen=True)
class Sheet:
    """One table of the workbook.

    ``name``: the sheet's tab (made a valid, unique Excel name when written); ``frame``: the rows, written as
    they are (None or no rows: only the title and notes); ``title``: the bold first line. The ``*_columns``
    say how columns are formatted: money in the workbook's currency without decimals, percent (fractions:
    0.25 is 25.0%), number (whole, thousands separators), decimal (one decimal), date (``yyyy-mm-dd``); names
    not in the frame are ignored, and datetime columns are dates even when not listed. ``labels``: header text
    per column (default: the column name with spaces for underscores, capitalised). ``notes``: lines between
    the title and the table.
    """

    name: str
    frame: pd.DataFrame | None
    title: str
    money_columns: tuple[str, ...] = ()
    percent_columns: tuple[str, ...] = ()
    number_columns: tuple[str, ...] = ()
    decimal_columns: tuple[str, ...] = ()
    date_columns: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------------
# names, labels, formats


def column_label(column) -> str:
    """``"ramped_share"`` → ``"Ramped share"``, ``"ds"`` → ``"Month"``: a column name as a header people read, the
    same words as on the pages (``report.labels``)."""
    text = labels.column_label(column).strip()
    return text[:1].upper() + text[1:]


def money_format(currency: str) -> str:
    """Excel number format of whole amounts in ``currency``, with the symbol of :func:`formats.currency_symbol`
    in front as on the HTML pages: USD ``"$"#,##0``, CHF ``"CHF "#,##0``."""
    symbol = currency_symbol(currency).replace('"', "")
    return f'"{symbol}"#,##0'


def _clean_sheet_name(name) -> str:
    """``name`` without the characters Excel forbids, no leading or trailing apostrophe, at most 31 characters."""
    text = _FORBIDDEN_IN_SHEET_NAME.sub("-", str(name)).strip().strip("'").strip()
    return text[:MAX_SHEET_NAME].strip() or "Sheet"


def sheet_names(names: Iterable, taken: Iterable[str] = RESERVED_SHEET_NAMES) -> list[str]:
    """Valid Excel sheet names for ``names``, in order: cleaned (:func:`_clean_sheet_name`) and unique without
    regard to case, also against ``taken``; a repeated name gets `` (2)``, `` (3)``, ... within 31 characters."""
    used = {name.casefold() for name in taken}
    out = []
    for name in names:
        base = _clean_sheet_name(name)
        candidate, count = base, 1
        while candidate.casefold() in used:
            count += 1
            suffix = f" ({count})"
            candidate = base[:MAX_SHEET_NAME - len(suffix)].rstrip() + suffix
        used.add(candidate.casefold())
        out.append(candidate)
    return out


def _is_date_dtype(dtype) -> bool:
    if isinstance(dtype, pd.ArrowDtype):
        return pa.types.is_timestamp(dtype.pyarrow_dtype) or pa.types.is_date(dtype.pyarrow_dtype)
    return pd.api.types.is_datetime64_any_dtype(dtype)


def column_kinds(sheet: Sheet) -> list[str | None]:
    """The kind of each column of the sheet's frame, in order: ``money``, ``percent``, ``number``, ``decimal``,
    ``date`` or None (written as it is). A datetime column not given a kind is a date column."""
    declared = {}
    for kind, columns in (("money", sheet.money_columns), ("percent", sheet.percent_columns),
                          ("number", sheet.number_columns), ("decimal", sheet.decimal_columns),
                          ("date", sheet.date_columns)):
        declared.update(dict.fromkeys(columns, kind))
    frame = sheet.frame if sheet.frame is not None else pd.DataFrame()
    return [declared.get(column, "date" if _is_date_dtype(dtype) else None)
            for column, dtype in zip(frame.columns, frame.dtypes)]


# --------------------------------------------------------------------------------------------------
# values


def _naive(moment: dt.datetime) -> dt.datetime:
    """A datetime Excel can hold: the wall-clock time, without time zone."""
    return moment.replace(tzinfo=None) if moment.tzinfo is not None else moment


def _text(value: str) -> str:
    """Text without the control characters an xlsx file cannot hold, cut to Excel's cell limit."""
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    return text if len(text) <= MAX_CELL_TEXT else text[:MAX_CELL_TEXT - 1] + "…"


def cell_value(value):
    """A Python / numpy / pandas scalar as an Excel cell value: None for missing (None, NaN, NA, NaT, ±inf),
    ``"Yes"`` / ``"No"`` for booleans, int / float for numbers, naive datetimes, dates, text. Raises TypeError
    for anything else (lists, objects): the workbook holds values, not representations of objects."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "Yes" if value else "No"
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, (numbers.Real, decimal.Decimal)):
        amount = float(value)
        return amount if math.isfinite(amount) else None
    if isinstance(value, np.datetime64):
        return cell_value(pd.Timestamp(value))
    if isinstance(value, pd.Timestamp):
        return _naive(value.to_pydatetime())
    if isinstance(value, dt.datetime):
        return _naive(value)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (dt.timedelta, np.timedelta64)):
        return str(pd.Timedelta(value))
    if isinstance(value, str):
        return _text(value)
    raise TypeError(f"a {type(value).__name__} value ({str(value)[:40]!r}) cannot be written to an Excel cell")


def _as_dates(series: pd.Series, where: str) -> pd.Series:
    """A date column as timestamps (text and date objects parsed; time zones dropped to wall-clock time)."""
    try:
        dates = pd.to_datetime(series, format=None if _is_date_dtype(series.dtype) else "mixed")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where} is a date column but holds values that are not dates: {exc}") from None
    return dates.dt.tz_localize(None) if dates.dt.tz is not None else dates


def column_values(series: pd.Series, kind: str | None, where: str) -> list:
    """The cell values of a column (:func:`cell_value` of each; date columns as real dates). ``where`` names
    the column in errors."""
    source = _as_dates(series, where) if kind == "date" else series
    values = []
    for value in source.astype(object):
        try:
            values.append(cell_value(value))
        except TypeError as exc:
            raise ValueError(f"{where}: {exc}; convert the column to text, numbers or dates first") from None
    return values


def _shown_width(value, kind: str | None, currency: str) -> int:
    """About how many characters a cell shows: its value in the column's format."""
    if value is None:
        return 0
    if isinstance(value, (int, float)):
        shown = {"money": lambda v: money(v, currency), "percent": percent,
                 "decimal": lambda v: number(v, 1)}.get(kind, number)
        return len(shown(value)) if kind or isinstance(value, int) else len(f"{value:,.2f}")
    if isinstance(value, dt.datetime) and kind != "date":
        return 19
    if isinstance(value, dt.date):
        return 10
    return max(len(line) for line in str(value).splitlines() or [""])


def _column_width(label: str, values: Sequence, kind: str | None, currency: str) -> float:
    """Width of a column, in characters: its widest value or its (wrapped) header, within the limits."""
    header = max([len(word) for word in label.split()] + [min(len(label), MAX_HEADER_WIDTH)])
    widest = max([_shown_width(value, kind, currency) for value in values] + [header])
    return min(MAX_COLUMN_WIDTH, max(MIN_COLUMN_WIDTH, widest + 2))


# --------------------------------------------------------------------------------------------------
# writing


def _put(worksheet: Worksheet, row: int, column: int, value, number_format: str | None = None):
    """Write one value; text is always text (never a formula or an error code, even when it starts with
    ``=`` or ``#``)."""
    cell = worksheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if number_format and value is not None:
        cell.number_format = number_format
    return cell


def _write_lines(worksheet: Worksheet, first_row: int, lines: Sequence[str], font: Font) -> int:
    """Write each line in column A from ``first_row``; returns the next free row."""
    for offset, line in enumerate(lines):
        _put(worksheet, first_row + offset, 1, cell_value(line)).font = font
    return first_row + len(lines)


def _write_table(worksheet: Worksheet, sheet: Sheet, header_row: int, currency: str) -> None:
    """Header, data rows with number formats, widths, frozen panes and autofilter of a sheet with rows."""
    frame = sheet.frame
    formats = {**NUMBER_FORMATS, "money": money_format(currency)}
    for position, (column, kind) in enumerate(zip(frame.columns, column_kinds(sheet)), start=1):
        label = sheet.labels.get(column, column_label(column))
        header = _put(worksheet, header_row, position, label)
        header.fill, header.font, header.alignment = _HEADER_FILL, _HEADER_FONT, _HEADER_ALIGNMENT
        values = column_values(frame.iloc[:, position - 1], kind, f"sheet {sheet.name!r}, column {column!r}")
        for offset, value in enumerate(values, start=1):
            _put(worksheet, header_row + offset, position, value, formats.get(kind))
        letter = get_column_letter(position)
        worksheet.column_dimensions[letter].width = _column_width(label, values, kind, currency)
    last = f"{get_column_letter(len(frame.columns))}{header_row + len(frame)}"
    worksheet.freeze_panes = f"A{header_row + 1}"
    worksheet.auto_filter.ref = f"A{header_row}:{last}"
    worksheet.print_title_rows = f"{header_row}:{header_row}"  # the header on every printed page


#: A sheet whose columns are wider than this (in characters, added up) prints in landscape.
PORTRAIT_WIDTH = 110


def _print_setup(worksheet: Worksheet) -> None:
    """A4, as wide as one page (as many pages down as it takes), landscape when the columns are wide."""
    _print_setup_columns(worksheet, worksheet.max_column)


def _has_rows(frame: pd.DataFrame | None) -> bool:
    return frame is not None and len(frame) > 0 and len(frame.columns) > 0


def _write_sheet(worksheet: Worksheet, sheet: Sheet, currency: str) -> None:
    """Title, notes and, when the frame has rows, the table. A sheet without rows and without notes says so."""
    _put(worksheet, 1, 1, cell_value(sheet.title)).font = _TITLE_FONT
    notes = sheet.notes if sheet.notes or _has_rows(sheet.frame) else ("No rows to show.",)
    header_row = _write_lines(worksheet, 2, notes, _NOTE_FONT)
    if _has_rows(sheet.frame):
        _write_table(worksheet, sheet, header_row, currency)


def _write_about(worksheet: Worksheet, cover: Mapping[str, str], sheets: Sequence[Sheet], names: Sequence[str],
                 currency: str) -> None:
    """The first sheet: what the workbook is (``cover`` rows of label and value, the currency) and the list
    of its sheets with their titles."""
    _put(worksheet, 1, 1, "About this workbook").font = _TITLE_FONT
    rows = [*cover.items(), ("Money in", currency.upper()), ("", ""), ("Sheets", "")]
    rows += [(name, sheet.title) for name, sheet in zip(names, sheets)]
    for row, (label, value) in enumerate(rows, start=3):
        _put(worksheet, row, 1, cell_value(label)).font = _LABEL_FONT
        _put(worksheet, row, 2, cell_value(value))
    labels = [cell_value(label) for label, _ in rows]
    values = [cell_value(value) for _, value in rows]
    worksheet.column_dimensions["A"].width = _column_width("", labels, None, currency)
    worksheet.column_dimensions["B"].width = _column_width("", values, None, currency)


def build_workbook(sheets: Sequence[Sheet], currency: str, cover: Mapping[str, str]) -> Workbook:
    """The workbook in memory: the About sheet, then one sheet per :class:`Sheet`, in order."""
    workbook = Workbook()
    about = workbook.active
    about.title = ABOUT_SHEET
    names = sheet_names(sheet.name for sheet in sheets)
    _write_about(about, cover, sheets, names, currency)
    for name, sheet in zip(names, sheets):
        _write_sheet(workbook.create_sheet(title=name), sheet, currency)
    for worksheet in workbook.worksheets:
        _print_setup(worksheet)
    return workbook


def apart_file(path: Path, sheet: Sheet) -> Path:
    """The workbook of its own that a sheet too long for ``path`` goes to: ``plan.xlsx`` → ``plan-account-assignments.xlsx``."""
    slug = re.sub(r"[^a-z0-9]+", "-", str(sheet.name).lower()).strip("-") or "sheet"
    return path.with_name(f"{path.stem}-{slug}{path.suffix}")


def split_long_sheets(path: Path, sheets: Sequence[Sheet], max_rows: int | None) -> tuple[list[Sheet], list[tuple[Path, Sheet]]]:
    """The sheets of the workbook at ``path`` and those that go to workbooks of their own: each sheet of more than
    ``max_rows`` rows, replaced in the workbook by a note naming its file."""
    kept, apart = [], []
    for sheet in sheets:
        if max_rows is None or not _has_rows(sheet.frame) or len(sheet.frame) <= max_rows:
            kept.append(sheet)
            continue
        file = apart_file(path, sheet)
        apart.append((file, sheet))
        kept.append(Sheet(name=sheet.name, frame=None, title=sheet.title,
                          notes=(f"{len(sheet.frame):,} rows, more than the {max_rows:,} a sheet here holds: they are "
                                 f"in {file.name}, beside this workbook.",)))
    return kept, apart


#: A sheet of its own (``split_long_sheets``) is written row by row in openpyxl's write-only mode, never held as
#: cell objects: 1,000,000 account rows took several GB that way (about 300 bytes a cell). Its values are made
#: ``STREAM_CHUNK_ROWS`` rows at a time, and its column widths measured on its first ``WIDTH_SAMPLE_ROWS`` rows.
STREAM_CHUNK_ROWS = 50_000
WIDTH_SAMPLE_ROWS = 5_000


def _streamed(worksheet, value, number_format: str | None = None, font: Font | None = None):
    """A value for a write-only sheet: as it is, or a styled cell; text that Excel would read as a formula stays
    text (as :func:`_put` does)."""
    if number_format is None and font is None and not (isinstance(value, str) and value.startswith("=")):
        return value
    cell = WriteOnlyCell(worksheet, value)
    if isinstance(value, str):
        cell.data_type = "s"
    if number_format and value is not None:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    return cell


def _streamed_about(workbook: Workbook, cover: Mapping[str, str], name: str, sheet: Sheet, currency: str) -> None:
    """The About sheet of a workbook of one long sheet, as :func:`_write_about` writes it."""
    about = workbook.create_sheet(ABOUT_SHEET)
    rows = [*cover.items(), ("Money in", currency.upper()), ("", ""), ("Sheets", ""), (name, sheet.title)]
    labels = [cell_value(label) for label, _ in rows]
    values = [cell_value(value) for _, value in rows]
    about.column_dimensions["A"].width = _column_width("", labels, None, currency)
    about.column_dimensions["B"].width = _column_width("", values, None, currency)
    _print_setup_columns(about, 2)
    about.append([_streamed(about, "About this workbook", font=_TITLE_FONT)])
    about.append([])
    for label, value in zip(labels, values):
        about.append([_streamed(about, label, font=_LABEL_FONT), _streamed(about, value)])


def _print_setup_columns(worksheet, columns: int) -> None:
    """A4, as wide as one page (as many pages down as it takes), landscape when the ``columns`` first columns are
    wide (a write-only sheet has no ``max_column`` to count them)."""
    widths = sum(worksheet.column_dimensions[get_column_letter(i)].width or MIN_COLUMN_WIDTH
                 for i in range(1, columns + 1))
    worksheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    worksheet.page_setup.orientation = "landscape" if widths > PORTRAIT_WIDTH else "portrait"
    worksheet.sheet_properties.pageSetUpPr.fitToPage = True
    worksheet.page_setup.fitToWidth = 1
    worksheet.page_setup.fitToHeight = 0


def build_streamed_workbook(sheet: Sheet, currency: str, cover: Mapping[str, str]) -> Workbook:
    """The workbook of one long sheet (About, then the sheet), written row by row: the same title, header,
    number formats, frozen header, filter and print setup as :func:`build_workbook`, in memory that does not
    grow with the rows."""
    workbook = Workbook(write_only=True)
    name = sheet_names([sheet.name])[0]
    _streamed_about(workbook, cover, name, sheet, currency)
    worksheet = workbook.create_sheet(name)
    frame, kinds = sheet.frame, column_kinds(sheet)
    formats = {**NUMBER_FORMATS, "money": money_format(currency)}
    headers = [sheet.labels.get(column, column_label(column)) for column in frame.columns]
    where = [f"sheet {sheet.name!r}, column {column!r}" for column in frame.columns]
    sample = frame.iloc[:WIDTH_SAMPLE_ROWS]
    for position, (label, kind) in enumerate(zip(headers, kinds), start=1):
        values = column_values(sample.iloc[:, position - 1], kind, where[position - 1])
        worksheet.column_dimensions[get_column_letter(position)].width = _column_width(label, values, kind, currency)
    notes = sheet.notes
    header_row = 2 + len(notes)
    worksheet.freeze_panes = f"A{header_row + 1}"
    worksheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(frame.columns))}{header_row + len(frame)}"
    worksheet.print_title_rows = f"{header_row}:{header_row}"
    _print_setup_columns(worksheet, len(frame.columns))
    worksheet.append([_streamed(worksheet, cell_value(sheet.title), font=_TITLE_FONT)])
    for line in notes:
        worksheet.append([_streamed(worksheet, cell_value(line), font=_NOTE_FONT)])
    header = []
    for label in headers:
        cell = _streamed(worksheet, label, font=_HEADER_FONT)
        cell.fill, cell.alignment = _HEADER_FILL, _HEADER_ALIGNMENT
        header.append(cell)
    worksheet.append(header)
    number_formats = [formats.get(kind) for kind in kinds]
    for start in range(0, len(frame), STREAM_CHUNK_ROWS):
        part = frame.iloc[start:start + STREAM_CHUNK_ROWS]
        columns = [column_values(part.iloc[:, i], kind, where[i]) for i, kind in enumerate(kinds)]
        for row in zip(*columns):
            worksheet.append([_streamed(worksheet, value, number_format)
                              for value, number_format in zip(row, number_formats)])
    return workbook


#: The date stamped on the workbook's document properties and on every part of its zip archive. openpyxl and
#: zipfile would stamp the time of saving, so two runs of the same plan would differ in bytes.
DOCUMENT_TIME = dt.datetime(2000, 1, 1)


def _fix_archive_times(path: Path) -> None:
    """Rewrite the .xlsx zip archive at ``path`` with every member dated ``DOCUMENT_TIME``, order and compression
    kept, and the document's modified time (which openpyxl sets as it saves) set to it too."""
    stamp = DOCUMENT_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    members = [(info, re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + stamp + rb"\g<2>",
                             data) if info.filename == "docProps/core.xml" else data)
               for info, data in members]
    with zipfile.ZipFile(path, "w") as target:
        for info, data in members:
            fixed = zipfile.ZipInfo(info.filename, date_time=DOCUMENT_TIME.timetuple()[:6])
            fixed.compress_type, fixed.external_attr = info.compress_type, info.external_attr
            target.writestr(fixed, data)


def _save_atomically(workbook: Workbook, path: Path) -> Path:
    """Save to a temporary file next to ``path``, then move it over ``path``; on any failure the temporary
    file is removed and whatever was at ``path`` stays as it was. The same workbook always gives the same bytes:
    no time of saving is stored."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    workbook.properties.created = workbook.properties.modified = DOCUMENT_TIME
    try:
        workbook.save(temporary)
        _fix_archive_times(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def write_workbook(path, sheets: list[Sheet], currency: str, cover: dict[str, str], max_rows: int | None = None) -> Path:
    """Write the workbook of ``sheets`` to ``path`` (.xlsx): an About sheet of the ``cover`` rows (label →
    value, e.g. company, quarter, data and params it was made from), then one sheet per :class:`Sheet`.

    Money columns are in ``currency`` (a code such as ``"USD"``). The whole workbook is built before anything
    is written, then saved atomically: a failure (e.g. a value that cannot be a cell, which raises
    ValueError naming sheet and column) leaves the previous file at ``path`` untouched. Returns ``path``.
    A sheet of more than ``max_rows`` rows goes to a workbook of its own beside it (``split_long_sheets``), written
    row by row (:func:`build_streamed_workbook`). Every
    sheet prints on A4, one page wide, its header row repeated on each page, landscape when wide.
    """
    path = Path(path)
    kept, apart = split_long_sheets(path, sheets, max_rows)
    workbooks = [(file, build_streamed_workbook(sheet, currency, cover)) for file, sheet in apart]
    workbook = build_workbook(kept, currency, cover)
    for file, separate in workbooks:
        _save_atomically(separate, file)
    return _save_atomically(workbook, path)
