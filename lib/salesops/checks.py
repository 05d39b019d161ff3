"""Argument checks shared by the analysis modules: each failure is a ValueError that names the
argument and shows an accepted value."""

from __future__ import annotations

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
