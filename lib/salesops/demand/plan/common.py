"""What the pipeline, lead, blend, driver and hardware modules share: argument checks, the planned period in
months (a month only partly inside it counts its days inside), segments as series ids, and the normal
quantile of a scenario interval (conventions in the notes of ``salesops.demand.plan``)."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd

from salesops.checks import as_timestamp
from salesops.contract.schema import SEGMENTS
from salesops.deals import OPPORTUNITY_COLUMNS, UNKNOWN


#: ``unique_id`` of the company total.
TOTAL = "total"


def check_frame(frame, name: str, columns: Sequence[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame; got {type(frame).__name__}")
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing required column(s) {missing}; it has {list(frame.columns)}")


def check_opportunities_frame(opportunities) -> None:
    check_frame(opportunities, "opportunities", OPPORTUNITY_COLUMNS)


def check_period(as_of, period_start, period_end) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    as_of = as_timestamp(as_of, "as_of")
    start = as_timestamp(period_start, "period_start")
    end = as_timestamp(period_end, "period_end")
    if start > end:
        raise ValueError(f"period_start ({start.date()}) must not be after period_end ({end.date()})")
    if end <= as_of:
        raise ValueError(
            f"period_end ({end.date()}) must be after as_of ({as_of.date()}): the planned period is still to come "
            "(for a past period use an earlier as_of)"
        )
    return as_of, start, end


def months_between(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """First days of the calendar months from the one containing ``start`` to the one containing ``end``."""
    periods = pd.period_range(start.to_period("M"), end.to_period("M"), freq="M")
    return pd.DatetimeIndex(periods.start_time, name="ds").astype("datetime64[ns]")


def month_start(dates: pd.Series) -> pd.Series:
    return dates.dt.to_period("M").dt.start_time.astype("datetime64[ns]")


def _period_lengths(ds: pd.Series) -> np.ndarray:
    """Days each row's period lasts: a calendar month when every ``ds`` is a month's first day (monthly rows),
    else a week of 7 days from ``ds`` (weekly rows, ``forecast.py``'s ``freq: W``)."""
    ds = pd.to_datetime(pd.Series(ds))
    if (ds.dt.day == 1).all():
        return ds.dt.days_in_month.to_numpy(dtype=np.int64)
    return np.full(len(ds), 7, dtype=np.int64)


def share_inside(ds: pd.Series, start: pd.Timestamp | None, end: pd.Timestamp | None) -> np.ndarray:
    """Share of each row's period (:func:`_period_lengths`) whose days fall in ``[start, end]`` (1 where a
    bound is None)."""
    first = day_numbers(ds)
    length = _period_lengths(ds)
    last = first + length - 1
    lo = first if start is None else np.maximum(first, day_numbers([start])[0])
    hi = last if end is None else np.minimum(last, day_numbers([end])[0])
    return np.clip(hi - lo + 1, 0, None) / length


def day_numbers(dates) -> np.ndarray:
    """Dates as whole days since 1970-01-01 (int64)."""
    return (pd.to_datetime(pd.Series(dates)).dt.normalize().to_numpy(dtype="datetime64[D]")).astype(np.int64)


def z_score(interval: float) -> float:
    return NormalDist().inv_cdf(0.5 + interval / 2)


def segment_values(frame: pd.DataFrame, segment_column: str | None) -> pd.Series | None:
    """The segment of each row as plain text (missing: ``Unknown``), or None when there is no such column."""
    if segment_column is None or segment_column not in frame.columns:
        return None
    values = frame[segment_column].astype(object)
    return values.where(values.notna(), UNKNOWN).astype(str)


def segment_order(names) -> list[str]:
    """The canonical segments first (SMB, MM, ENT), then others alphabetically, ``Unknown`` last."""
    known = {name: index for index, name in enumerate(SEGMENTS)}
    return sorted(set(names), key=lambda name: (name == UNKNOWN, known.get(name, len(known)), name))


def segment_id(segment: str) -> str:
    return f"segment={segment}"
