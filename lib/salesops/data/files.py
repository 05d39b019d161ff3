"""The only code that reads input table files: finding a table's file in a folder and reading it.

Input files are opened read-only and never written. Step artifacts are read and written by
``salesops.data.artifacts``.
"""

from __future__ import annotations

import csv
import io as _io
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from salesops.contract.schema import TEXT_DTYPE
from salesops.errors import DataError

SUFFIXES: tuple[str, ...] = (".csv", ".parquet", ".xlsx", ".xls")
_SEPARATORS = ",;\t|"


def find_table_file(folder: Path, table: str, file_name: str | None = None) -> Path | None:
    """The file holding ``table`` in ``folder``: ``file_name`` when given, else ``<table>.<suffix>``.

    Returns None when there is none; raises DataError when a named file is missing or two files
    could hold the same table.
    """
    folder = Path(folder)
    if file_name:
        path = folder / file_name
        if not path.exists():
            raise DataError(
                f"data.files.{table} names {file_name!r}, but there is no such file in {folder}. "
                f"Files there: {', '.join(sorted(p.name for p in folder.iterdir())) or 'none'}."
            )
        _require_file(path, table)
        return path
    candidates = [folder / f"{table}{suffix}" for suffix in SUFFIXES if (folder / f"{table}{suffix}").exists()]
    for path in candidates:
        _require_file(path, table)
    if len(candidates) > 1:
        raise DataError(
            f"{folder} holds {len(candidates)} files for table {table!r} "
            f"({', '.join(p.name for p in candidates)}): keep one, or name it in data.files.{table}."
        )
    return candidates[0] if candidates else None


def read_table_file(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
    """Read one input file as it is: text columns as strings, nothing renamed or converted.

    CSV: the encoding is checked strictly (a UTF-8 byte-order mark is dropped), the separator
    (``,`` ``;`` tab or ``|``) is detected, only empty cells are missing (``NA`` stays text: it is
    a region). Excel: the first sheet. Parquet: as stored.

    CSV and Excel: the first non-empty row is the header; header names are stripped of surrounding
    spaces and must be unique; a CSV line with more fields than the header is an error. Rows with no
    value at all (blank lines) are skipped, but the index keeps each row's place in the file: index
    label ``i`` is the row a spreadsheet shows as ``i + 2`` (the header as row 1 when it is the first
    line). A file that cannot be read (a folder, a corrupt or fake workbook, a broken Parquet file) is
    a DataError naming the file and the fix.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    _require_file(path, path.stem)
    if suffix == ".parquet":
        text_types = {pa.string(): TEXT_DTYPE, pa.large_string(): TEXT_DTYPE}
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowException) as exc:
            raise DataError(
                f"{path.name} cannot be read as a Parquet file ({_reason(exc)}). Expected: a Parquet file as "
                "written by pandas, Spark or the CRM's export. Fix: export the table again, or export it as CSV."
            ) from None
        _require_unique_header(path.name, [str(name) for name in table.column_names])
        return table.to_pandas(types_mapper=text_types.get).reset_index(drop=True)
    if suffix in (".xlsx", ".xls"):
        try:
            sheet = pd.read_excel(path, sheet_name=0, header=None, dtype=object, keep_default_na=False,
                                  na_values=[""])
        except Exception as exc:  # noqa: BLE001 - a workbook fails in many ways (zip, XML, format); all mean one thing
            raise DataError(
                f"{path.name} cannot be read as an Excel workbook ({_reason(exc)}). Expected: a workbook saved by "
                "Excel or the CRM's export (.xlsx), not a file of another kind renamed. Fix: open it in Excel and "
                "save it again as .xlsx, or export the table as CSV."
            ) from None
        return _with_header(sheet, path.name)
    if suffix != ".csv":
        raise DataError(f"{path.name}: unsupported file type {suffix!r}; use .csv, .parquet or .xlsx")
    text = _decode(path, encoding)
    nul = text.find("\x00")
    if nul >= 0:  # the CSV parser would silently cut the cell there
        line = text.count("\n", 0, nul) + 1
        raise DataError(
            f"{path.name}, line {line}: a NUL character (code 0), which "
            "no CRM text holds. Expected: a text file of values. Fix: export the table again as UTF-8 CSV (a NUL "
            "usually means a binary or UTF-16 file saved as .csv), or delete the NUL characters."
        )
    if not text.strip():
        return pd.DataFrame()
    body = text.lstrip("\r\n")
    leading_blank = text[: len(text) - len(body)].count("\n")
    separator = _sniff_separator(body)
    try:
        frame = pd.read_csv(
            _io.StringIO(body), sep=separator, header=None, dtype=TEXT_DTYPE, keep_default_na=False,
            na_values=[""], skipinitialspace=True, skip_blank_lines=False,
        )
    except pd.errors.ParserError as exc:
        raise _csv_error(path.name, str(exc), separator, leading_blank) from None
    return _with_header(frame, path.name, leading_blank)


def parquet_rows(path: Path) -> int | None:
    """Rows of a Parquet file from its footer (nothing else read), or None for another kind of file or one whose
    footer cannot be read (reading it whole then reports why)."""
    if Path(path).suffix.lower() != ".parquet":
        return None
    try:
        return pq.ParquetFile(path).metadata.num_rows
    except (OSError, pa.ArrowException):
        return None


def read_table_chunks(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    """A Parquet file ``rows`` rows at a time, each slice as :func:`read_table_file` reads the whole file (text as
    strings, nothing converted), its labels continuing from the slice before (label + 2 is the row a spreadsheet
    would show): a table of tens of millions of rows is typed a slice at a time, never held raw and whole. A file
    without rows gives one empty frame with its columns."""
    path = Path(path)
    text_types = {pa.string(): TEXT_DTYPE, pa.large_string(): TEXT_DTYPE}
    try:
        reader = pq.ParquetFile(path)
        _require_unique_header(path.name, [str(name) for name in reader.schema_arrow.names])
        start = 0
        for batch in reader.iter_batches(batch_size=rows):
            frame = batch.to_pandas(types_mapper=text_types.get)
            yield frame.set_axis(pd.RangeIndex(start, start + len(frame)), axis=0)
            start += len(frame)
        if start == 0:
            yield reader.schema_arrow.empty_table().to_pandas(types_mapper=text_types.get)
    except (OSError, pa.ArrowException) as exc:
        raise DataError(
            f"{path.name} cannot be read as a Parquet file ({_reason(exc)}). Expected: a Parquet file as "
            "written by pandas, Spark or the CRM's export. Fix: export the table again, or export it as CSV."
        ) from None


def _require_file(path: Path, table: str) -> None:
    if path.is_dir():
        raise DataError(
            f"{path.name} in {path.parent} is a folder, not a file: the {table} table must be one file. "
            f"Fix: put the export file itself in the data folder under this name (not a folder holding it), "
            "or rename the folder."
        )


def _reason(exc: Exception) -> str:
    """The first line of an exception's own text, without its class name."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
    return text[:200]


_RAGGED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}


def _csv_error(name: str, parser_message: str, separator: str, leading_blank: int) -> DataError:
    ragged = _RAGGED.search(parser_message)
    if ragged:
        expected, line, saw = (int(group) for group in ragged.groups())
        return DataError(
            f"{name}, line {line + leading_blank}: {saw} fields where the header has {expected} (fields are "
            f"separated by {_SEPARATOR_NAMES[separator]}s '{separator}'). Expected: at most one value per header "
            f"column on every line. Fix: put values that contain a '{separator}' in double quotes (a CRM's own "
            "CSV export does), or remove the extra separators on that line."
        )
    return DataError(
        f"{name} cannot be read as CSV: {_reason(ValueError(parser_message))}. Fix: check the file around the "
        "place named (an unclosed double quote is the usual cause), or export the table again."
    )


def _with_header(sheet: pd.DataFrame, name: str, leading_blank: int = 0) -> pd.DataFrame:
    """Make the first non-empty row of a header-less sheet its header; drop empty rows, keep row places."""
    filled = sheet.notna().any(axis=1).to_numpy()
    if not filled.any():
        return pd.DataFrame()
    header_at = int(filled.argmax())
    header = [str(value).strip() if value is not None and not pd.isna(value) else f"Unnamed: {position}"
              for position, value in enumerate(sheet.iloc[header_at])]
    _require_unique_header(name, header)
    rows = np.flatnonzero(filled)
    rows = rows[rows > header_at]
    # a row at position p (0-based, leading blank lines counted) is spreadsheet row p + 1; label = row - 2
    return sheet.iloc[rows].set_axis(header, axis=1).set_axis(pd.Index(rows + leading_blank - 1, dtype="int64"))


def _require_unique_header(name: str, header: list[str]) -> None:
    seen: dict[str, int] = {}
    for position, column in enumerate(header, start=1):
        if column in seen:
            raise DataError(
                f"{name}: the header names column {column!r} twice (columns {seen[column]} and {position}). "
                "Expected: every column name once. Fix: rename or remove one of the two columns in the export "
                "(a column mapping in data.columns cannot tell them apart)."
            )
        seen[column] = position


def _decode(path: Path, encoding: str) -> str:
    raw = path.read_bytes()
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{path.name} is not {encoding} text: byte 0x{raw[exc.start]:02X} on line {line} cannot be decoded. "
            f"Fix: save the file as UTF-8 (in Excel: Save As, 'CSV UTF-8'), or set data.encoding to the "
            f"file's encoding (for example cp1252 for Western-European Windows files)."
        ) from None
    except LookupError:
        raise DataError(f"data.encoding {encoding!r} is not a known text encoding (try utf-8 or cp1252)") from None


def _sniff_separator(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=_SEPARATORS).delimiter
    except csv.Error:
        header = text.splitlines()[0]
        return max(_SEPARATORS, key=header.count)
