"""The only code that reads input tables and reads or writes step artifacts.

Input files are opened read-only and never written. Artifacts are Parquet files in a step output
folder, written so that the same frame always gives the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io as _io
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import DataError
from .schema import TEXT_DTYPE

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
        return path
    candidates = [folder / f"{table}{suffix}" for suffix in SUFFIXES if (folder / f"{table}{suffix}").exists()]
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
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        text_types = {pa.string(): TEXT_DTYPE, pa.large_string(): TEXT_DTYPE}
        return pq.read_table(path).to_pandas(types_mapper=text_types.get)
    if suffix in (".xlsx", ".xls"):
        frame = pd.read_excel(path, sheet_name=0, dtype=object, keep_default_na=False, na_values=[""])
        return frame.rename(columns=lambda c: str(c).strip())
    if suffix != ".csv":
        raise DataError(f"{path.name}: unsupported file type {suffix!r}; use .csv, .parquet or .xlsx")
    text = _decode(path, encoding)
    if not text.strip():
        return pd.DataFrame()
    frame = pd.read_csv(
        _io.StringIO(text), sep=_sniff_separator(text), dtype=TEXT_DTYPE, keep_default_na=False, na_values=[""],
        skipinitialspace=True,
    )
    return frame.rename(columns=lambda c: str(c).strip())


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


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- artifacts ----------------------------------------------------------------------------------


def write_artifact(frame: pd.DataFrame, folder: Path, name: str) -> Path:
    """Write ``frame`` to ``folder/name.parquet`` (index dropped; byte-identical for equal frames)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    frame.reset_index(drop=True).to_parquet(path, index=False, engine="pyarrow", compression="zstd")
    return path


def read_artifact(folder: Path, name: str) -> pd.DataFrame:
    """Read an artifact an earlier step wrote; a clear error when that step has not run."""
    path = Path(folder) / f"{name}.parquet"
    if not path.exists():
        raise DataError(
            f"artifact {path.name} is missing from {folder}: run the step that writes it first "
            "(salesops run runs every step in order)."
        )
    return pd.read_parquet(path)


def write_json(data: dict, path: Path) -> Path:
    """Write JSON with sorted keys and a final newline, so equal data gives equal bytes."""
    Path(path).write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return Path(path)
