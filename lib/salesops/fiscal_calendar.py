"""Fiscal quarters.

Convention: a fiscal year starts on the first day of ``fiscal_year_start_month`` and is named by the
calendar year in which it *ends* (the usual US convention: with a February start, FY2027 runs
1 Feb 2026 – 31 Jan 2027). With the default start month 1 fiscal and calendar years coincide.
A quarter label is ``<fiscal year>Q<n>``, e.g. ``2027Q1``; pandas periods with an anchored quarterly
frequency (``Q-JAN`` for a February start) follow the same convention, so they are used underneath.
"""

from __future__ import annotations

import re

import pandas as pd

QUARTER_PATTERN = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH_ABBR = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def quarter_freq(fiscal_year_start_month: int = 1) -> str:
    """The pandas quarterly frequency whose year ends in the month before the fiscal start month."""
    if not 1 <= fiscal_year_start_month <= 12:
        raise ValueError(f"fiscal_year_start_month must be 1–12, got {fiscal_year_start_month}")
    end_month = (fiscal_year_start_month - 2) % 12  # index of the month the fiscal year ends in
    return f"Q-{_MONTH_ABBR[end_month]}"


def parse_quarter(label: str, fiscal_year_start_month: int = 1) -> pd.Period:
    """``"2027Q1"`` → the fiscal quarter as a pandas Period. Raises ValueError on a malformed label."""
    match = QUARTER_PATTERN.match(str(label).strip())
    if not match:
        raise ValueError(
            f"quarter {label!r} is not a quarter label: write the fiscal year and quarter number "
            "as YYYYQn, e.g. 2027Q1"
        )
    return pd.Period(f"{match.group(1)}Q{match.group(2)}", freq=quarter_freq(fiscal_year_start_month))


def quarter_label(period: pd.Period) -> str:
    """A quarterly Period → its label, e.g. ``2027Q1``."""
    return f"{period.qyear}Q{period.quarter}"


def quarter_start(label: str, fiscal_year_start_month: int = 1) -> pd.Timestamp:
    """First day of the quarter (midnight)."""
    return parse_quarter(label, fiscal_year_start_month).start_time.normalize()


def quarter_end(label: str, fiscal_year_start_month: int = 1) -> pd.Timestamp:
    """Last day of the quarter (midnight of that day, so date comparisons with ``<=`` include it)."""
    return parse_quarter(label, fiscal_year_start_month).end_time.normalize()


def shift_quarter(label: str, quarters: int, fiscal_year_start_month: int = 1) -> str:
    """The label ``quarters`` quarters after (negative: before) ``label``."""
    return quarter_label(parse_quarter(label, fiscal_year_start_month) + quarters)


def quarter_labels(dates: pd.Series, fiscal_year_start_month: int = 1) -> pd.Series:
    """The fiscal quarter label of each date (NaT stays missing)."""
    periods = pd.to_datetime(dates).dt.to_period(quarter_freq(fiscal_year_start_month))
    return periods.map(lambda p: quarter_label(p) if pd.notna(p) else pd.NA).astype("string")
