"""The simulated calendar. Internally a date is an int64 day number (days since 1970-01-01)."""

from __future__ import annotations

import numpy as np
import pandas as pd


DAY_NS = 86_400 * 10**9
NO_END = np.int64(2**40)  # "still employed": a day number far in the future
WARM_UP_MONTHS = 6  # simulated before the history window so the first months have mature pipeline


def day_number(ts: pd.Timestamp) -> int:
    """Days since 1970-01-01 of the calendar day of ``ts``."""
    return int(np.datetime64(ts.strftime("%Y-%m-%d"), "D").astype(np.int64))


def month_of(days: np.ndarray) -> np.ndarray:
    """Month number (months since 1970-01) of each day number."""
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def first_day(months: np.ndarray) -> np.ndarray:
    """Day number of the first day of each month number."""
    return np.asarray(months).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def weekday(days: np.ndarray) -> np.ndarray:
    """0 = Monday ... 6 = Sunday."""
    return (np.asarray(days) + 3) % 7


def to_weekday(days: np.ndarray, last: int) -> np.ndarray:
    """Move Saturdays to Friday and Sundays to Monday (or Friday when Monday is after ``last``)."""
    wd = weekday(days)
    out = np.where(wd == 5, days - 1, np.where(wd == 6, days + 1, days))
    return np.where(out > last, out - 3, out)


class Clock:
    """The simulated months: warm-up plus history, the last month cut at ``end``.

    ``start`` and ``end`` are the day numbers of the history window's first and last day. Per simulated month
    (index 0 is the first warm-up month): ``month_start``, ``month_last`` (day numbers, the last month ending on
    ``end``), ``month_days`` (days simulated), ``full_month_days`` (days in the calendar month) and
    ``month_of_year`` (1-12); ``n_months`` months in all.
    """

    def __init__(self, start: pd.Timestamp, end: pd.Timestamp):
        self.start = day_number(start)
        self.end = day_number(end)
        first_month = month_of(np.array([self.start]))[0] - WARM_UP_MONTHS
        months = np.arange(first_month, month_of(np.array([self.end]))[0] + 1)
        self.month_start = first_day(months)
        self.month_last = np.minimum(first_day(months + 1) - 1, self.end)
        self.month_days = self.month_last - self.month_start + 1
        self.full_month_days = first_day(months + 1) - self.month_start
        self.month_of_year = months % 12 + 1
        self.n_months = len(months)

    def month_index(self, days: np.ndarray) -> np.ndarray:
        """Index of the simulated month each day number falls in."""
        return np.searchsorted(self.month_start, days, side="right") - 1
