"""Step 1 KPIs: activity inputs, bookings, growth, win rates, deal size and cycle, stage funnel,
pipeline velocity, pipeline coverage and the executive headline numbers.

Conventions shared by every function in this module:

* Inputs are canonical, validated tables (see ``schema.py``). They are never modified: every function
  works on filtered copies or ``assign`` results and returns a new DataFrame with a fresh 0..n-1 index.
* Money is in the company currency (the currency of ``opportunities.amount``), not cents. Rates,
  conversions and growth are fractions (0.25 means 25 %), never percentages.
* A deal is *won* when ``is_won`` is true and *closed* when ``is_closed`` (or ``is_won``) is true;
  *lost* means closed and not won.
* **Closed in the window** (``as_of``, ``window_months``): closed with ``close_date`` in the half-open
  interval ``(as_of - window_months calendar months, as_of]``. With as_of 2026-03-31 and 3 months that is
  2026-01-01 .. 2026-03-31, both days included. When as_of is the last day of a month the window starts
  after the last day of the earlier month, so it covers whole months (2026-06-30 and 3 months:
  2026-04-01 .. 2026-06-30, not from 03-31); otherwise the same day number (2026-05-15 and 1 month:
  2026-04-16 .. 2026-05-15).
* **Open at as_of**: ``created_date`` on or before ``as_of`` and not closed by then (still open, or its
  ``close_date`` is after ``as_of``). For a past ``as_of`` this reconstructs the pipeline of that day from
  today's snapshot, using today's amounts.
* Periods (``freq``): ``"D"`` calendar day, ``"W"`` week Monday–Sunday, ``"M"`` calendar month, ``"Q"``
  fiscal quarter (see ``fiscal_calendar.py``). A period is labelled by its first day (a midnight Timestamp).
* Bad arguments raise ``ValueError`` naming the argument and what is accepted.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesops import deals
from salesops.fiscal_calendar import quarter_freq, quarter_label, quarter_labels
from salesops.checks import as_timestamp
from salesops.contract.schema import OPEN_STAGES, OTHER_ACTIVITY

#: Accepted ``freq`` values: day, week (Monday start), calendar month, fiscal quarter.
FREQS: tuple[str, ...] = ("D", "W", "M", "Q")
_PANDAS_PERIOD = {"D": "D", "W": "W-SUN", "M": "M"}  # "Q" depends on the fiscal year start

#: Average days in a month (365.25 / 12), used to turn a per-day velocity into a per-month one.
DAYS_PER_MONTH: float = 30.4375

#: Output column of each activity type counted by ``input_kpis``.
ACTIVITY_COLUMNS: dict[str, str] = {
    "email": "emails",
    "call": "calls",
    "meeting": "meetings",
    "demo": "demos",
    "proposal": "proposals",
}
#: Output column counting the activities of type ``other`` (a CRM's notes and tasks): in the totals, in none of
#: the named KPIs.
OTHER_COLUMN = "other_activities"
#: Every count column of ``input_kpis``: the named types, then the others.
COUNT_COLUMNS: tuple[str, ...] = (*ACTIVITY_COLUMNS.values(), OTHER_COLUMN)

#: Forecast categories counted as pipeline coverage, most confident first (the order they cumulate in).
COVERAGE_CATEGORIES: tuple[str, ...] = ("commit", "best_case", "pipeline")


# --------------------------------------------------------------------------------------------------
# argument checks


def _check_freq(freq) -> str:
    key = freq.upper() if isinstance(freq, str) else None
    if key not in FREQS:
        raise ValueError(
            f"freq must be one of {', '.join(repr(f) for f in FREQS)} "
            f"(day, week starting Monday, calendar month, fiscal quarter); got {freq!r}"
        )
    return key


def _check_window(window_months) -> int:
    if isinstance(window_months, bool) or not isinstance(window_months, numbers.Integral) or window_months <= 0:
        raise ValueError(
            f"window_months must be a whole number of months greater than 0, e.g. 12; got {window_months!r}"
        )
    return int(window_months)


# --------------------------------------------------------------------------------------------------
# periods


def _pandas_period(freq: str, fiscal_year_start_month: int) -> str:
    return quarter_freq(fiscal_year_start_month) if freq == "Q" else _PANDAS_PERIOD[freq]


def _period_starts(dates: pd.Series, freq: str, fiscal_year_start_month: int) -> pd.Series:
    """First day (midnight) of the period each date falls in."""
    return dates.dt.to_period(_pandas_period(freq, fiscal_year_start_month)).dt.start_time


# --------------------------------------------------------------------------------------------------
# 1. activity inputs


def _codes(values: pd.Series, options: list[str]) -> np.ndarray:
    """The position in ``options`` of each value (-1: missing or none of them), as small integers; hashed once
    per distinct value (a categorical of 34 million text cells went through Python strings: 77 bytes a row)."""
    codes, found = pd.factorize(values)
    position = [options.index(value) if value in options else -1 for value in np.asarray(found, dtype=object)]
    return np.array([*position, -1], dtype=np.int8)[codes]  # code -1 (missing) takes the last: -1


def input_kpis(
    activities: pd.DataFrame,
    opportunities: pd.DataFrame,
    freq: str = "M",
    by: Sequence[str] | str = ("rep_id",),
    fiscal_year_start_month: int = 1,
) -> pd.DataFrame:
    """Sales inputs per group and period: activity counts, opportunities created, selling hours.

    Columns: ``<by...>, period, emails, calls, meetings, demos, proposals, other_activities,
    opportunities_created, selling_hours``.

    * ``period``: first day of the period (``freq`` "D", "W" Monday-start, "M", or "Q" fiscal quarter
      with ``fiscal_year_start_month``); activities by ``timestamp``, opportunities by ``created_date``.
    * ``emails`` … ``proposals``: number of activities of that ``type`` (count); ``other_activities``: those of
      type ``other`` (notes, tasks: logged work that is none of the five).
    * ``opportunities_created``: number of opportunities created (count).
    * ``selling_hours``: sum of ``duration_minutes`` / 60 over every activity, ``other`` included, in hours. An
      activity with no duration counts as 0 hours; without a ``duration_minutes`` column the hours are unknown
      (NaN).

    ``by`` columns must be in both tables (default ``rep_id``); ``by=()`` gives the team total per period.
    One row for every group x period with an activity or a created opportunity (other periods are not
    filled in); sorted by group, then period.
    """
    keys = deals.check_by(by, activities=activities, opportunities=opportunities)
    freq = _check_freq(freq)
    deals.check_columns(activities, ("timestamp", "type"), "activities")
    deals.check_columns(opportunities, ("created_date",), "opportunities")
    count_columns = list(COUNT_COLUMNS)

    # Only the columns grouped on, a period, the hours and the type as a small code: the activities are the largest
    # table (34 million rows at scale 100), and a copy of them with one 0/1 column per type took 0.7 GB at scale 10.
    kinds = {**ACTIVITY_COLUMNS, OTHER_ACTIVITY: OTHER_COLUMN}
    has_duration = "duration_minutes" in activities.columns
    counted = pd.DataFrame({
        **{key: activities[key] for key in keys},
        "period": _period_starts(activities["timestamp"], freq, fiscal_year_start_month),
        "selling_hours": activities["duration_minutes"].astype("float64") / 60 if has_duration else 0.0,
        "kind": _codes(activities["type"], list(kinds)),
    }, index=activities.index)
    groups = counted.groupby([*keys, "period"], dropna=False)
    hours = groups["selling_hours"].sum()
    counts = (counted[counted["kind"] >= 0].groupby([*keys, "period", "kind"], dropna=False).size()
              .unstack("kind", fill_value=0).reindex(columns=range(len(kinds)), fill_value=0))
    counts.columns = list(kinds.values())
    activity_totals = (counts.reindex(hours.index, fill_value=0)[count_columns].astype("int64")
                       .assign(selling_hours=hours).reset_index())

    created = opportunities.assign(
        period=_period_starts(opportunities["created_date"], freq, fiscal_year_start_month)
    )
    created_totals = (
        created.groupby([*keys, "period"], dropna=False).size().rename("opportunities_created").reset_index()
    )

    out = activity_totals.merge(created_totals, on=[*keys, "period"], how="outer")
    for column in (*count_columns, "opportunities_created"):
        out[column] = out[column].fillna(0).astype("int64")
    out["selling_hours"] = out["selling_hours"].fillna(0.0).astype("float64") if has_duration else np.nan
    out = out[[*keys, "period", *count_columns, "opportunities_created", "selling_hours"]]
    return out.sort_values([*keys, "period"], na_position="last", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# 2. bookings


def bookings_by_period(
    opportunities: pd.DataFrame,
    freq: str = "M",
    start=None,
    end=None,
    fiscal_year_start_month: int = 1,
) -> pd.DataFrame:
    """Bookings (won deals by ``close_date``) per period.

    Columns: ``period`` (first day of the period), for ``freq="Q"`` also ``quarter`` (fiscal label such as
    ``2026Q1``), ``bookings`` (sum of ``amount`` of won deals, company currency), ``deals_won`` (count).

    Only won deals with ``close_date`` in ``[start, end]`` (both days included) count. Every period from
    the one containing ``start`` to the one containing ``end`` is present, zeros where nothing was won;
    the first and last period are partial when ``start``/``end`` are not period boundaries. Defaults:
    ``start`` the first and ``end`` the last won close date. No won deal in range -> an empty frame.
    ``freq``: "D" day, "W" week Monday–Sunday, "M" calendar month, "Q" fiscal quarter starting in
    ``fiscal_year_start_month``.
    """
    deals.check_opportunities(opportunities)
    freq = _check_freq(freq)
    period_freq = _pandas_period(freq, fiscal_year_start_month)
    start = None if start is None else as_timestamp(start, "start")
    end = None if end is None else as_timestamp(end, "end")
    if start is not None and end is not None and start > end:
        raise ValueError(f"start ({start.date()}) must not be after end ({end.date()})")

    won = opportunities.loc[deals.won_mask(opportunities) & opportunities["close_date"].notna().to_numpy(dtype=bool)]
    if start is not None:
        won = won.loc[won["close_date"] >= start]
    if end is not None:
        won = won.loc[won["close_date"] <= end]
    first = start if start is not None else won["close_date"].min()
    last = end if end is not None else won["close_date"].max()

    if pd.isna(first) or pd.isna(last):
        periods = pd.DatetimeIndex([], dtype="datetime64[ns]", name="period")
    else:
        periods = pd.period_range(first.to_period(period_freq), last.to_period(period_freq), freq=period_freq)
        periods = pd.DatetimeIndex(periods.start_time, name="period")

    totals = (
        won.assign(period=_period_starts(won["close_date"], freq, fiscal_year_start_month))
        .groupby("period")
        .agg(bookings=("amount", "sum"), deals_won=("amount", "size"))
        .reindex(periods, fill_value=0)
    )
    out = pd.DataFrame(
        {
            "period": periods.astype("datetime64[ns]"),
            "bookings": totals["bookings"].astype("float64").to_numpy(),
            "deals_won": totals["deals_won"].astype("int64").to_numpy(),
        }
    )
    if freq == "Q":
        out.insert(1, "quarter", quarter_labels(out["period"], fiscal_year_start_month))
    return out


# --------------------------------------------------------------------------------------------------
# 3. growth


def growth_by_quarter(opportunities: pd.DataFrame, fiscal_year_start_month: int = 1, as_of=None) -> pd.DataFrame:
    """Bookings per fiscal quarter with quarter-on-quarter and year-on-year growth.

    Columns: ``quarter`` (label, e.g. ``2026Q1``), ``bookings`` (won amount, company currency),
    ``complete`` (the quarter is wholly in the data: it starts on or after the first created deal,
    ``deals.history_start``, and, with ``as_of``, ends by the data's last day, ``deals.data_end``), ``qoq_growth`` = bookings / bookings of the previous quarter - 1, ``yoy_growth`` =
    bookings / bookings of the same quarter a year earlier - 1 (fractions: 0.12 means +12 %). Growth is NaN where
    the comparison quarter is absent (before the first won deal), booked nothing, or either quarter is only
    partly in the data.

    Quarters run from the one of the first won deal to the one of the last, zeros in between. With
    ``as_of``: only deals closed on or before it count and only complete quarters (last day on or before
    ``as_of``) are shown; without it the last quarter may be partial.
    """
    if as_of is None:
        table = bookings_by_period(opportunities, "Q", fiscal_year_start_month=fiscal_year_start_month)
    else:
        as_of = as_timestamp(as_of, "as_of")
        table = bookings_by_period(opportunities, "Q", end=as_of, fiscal_year_start_month=fiscal_year_start_month)
        last_complete = deals.last_complete_quarter(as_of, fiscal_year_start_month)
        table = table.loc[table["period"] <= last_complete.start_time]

    quarters = pd.PeriodIndex(table["period"], freq=quarter_freq(fiscal_year_start_month))
    last_day = None if as_of is None else deals.data_end(opportunities, as_of)
    complete = pd.Series(deals.complete_periods(quarters, deals.history_start(opportunities), last_day),
                         index=quarters)
    bookings = pd.Series(table["bookings"].to_numpy(), index=quarters).where(complete)
    previous = pd.Series(bookings.reindex(quarters - 1).to_numpy(), index=quarters)
    year_before = pd.Series(bookings.reindex(quarters - 4).to_numpy(), index=quarters)
    return pd.DataFrame(
        {
            "quarter": table["quarter"].to_numpy(),
            "bookings": table["bookings"].to_numpy(dtype="float64"),
            "complete": complete.to_numpy(dtype=bool),
            "qoq_growth": (deals.ratio(bookings, previous) - 1).to_numpy(dtype="float64"),
            "yoy_growth": (deals.ratio(bookings, year_before) - 1).to_numpy(dtype="float64"),
        }
    ).astype({"quarter": "string"})


# --------------------------------------------------------------------------------------------------
# 4.–5. win rates, deal size and sales cycle


#: Share of lost deals that must carry an amount for a win rate by value to be measured (``win_rates``).
MIN_PRICED_LOSS_SHARE = 0.5


def win_rates(
    opportunities: pd.DataFrame, as_of, window_months: int = 12, by: Sequence[str] | str = ()
) -> pd.DataFrame:
    """Win rates among deals closed in the window ``(as_of - window_months months, as_of]``.

    Columns: ``<by...>, won, lost`` (counts), ``won_value, lost_value`` (sum of ``amount``, company
    currency), ``win_rate_count`` = won / (won + lost), ``win_rate_value`` = won_value / (won_value +
    lost_value) (fractions; NaN when nothing closed). ``win_rate_value`` is also NaN — not measurable — when
    fewer than ``MIN_PRICED_LOSS_SHARE`` of the lost deals carry an amount above zero: CRMs often clear the amount
    of a lost deal, and a rate by value would then read close to 100%. One row per group with a deal closed in
    the window, sorted by group; ``by=()`` gives one row for the whole team (zeros and NaN rates if nothing
    closed).
    """
    deals.check_opportunities(opportunities)
    keys = deals.check_by(by, opportunities=opportunities)
    window_months = _check_window(window_months)
    as_of = as_timestamp(as_of, "as_of")

    closed = opportunities.loc[deals.closed_in_window(opportunities, as_of, window_months)]
    won = deals.won_mask(closed)
    closed = closed.assign(
        _won=won,
        _lost=~won,
        _won_value=closed["amount"].where(won, 0.0),
        _lost_value=closed["amount"].where(~won, 0.0),
        _lost_priced=~won & (closed["amount"].fillna(0.0) > 0).to_numpy(dtype=bool),
    )
    out = deals.aggregate(
        closed,
        keys,
        won=("_won", "sum"),
        lost=("_lost", "sum"),
        won_value=("_won_value", "sum"),
        lost_value=("_lost_value", "sum"),
        lost_priced=("_lost_priced", "sum"),
    ).astype({"won": "int64", "lost": "int64", "won_value": "float64", "lost_value": "float64"})
    priced = deals.ratio(out["lost_priced"], out["lost"]).fillna(1.0) >= MIN_PRICED_LOSS_SHARE
    return out.drop(columns="lost_priced").assign(
        win_rate_count=deals.ratio(out["won"], out["won"] + out["lost"]),
        win_rate_value=deals.ratio(out["won_value"], out["won_value"] + out["lost_value"]).where(priced),
    )


def deal_size_and_cycle(
    opportunities: pd.DataFrame, as_of, window_months: int = 12, by: Sequence[str] | str = ()
) -> pd.DataFrame:
    """Size and sales cycle of the deals won in the window ``(as_of - window_months months, as_of]``.

    Columns: ``<by...>, deals_won`` (count), ``average_deal_size`` (mean ``amount`` of won deals, company
    currency), ``median_cycle_days`` (median of close_date - created_date of won deals, calendar days).
    One row per group with a deal closed (won or lost) in the window, so rows line up with ``win_rates``;
    a group that won nothing has 0 and NaN. ``by=()`` gives one row for the whole team.
    """
    deals.check_opportunities(opportunities)
    keys = deals.check_by(by, opportunities=opportunities)
    window_months = _check_window(window_months)
    as_of = as_timestamp(as_of, "as_of")

    closed = opportunities.loc[deals.closed_in_window(opportunities, as_of, window_months)]
    won = deals.won_mask(closed)
    cycle_days = (closed["close_date"] - closed["created_date"]).dt.days.astype("float64")
    closed = closed.assign(_won=won, _won_amount=closed["amount"].where(won), _won_cycle=cycle_days.where(won))
    out = deals.aggregate(
        closed,
        keys,
        deals_won=("_won", "sum"),
        average_deal_size=("_won_amount", "mean"),
        median_cycle_days=("_won_cycle", "median"),
    )
    return out.astype({"deals_won": "int64", "average_deal_size": "float64", "median_cycle_days": "float64"})


# --------------------------------------------------------------------------------------------------
# 6. stage funnel


def stage_funnel(opportunities: pd.DataFrame, as_of, window_months: int = 12) -> pd.DataFrame:
    """Stage-to-stage conversion of the deals closed (won or lost) in ``(as_of - window_months months, as_of]``.

    One row per open stage in funnel order (``schema.OPEN_STAGES``). Columns: ``stage``, ``reached``
    (count of those deals that reached the stage), ``advanced`` (count that reached the next stage; for the
    last open stage: that were won), ``conversion`` = advanced / reached (fraction, NaN if none reached).

    How far a deal got: a won deal passed every open stage (a stage skipped on the way to a win counts
    as passed); any other deal reached its ``max_stage`` (or its current stage if that is open and
    further), and a lost deal with no ``max_stage`` only the first stage. Every closed deal therefore
    reaches the first stage and ``advanced`` of one stage equals ``reached`` of the next, so the product of
    the conversions equals the win rate by count of ``win_rates`` for the same window.
    """
    deals.check_opportunities(opportunities)
    window_months = _check_window(window_months)
    as_of = as_timestamp(as_of, "as_of")

    progress = deals.stage_progress(opportunities.loc[deals.closed_in_window(opportunities, as_of, window_months)])
    reached = np.array([(progress >= index).sum() for index in range(len(OPEN_STAGES))], dtype="int64")
    advanced = np.array([(progress >= index + 1).sum() for index in range(len(OPEN_STAGES))], dtype="int64")
    out = pd.DataFrame({"stage": pd.array(OPEN_STAGES, dtype="string"), "reached": reached, "advanced": advanced})
    return out.assign(conversion=deals.ratio(out["advanced"], out["reached"]))


# --------------------------------------------------------------------------------------------------
# 7.–8. pipeline velocity and coverage


def pipeline_velocity(opportunities: pd.DataFrame, as_of, window_months: int = 12) -> pd.DataFrame:
    """Pipeline velocity: how much money the current pipeline turns into per day.

    One row. Columns: ``open_opportunities`` (count of deals open at ``as_of``), ``win_rate_count``
    (fraction), ``average_deal_size`` (company currency) and ``median_cycle_days`` (days) — the last three
    from ``win_rates`` / ``deal_size_and_cycle`` over the window ``(as_of - window_months months, as_of]``.

    ``velocity_per_day`` = open_opportunities x win_rate_count x average_deal_size / median_cycle_days
    (the standard pipeline-velocity formula, with the median cycle instead of the mean so a few stalled
    deals do not dominate), in company currency per day; NaN when the cycle is 0 or unknown.
    ``velocity_per_month`` = velocity_per_day x 30.4375 (average days per month, 365.25 / 12).
    """
    deals.check_opportunities(opportunities)
    as_of = as_timestamp(as_of, "as_of")
    rates = win_rates(opportunities, as_of, window_months)
    sizes = deal_size_and_cycle(opportunities, as_of, window_months)

    open_count = int(deals.open_at(opportunities, as_of).sum())
    win_rate = float(rates["win_rate_count"].iloc[0])
    deal_size = float(sizes["average_deal_size"].iloc[0])
    cycle_days = float(sizes["median_cycle_days"].iloc[0])
    per_day = open_count * win_rate * deal_size / cycle_days if cycle_days > 0 else math.nan
    return pd.DataFrame(
        {
            "open_opportunities": pd.array([open_count], dtype="int64"),
            "win_rate_count": [win_rate],
            "average_deal_size": [deal_size],
            "median_cycle_days": [cycle_days],
            "velocity_per_day": [per_day],
            "velocity_per_month": [per_day * DAYS_PER_MONTH],
        }
    )


def pipeline_coverage(opportunities: pd.DataFrame, period_start, period_end, target, as_of=None) -> pd.DataFrame:
    """How far what is won plus the open pipeline covers a bookings target for a period.

    Rows ``commit``, ``best_case``, ``pipeline`` (most to least confident), then ``total``. Columns:

    * ``forecast_category``.
    * ``open_deals`` (count) and ``open_value`` (sum of ``amount``, company currency) of the deals open now
      (``is_closed`` false) whose expected ``close_date`` is in ``[period_start, period_end]``, both days
      included. A missing ``forecast_category`` (or no such column) counts as ``pipeline``; an open deal
      marked ``closed`` counts as ``commit``; ``omitted`` deals are left out of every row.
    * ``won_to_date``: amount won with close_date in ``[period_start, min(period_end, as_of)]`` (``as_of``
      defaults to ``period_end``); the same on every row.
    * ``coverage`` = (won_to_date + cumulative open_value) / target, cumulating the categories at least as
      confident: commit row = won + commit; best_case row = won + commit + best_case; pipeline row =
      won + commit + best_case + pipeline, the same as the total row. A fraction: 1.0 means the target is
      exactly covered.

    ``target`` is the bookings target in company currency; it must be > 0. Open deals whose expected
    close date slipped before ``period_start`` are not counted. ``as_of`` only bounds ``won_to_date``.
    """
    deals.check_opportunities(opportunities)
    start = as_timestamp(period_start, "period_start")
    end = as_timestamp(period_end, "period_end")
    if start > end:
        raise ValueError(f"period_start ({start.date()}) must not be after period_end ({end.date()})")
    if (
        isinstance(target, bool)
        or not isinstance(target, numbers.Real)
        or not math.isfinite(target)
        or target <= 0
    ):
        raise ValueError(f"target must be a bookings amount greater than 0 (company currency); got {target!r}")
    won_until = end if as_of is None else min(end, as_timestamp(as_of, "as_of"))

    close = opportunities["close_date"]
    in_period = ((close >= start) & (close <= end)).to_numpy(dtype=bool)
    open_deals = opportunities.loc[~deals.closed_mask(opportunities) & in_period]
    if "forecast_category" in opportunities.columns:
        category = open_deals["forecast_category"].astype(object).replace({"closed": "commit"})
        category = category.where(category.notna(), "pipeline")
    else:
        category = pd.Series("pipeline", index=open_deals.index, dtype=object)
    by_category = (
        open_deals.assign(forecast_category=category)
        .groupby("forecast_category")["amount"]
        .agg(["size", "sum"])
        .reindex(list(COVERAGE_CATEGORIES), fill_value=0)
    )

    won_in_period = ((close >= start) & (close <= won_until)).to_numpy(dtype=bool)
    won_to_date = float(opportunities.loc[deals.won_mask(opportunities) & won_in_period, "amount"].sum())

    counts = [*by_category["size"].astype("int64"), int(by_category["size"].sum())]
    values = [*by_category["sum"].astype("float64"), float(by_category["sum"].sum())]
    cumulative = [*np.cumsum(values[:-1]), values[-1]]
    return pd.DataFrame(
        {
            "forecast_category": pd.array([*COVERAGE_CATEGORIES, "total"], dtype="string"),
            "open_deals": pd.array(counts, dtype="int64"),
            "open_value": pd.array(values, dtype="float64"),
            "won_to_date": won_to_date,
            "coverage": (won_to_date + np.array(cumulative, dtype="float64")) / float(target),
        }
    )


# --------------------------------------------------------------------------------------------------
# 9. headline


def headline_kpis(
    opportunities: pd.DataFrame, as_of, fiscal_year_start_month: int = 1, window_months: int = 12
) -> pd.DataFrame:
    """The numbers an executive wants first, as one row.

    Columns:

    * ``last_quarter``: label of the last complete fiscal quarter (ending on or before ``as_of``).
    * ``bookings_last_quarter``: won amount in that quarter (company currency; 0 if nothing was won).
    * ``bookings_last_12_months``: won amount with close_date in ``(as_of - 12 months, as_of]``, whatever
      ``window_months`` is.
    * ``yoy_growth_last_quarter``: that quarter vs the same quarter a year earlier (fraction, see
      ``growth_by_quarter``).
    * ``win_rate_count``, ``win_rate_value``: from ``win_rates`` over ``window_months``.
    * ``average_deal_size``, ``median_cycle_days``: from ``deal_size_and_cycle`` over ``window_months``.
    * ``open_pipeline_value``: amount of the deals open at ``as_of`` (company currency).
    """
    deals.check_opportunities(opportunities)
    as_of = as_timestamp(as_of, "as_of")
    window_months = _check_window(window_months)

    last_quarter = quarter_label(deals.last_complete_quarter(as_of, fiscal_year_start_month))
    growth = growth_by_quarter(opportunities, fiscal_year_start_month, as_of)
    quarter_row = growth.loc[growth["quarter"] == last_quarter]
    has_quarter = len(quarter_row) > 0
    rates = win_rates(opportunities, as_of, window_months)
    sizes = deal_size_and_cycle(opportunities, as_of, window_months)
    last_year = win_rates(opportunities, as_of, 12)

    return pd.DataFrame(
        {
            "last_quarter": pd.array([last_quarter], dtype="string"),
            "bookings_last_quarter": [float(quarter_row["bookings"].iloc[0]) if has_quarter else 0.0],
            "bookings_last_12_months": [float(last_year["won_value"].iloc[0])],
            "yoy_growth_last_quarter": [float(quarter_row["yoy_growth"].iloc[0]) if has_quarter else math.nan],
            "win_rate_count": [float(rates["win_rate_count"].iloc[0])],
            "win_rate_value": [float(rates["win_rate_value"].iloc[0])],
            "average_deal_size": [float(sizes["average_deal_size"].iloc[0])],
            "median_cycle_days": [float(sizes["median_cycle_days"].iloc[0])],
            "open_pipeline_value": [float(opportunities.loc[deals.open_at(opportunities, as_of), "amount"].sum())],
        }
    )
