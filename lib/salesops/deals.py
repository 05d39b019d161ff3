"""What every step shares about deals (the canonical ``opportunities`` table): which deals are won, closed
or open, the trailing window of history, complete quarters, how far a deal got through the stages, the
segment and region of a deal, ratios, and the column checks every analysis starts with.

Definitions (used by every step; ``collect/kpis.py``'s notes give examples):

* A deal is **won** when ``is_won`` is true, **closed** when ``is_closed`` or ``is_won`` is true (a won deal
  is closed even when its ``is_closed`` flag is missing), **lost** when closed and not won. A missing flag
  counts as false.
* **The window** of ``window_months`` ending on ``as_of``: the dates in the half-open interval
  ``(window_start(as_of, window_months), as_of]``, i.e. after ``as_of`` minus ``window_months`` calendar
  months, up to and including ``as_of``. From a month's last day the window covers whole months: 2026-06-30
  and 3 months is 2026-04-01 .. 2026-06-30 (the start is 03-31, not 03-30); 2026-05-15 and 1 month is
  2026-04-16 .. 2026-05-15.
* **Closed in the window**: closed (won or lost) with ``close_date`` in the window.
* **Open at a date** ``as_of``: created on or before ``as_of`` and not closed by then (still open, or its
  ``close_date`` is after ``as_of``). For a past ``as_of`` this rebuilds that day's pipeline from today's
  snapshot, with today's amounts.
* **Last complete quarter**: the latest fiscal quarter whose last day is on or before ``as_of``
  (``fiscal_calendar.py`` for fiscal quarters).
* **Stage progress**: the index into ``OPEN_STAGES`` of the furthest open stage a deal reached (its current
  stage when open, and ``max_stage``), or ``len(OPEN_STAGES)`` for a won deal, which passed every stage.
* **Segment and region** of a deal (``attach_segments``): the owning rep's segment, else the account's size
  band (``SEGMENT_BANDS``), else ``UNKNOWN``; the account's region, else the rep's, else ``UNKNOWN``.

Masks are numpy bool arrays aligned with the rows of the frame given (select with ``frame.loc[mask]``).
Dates are midnight Timestamps; money is in the company currency. Inputs are never modified.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from salesops.fiscal_calendar import quarter_freq
from salesops.contract.schema import OPEN_STAGES, SEGMENT_BANDS, TEXT_DTYPE

#: Label of a missing segment, region or other grouping value of a deal.
UNKNOWN = "Unknown"

#: Columns of ``opportunities`` every deal analysis needs.
OPPORTUNITY_COLUMNS: tuple[str, ...] = ("created_date", "close_date", "stage", "amount", "is_closed", "is_won")


# --------------------------------------------------------------------------------------------------
# column checks


def check_columns(frame: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    """ValueError naming ``table``, the missing ``columns`` and the columns it has, when any is missing."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{table} is missing required column(s) {missing}; it has {list(frame.columns)}")


def check_opportunities(opportunities: pd.DataFrame) -> None:
    """ValueError unless ``opportunities`` has every column of ``OPPORTUNITY_COLUMNS``."""
    check_columns(opportunities, OPPORTUNITY_COLUMNS, "opportunities")


def check_by(by, **frames: pd.DataFrame) -> list[str]:
    """``by`` (a column name or a sequence of them) as a list of column names, each present in every frame
    given (keyword = table name); ValueError otherwise."""
    columns = [by] if isinstance(by, str) else list(by)
    for column in columns:
        if not isinstance(column, str):
            raise ValueError(f"by must be a column name or a sequence of column names; got {by!r}")
    for table, frame in frames.items():
        missing = [column for column in columns if column not in frame.columns]
        if missing:
            raise ValueError(
                f"by: column(s) {missing} not in the {table} table; accepted: its columns {list(frame.columns)}"
            )
    return columns


# --------------------------------------------------------------------------------------------------
# outcomes, windows, open deals


def won_mask(opportunities: pd.DataFrame) -> np.ndarray:
    """Mask of the won deals (``is_won`` true; missing counts as false)."""
    return opportunities["is_won"].fillna(False).to_numpy(dtype=bool)


def closed_mask(opportunities: pd.DataFrame) -> np.ndarray:
    """Mask of the closed deals, won or lost (``is_closed`` or ``is_won`` true)."""
    return opportunities["is_closed"].fillna(False).to_numpy(dtype=bool) | won_mask(opportunities)


def window_start(as_of: pd.Timestamp, window_months: int) -> pd.Timestamp:
    """The excluded left end of the window of ``window_months`` ending on ``as_of``: ``as_of`` minus
    ``window_months`` calendar months; from a month's last day, the last day of the earlier month
    (2026-06-30 minus 3 months is 2026-03-31, not 03-30)."""
    start = as_of - pd.DateOffset(months=window_months)
    return start + pd.offsets.MonthEnd(0) if as_of.is_month_end else start


def in_window(dates: pd.Series, as_of: pd.Timestamp, window_months: int) -> np.ndarray:
    """Mask of ``dates`` in the window ``(window_start(as_of, window_months), as_of]``; missing dates are out."""
    start = window_start(as_of, window_months)
    return ((dates > start) & (dates <= as_of)).to_numpy(dtype=bool, na_value=False)


def closed_in_window(opportunities: pd.DataFrame, as_of: pd.Timestamp, window_months: int) -> np.ndarray:
    """Mask of the deals closed (won or lost) with ``close_date`` in the window of ``window_months`` ending on
    ``as_of`` (``in_window``)."""
    return closed_mask(opportunities) & in_window(opportunities["close_date"], as_of, window_months)


def open_at(opportunities: pd.DataFrame, as_of: pd.Timestamp) -> np.ndarray:
    """Mask of the deals open at ``as_of``: created on or before it and not closed by then."""
    created = (opportunities["created_date"] <= as_of).to_numpy(dtype=bool)
    closed_later = (opportunities["close_date"] > as_of).to_numpy(dtype=bool)
    return created & (~closed_mask(opportunities) | closed_later)


def last_complete_quarter(as_of: pd.Timestamp, fiscal_year_start_month: int) -> pd.Period:
    """The latest fiscal quarter whose last day is on or before ``as_of``."""
    quarter = as_of.to_period(quarter_freq(fiscal_year_start_month))
    return quarter if quarter.end_time.normalize() <= as_of else quarter - 1


def history_start(opportunities: pd.DataFrame) -> pd.Timestamp:
    """The first day the opportunities cover: the earliest ``created_date`` (else the earliest ``close_date``);
    NaT for an empty table. A period that starts before it is only partly in the data."""
    first = opportunities["created_date"].min() if "created_date" in opportunities.columns else pd.NaT
    if pd.isna(first) and "close_date" in opportunities.columns:
        first = opportunities["close_date"].min()
    return pd.NaT if pd.isna(first) else pd.Timestamp(first).normalize()


#: The data ends before ``as_of`` (an export cut earlier than the params say) when no deal was created or closed
#: for longer than both this many days and ``DATA_END_GAP_FACTOR`` times the usual gap between such days, judged
#: only on at least ``DATA_END_MIN_DAYS`` such days (a handful of deals says nothing of where the data ends).
DATA_END_GRACE_DAYS = 14
DATA_END_GAP_FACTOR = 10
DATA_END_MIN_DAYS = 20


def data_end(opportunities: pd.DataFrame, as_of) -> pd.Timestamp:
    """The last day the opportunities cover: ``as_of``, unless the days a deal was created or closed stop well
    before it (see ``DATA_END_GRACE_DAYS``; a deal closed after ``as_of`` counts: the data reaches past it), when
    the last such day. A period ending after it is only partly in the data."""
    as_of = pd.Timestamp(as_of).normalize()
    created = opportunities["created_date"] if "created_date" in opportunities.columns else pd.Series(dtype="M8[ns]")
    closed = opportunities.loc[closed_mask(opportunities), "close_date"]
    days = pd.Series(pd.concat([created, closed]).dropna().dt.normalize().unique()).sort_values()
    if len(days) < DATA_END_MIN_DAYS:
        return as_of
    last = pd.Timestamp(days.iloc[-1])
    usual_gap = float(days.diff().dt.days.dropna().median())
    if (as_of - last).days <= max(DATA_END_GRACE_DAYS, DATA_END_GAP_FACTOR * usual_gap):
        return as_of
    return last


#: A period counts as wholly in the data when the data covers at least this share of its days: a history that
#: starts a week or so into a quarter (the first deal created on 11 January) still measures that quarter.
COMPLETE_SHARE = 0.85


def complete_periods(periods: pd.PeriodIndex, first_day: pd.Timestamp, last_day: pd.Timestamp | None = None
                     ) -> np.ndarray:
    """Mask of the ``periods`` wholly inside the data: at least ``COMPLETE_SHARE`` of their days on or after
    ``first_day`` (``history_start``) and, with ``last_day`` (the data's end, ``as_of``), ending on or before it.
    A partial first or last period holds only part of its bookings, so no rate, target or seasonality may rest
    on it unsaid."""
    starts, ends = periods.start_time, periods.end_time.normalize()
    complete = np.ones(len(periods), dtype=bool)
    if not pd.isna(first_day):
        days = np.asarray((ends - starts).days + 1, dtype="float64")
        covered = np.asarray((ends - starts.where(starts > first_day, pd.Timestamp(first_day))).days + 1,
                             dtype="float64")
        complete &= np.clip(covered, 0, None) >= COMPLETE_SHARE * days
    if last_day is not None:
        complete &= np.asarray(ends <= pd.Timestamp(last_day).normalize())
    return complete


# --------------------------------------------------------------------------------------------------
# stages


def furthest_open_stage(opportunities: pd.DataFrame) -> np.ndarray:
    """Index into ``OPEN_STAGES`` of the furthest open stage each deal reached: the furthest of its current
    stage (when open) and ``max_stage``; 0 (the first stage) when neither is known. The outcome is ignored."""
    order = {stage: float(index) for index, stage in enumerate(OPEN_STAGES)}
    current = opportunities["stage"].astype(object).map(order).to_numpy(dtype=float)
    if "max_stage" in opportunities.columns:
        furthest = opportunities["max_stage"].astype(object).map(order).to_numpy(dtype=float)
    else:
        furthest = np.full(len(opportunities), np.nan)
    return np.nan_to_num(np.fmax(current, furthest), nan=0.0).astype(np.int64)


def stage_progress(opportunities: pd.DataFrame) -> np.ndarray:
    """How far each deal got: ``furthest_open_stage``, or ``len(OPEN_STAGES)`` for a won deal (it passed every
    open stage). A lost deal with neither a known current open stage nor ``max_stage`` reached stage 0."""
    return np.where(won_mask(opportunities), len(OPEN_STAGES), furthest_open_stage(opportunities)).astype("int64")


# --------------------------------------------------------------------------------------------------
# segments


def attach_segments(opportunities: pd.DataFrame, reps: pd.DataFrame | None = None,
                    accounts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Opportunities with ``segment`` and ``region`` columns added (a new frame).

    Segment: the owning rep's segment; else from the account's employees (``SEGMENT_BANDS``: SMB < 200,
    MM < 2,000, ENT otherwise); else ``UNKNOWN``. Region: the account's region, else the rep's, else
    ``UNKNOWN``.
    """
    segment = pd.Series(pd.NA, index=opportunities.index, dtype="string")
    region = pd.Series(pd.NA, index=opportunities.index, dtype="string")
    if accounts is not None and "account_id" in opportunities.columns:
        by_account = accounts.set_index("account_id")
        if "employees" in accounts.columns:
            employees = opportunities["account_id"].map(by_account["employees"]).astype("float64")
            banded = pd.Series(pd.NA, index=opportunities.index, dtype="string")
            for low, high, name in SEGMENT_BANDS:
                banded = banded.mask((employees >= low) & (employees < high), name)
            segment = segment.fillna(banded)
        if "region" in accounts.columns:
            region = region.fillna(opportunities["account_id"].map(by_account["region"]).astype("string"))
    if reps is not None:
        by_rep = reps.set_index("rep_id")
        if "segment" in reps.columns:
            segment = opportunities["rep_id"].map(by_rep["segment"]).astype("string").fillna(segment)
        if "region" in reps.columns:
            region = region.fillna(opportunities["rep_id"].map(by_rep["region"]).astype("string"))
    return opportunities.assign(segment=segment.fillna(UNKNOWN), region=region.fillna(UNKNOWN))


#: Share of the lost deals that must record the stage they reached (``max_stage``) before the funnel is read stage
#: by stage; below it, where deals are lost cannot be told and stage close rates fall back to the win rate.
MIN_LOST_STAGE_KNOWN = 0.5


def lost_stage_known_share(opportunities: pd.DataFrame, as_of, window_months: int = 12) -> float:
    """Share of the deals lost in the window of ``stage_funnel`` whose furthest stage (``max_stage``) is known:
    without it a lost deal counts as lost at the first stage, so where the funnel leaks is measured only when
    most lost deals carry it. NaN when nothing was lost in the window."""
    closed = opportunities.loc[closed_in_window(opportunities, pd.Timestamp(as_of), window_months)]
    lost = closed.loc[~won_mask(closed)]
    known = lost["max_stage"].notna() if "max_stage" in lost.columns else pd.Series(False, index=lost.index)
    return ratio(int(known.sum()), len(lost))


# --------------------------------------------------------------------------------------------------
# ratios, groups and text


def ratio(numerator, denominator):
    """``numerator / denominator`` as float64, NaN where the denominator is 0 or missing.

    Two scalars give a float; otherwise (Series, arrays, lists, or a Series and a scalar) a float64 Series,
    keeping the index of a Series given."""
    if pd.api.types.is_scalar(numerator) and pd.api.types.is_scalar(denominator):
        if denominator is None or pd.isna(denominator) or denominator == 0:
            return math.nan
        return float(numerator) / float(denominator)
    numerator = pd.Series(numerator).astype("float64") if not pd.api.types.is_scalar(numerator) else float(numerator)
    denominator = (pd.Series(denominator).astype("float64") if not pd.api.types.is_scalar(denominator)
                   else pd.Series(float(denominator), index=numerator.index))
    return numerator / denominator.where(denominator != 0)


def aggregate(frame: pd.DataFrame, by: list[str], **aggregations: tuple[str, str]) -> pd.DataFrame:
    """Named NaN-skipping aggregations (``name=(column, "sum" | "mean" | "median" ...)``) per group of ``by``,
    sorted by group; with no ``by`` exactly one row, even when ``frame`` is empty."""
    if not by:
        # dropna first: the result is the same and an all-missing column gives NaN without a RuntimeWarning
        return pd.DataFrame({name: [frame[column].dropna().agg(how)] for name, (column, how) in aggregations.items()})
    return frame.groupby(by, dropna=False, sort=True).agg(**aggregations).reset_index()


def text_array(values: Iterable) -> pd.api.extensions.ExtensionArray:
    """``values`` as a text array (``TEXT_DTYPE``) without an index, so a frame built from it never aligns on
    an input's index."""
    objects = np.asarray(values if hasattr(values, "__array__") else list(values), dtype=object)
    return pd.array(objects, dtype=TEXT_DTYPE)


def clean_text(values: pd.Series) -> pd.Series:
    """Text (``TEXT_DTYPE``) stripped of surrounding blanks, a blank value made missing; same index."""
    text = values.astype(TEXT_DTYPE).str.strip()
    return text.mask(text == "")
