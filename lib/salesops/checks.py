"""Argument checks shared by the analysis modules: each failure is a ValueError that names the
argument (or the table, column and rows) and shows an accepted value."""

from __future__ import annotations

import numpy as np
import pandas as pd


def as_timestamp(value, name: str) -> pd.Timestamp:
    """``value`` as a naive Timestamp (company local time); ValueError naming ``name`` otherwise."""
    try:
        stamp = pd.Timestamp(value) if value is not None else pd.NaT
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a date such as '2026-12-31'; got {value!r}") from exc
    if pd.isna(stamp):
        raise ValueError(f"{name} must be a date such as '2026-12-31'; got {value!r}")
    if stamp.tzinfo is not None:
        raise ValueError(f"{name} must be a date without time zone (company local time); got {value!r}")
    return stamp


#: What each ``kind`` of ``column_numbers`` accepts, in words.
_NUMBER_KINDS: dict[str, str] = {"positive": "a number greater than 0", "non_negative": "a number of 0 or more",
                                 "fraction": "a fraction from 0 to 1"}


def column_numbers(frame: pd.DataFrame, column: str, table: str, key: str, kind: str = "non_negative",
                   missing_ok: bool = False) -> np.ndarray:
    """``frame[column]`` as float64, each value of ``kind`` (``positive``: > 0, ``non_negative``: >= 0,
    ``fraction``: 0-1; always finite) or, with ``missing_ok``, missing (NaN). Else a ValueError naming the
    first offending rows by ``key``."""
    values = pd.to_numeric(frame[column].astype(object), errors="coerce").astype("float64").to_numpy()
    with np.errstate(invalid="ignore"):
        valid = {"positive": values > 0, "non_negative": values >= 0, "fraction": (values >= 0) & (values <= 1)}[kind]
    bad = ~((valid & np.isfinite(values)) | (missing_ok & np.isnan(values)))
    if bad.any():
        allowed = " (or empty when unknown)" if missing_ok else ""
        raise ValueError(f"{table}: {column} must be {_NUMBER_KINDS[kind]}{allowed}; {key} "
                         f"{frame[key].astype(object).to_numpy()[bad][:5].tolist()} have "
                         f"{frame[column].astype(object).to_numpy()[bad][:5].tolist()}")
    return values


def unique_ids(frame: pd.DataFrame, key: str, table: str) -> np.ndarray:
    """``frame[key]`` as an object array of text ids (stripped); ValueError naming ``table`` and the first
    offending values unless every id is filled in and unique."""
    ids = frame[key].astype("string").str.strip()
    ids = ids.mask(ids == "")
    if ids.isna().any() or ids.duplicated().any():
        raise ValueError(f"{table}: {key} must be filled in and unique; missing or repeated: "
                         f"{frame[key][ids.isna() | ids.duplicated(keep=False)].tolist()[:5]}")
    return ids.to_numpy(dtype=object)
