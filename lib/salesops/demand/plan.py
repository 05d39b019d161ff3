"""Step 2 leading indicators and demand drivers: what the open pipeline and the leads say about the planned
period, how those forecasts compare and blend with the statistical one, and what the demand will need.

The statistical forecast (history, trend, seasonality) lives in ``forecast.py``; this module only reads its
output, a long frame ``unique_id, ds, downside, base, upside`` per month (``unique_id`` ``"total"``,
``"segment=SMB"``, or nested such as ``"region=EMEA/segment=MM"``). Functions, in the order the step-2 page uses
them:

* :func:`stage_close_rates`, :func:`close_date_slippage` — what the pipeline history says about conversion
  and timing.
* :func:`pipeline_forecast` / :func:`pipeline_forecast_by_month` — the open pipeline due in the period, at
  measured close rates, less the share expected to slip, plus the deals still to be created and won in the
  period (:func:`new_deal_history`).
* :func:`lead_forecast` / :func:`lead_forecast_by_month` — the lead funnel's view of the period: open (scored)
  leads, leads already converted whose deal is still open, and expected new leads, at measured conversion, win
  rate, deal size and lags (lead to booking, conversion to booking).
* :func:`compare_forecasts`, :func:`method_weights`, :func:`explain_differences` — the three methods side by
  side and blended, and why they differ.
* :func:`demand_drivers`, :func:`hardware_units` — demand turned into deals, opportunities, leads, customers,
  tickets, delivery hours and hardware units (the inputs of step 3).

Conventions (those of ``collect/kpis.py`` unless said otherwise):

* ``as_of`` is the last day of known data. The **planned period** is ``[period_start, period_end]``, both days
  included (usually a fiscal quarter); it must end after ``as_of``.
* **History window**: deals closed, leads created and orders placed in ``(as_of - history_months calendar
  months, as_of]`` (collect's window rule: from a month's last day the window covers whole months).
* **Open at as_of**: created on or before ``as_of`` and not closed by then (``deals.open_at``).
  **Stale**: open at ``as_of`` with an expected ``close_date`` before ``as_of``.
* **Months**: ``ds`` is the first day (midnight) of a calendar month, as in ``forecast.py``. A month only
  partly inside the planned period counts only its days inside it.
* **Series ids**: ``unique_id`` is ``"total"`` or ``"segment=<segment>"`` (pipeline, as ``forecast.py``) and
  ``"grade=<grade>"``, ``"converted_open"`` or ``"new_leads"`` (lead forecast). Segments come from the ``segment`` column that
  ``collect.overview.attach_segments`` adds; without it there is only the total.
* **Scenarios**: ``base`` is the expected value. ``downside`` and ``upside`` bound the central
  ``settings.interval`` (80 % by default) of a normal approximation to the chance of which deals (leads) are
  won: each open deal is won in the period or not, independently, so the standard deviation is
  sqrt(sum of amount² × q × (1 − q)) with q its probability; new leads are a Poisson stream (variance =
  deal size² × expected wins). Downside is never below what is already won, upside never above won plus
  every open deal.
* Money is in the company currency; rates and shares are fractions (0.25 = 25 %); lags and cycles in calendar
  days; delivery in hours. Inputs are never modified; outputs have a fresh 0..n-1 index. Bad arguments raise
  ``ValueError`` naming the argument and what is accepted.

Estimators — measured in the data, never the CRM's default stage probabilities:

* **Stage close rate** of stage s: among the deals closed (won or lost) in the history window that reached s,
  the share that was won. "Reached" is ``kpis.stage_funnel``'s rule (a won deal passed every stage; any
  other deal reached the furthest of its ``max_stage`` and current stage). An open deal at s is valued at
  this rate: P(won | reached s). For the qualify stage it is the win rate by count.
* **Slippage**: the canonical data keeps only today's ``close_date`` (the actual date of a closed deal, the
  expected date of an open one), so no one can see how often an expected date was moved. What can be seen:
  of the deals *due* in the history window — closed there, or still open although their expected date
  passed (stale) — the share (by value) still open. That share missed its date and is unresolved; it is
  applied as the share of the pipeline due in the period that will not close in it. It is a lower bound
  (deals re-dated into the future and deals closed late under a rewritten date look on time) and it partly
  overlaps the close rate (a stale deal is often a lost deal not yet closed out). Stale deals are left out
  of the period (as in ``kpis.pipeline_coverage``) and reported apart.
* **Lead-to-booking lag**: for the lead-sourced deals won in the history window, close_date minus the lead's
  created_date. An open lead of age a gets the share of the lags longer than a that land in the period
  (conditional on not having booked yet); a new lead created on day d the share of all lags with d + lag in
  the period. **Conversion-to-booking lag**: for the same deals, close_date minus the deal's created_date (the day
  its lead converted); a converted lead whose deal is open at ``as_of`` at age a gets the share of these lags
  longer than a that land in the period.
* **New deals** (deals still to be created): the open pipeline cannot hold the deals that will be created
  *and* won inside the planned period (an SMB cycle is about five weeks). Their value is measured the way it
  would have looked at the start of each *past period* like the planned one: the planned period, its
  ``as_of`` and the day it starts shifted back by 1, 2, ... times its length in whole calendar months (a
  quarter: 3, 6, 9, 12 months), as long as the shifted ``as_of`` (the *origin*) is inside the history window
  ``[as_of - history_months months, as_of]``, the shifted period has ended by ``as_of`` and the origin is not
  before the earliest ``created_date`` in the data. A past period's *new-deal bookings* are the amounts of
  the deals created after its origin and won in it (from the day after the origin to its end). The
  expected new-deal bookings of the planned period are their mean over the past periods (per segment, and
  for the total), split by month as the past periods' months were; no trend or seasonality is applied.
  Their spread is the past periods' standard deviation s (n periods, n - 1 degrees of freedom) widened for
  a new period, s × sqrt(1 + 1/n); with a single past period, a compound-Poisson guess, sqrt(sum of
  amount²). The spread adds to the pipeline's variance (new deals taken as independent of the open ones).
  What neither part sees: open deals due outside the period that close in it, and stale deals that still
  close.
* **Blend weights**: ``settings.blend_weights`` when set; else inverse backtest error, w_m = (1/e_m) /
  sum_k (1/e_k) over the methods available (a method with no backtest error is given the largest error
  measured: untested counts as no better than the worst tested); equal weights when no errors are given.
  In the workbook only the statistical forecast has a backtest error, so the default blend is **equal
  weights**: the pipeline and lead methods cannot be backtested honestly, because the data keep no history of
  stages, expected close dates or lead scores. Rebuilding the pipeline open at a past quarter start from the
  closed deals would value each deal by the stage it finally reached and select it by the date it actually
  closed: both known only after the fact, so such a backtest would flatter the pipeline method. Stored
  pipeline snapshots would make it possible.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from salesops.checks import as_timestamp
from salesops.collect.scoring import converted_by
from salesops.contract.schema import OPEN_STAGES, SEGMENTS, TEXT_DTYPE
from salesops.deals import (
    OPPORTUNITY_COLUMNS,
    UNKNOWN,
    aggregate,
    check_by,
    closed_in_window,
    closed_mask,
    furthest_open_stage,
    in_window,
    open_at,
    ratio,
    stage_progress,
    text_array,
    window_start,
    won_mask,
)
from salesops.demand.methods import METHOD_LABELS, METHODS, SCENARIOS  # noqa: F401 (METHOD_LABELS: the page's words)
from salesops.report.formats import money, percent

#: ``unique_id`` of the company total.
TOTAL = "total"
#: ``unique_id`` of the lead forecast's expected new leads.
NEW_LEADS = "new_leads"
#: ``unique_id`` of the lead forecast's leads already converted whose deal is still open.
CONVERTED_OPEN = "converted_open"
#: Segment (or region) of a deal that has none.

#: Delivery (implementation) hours per won deal, by product of the sample company. Rough defaults: set your own.
DEFAULT_DELIVERY_HOURS: dict[str, float] = {
    "Platform": 40.0,
    "Analytics": 16.0,
    "Integrations": 24.0,
    "Onboarding Services": 60.0,
    "Premium Support": 8.0,
    "Edge Gateway": 0.0,
}

PIPELINE_COLUMNS: tuple[str, ...] = (
    "unique_id", "segment", "open_deals", "open_value", "commit_value", "best_case_value", "weighted_value",
    "slip_share", "expected_pipeline", "expected_new_deals", "new_deal_periods", "won_to_date", "downside", "base",
    "upside", "commit_total",
    "best_case_total", "stale_deals", "stale_value", "target", "coverage", "expected_attainment",
)
PIPELINE_MONTH_COLUMNS: tuple[str, ...] = (
    "unique_id", "segment", "ds", "open_deals", "open_value", "weighted_value", "expected_pipeline",
    "expected_new_deals", "won_to_date", "downside", "base", "upside",
)
NEW_DEAL_COLUMNS: tuple[str, ...] = (
    "unique_id", "segment", "origin", "period_start", "period_end", "won_deals", "new_deal_bookings",
)
LEAD_COLUMNS: tuple[str, ...] = (
    "unique_id", "leads", "mean_probability", "expected_opportunities", "expected_wins", "share_in_period",
    "lead_sourced_bookings", "converted_open_bookings", "downside", "base", "upside", "win_rate",
    "average_deal_size", "median_lag_days", "median_conversion_lag_days", "lead_sourced_share",
)
LEAD_MONTH_COLUMNS: tuple[str, ...] = (
    "unique_id", "ds", "expected_wins", "lead_sourced_bookings", "converted_open_bookings", "downside", "base",
    "upside",
)
COMPARISON_COLUMNS: tuple[str, ...] = (
    "method", "scenario", "bookings", "weight", "vs_reference", "weight_basis", "reason",
)
DRIVER_COLUMNS: tuple[str, ...] = (
    "segment", "ds", "bookings", "average_deal_size", "deals", "win_rate", "opportunities", "median_cycle_days",
    "lead_sourced_share", "lead_conversion", "qualified_leads", "new_customers", "support_tickets",
    "delivery_hours_per_deal", "delivery_hours", "hours_unknown_share",
)
HARDWARE_COLUMNS: tuple[str, ...] = (
    "product", "region", "ds", "units", "trailing_monthly_units", "annual_growth",
)


# --------------------------------------------------------------------------------------------------
# settings


class DemandSettings(BaseModel):
    """Leading-indicator forecasts and demand drivers (the ``demand:`` block of the params).

    Every field has a working default; unknown keys are rejected.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    history_months: int = Field(
        12,
        description="History window, calendar months: close rates, slippage, win rates, deal sizes, lags, "
                    "conversions, product mix and hardware run rates are measured on deals closed (leads created, "
                    "orders placed) in the last this many months before as_of. 1-60.",
    )
    slippage: bool = Field(
        True,
        description="true: the pipeline forecast takes off the measured share of due deals that slip past their "
                    "expected close date (see close_date_slippage); false: every deal due in the period is "
                    "assumed to close in it (at its close rate).",
    )
    pipeline_new_deals: bool = Field(
        True,
        description="true: the pipeline forecast adds the deals still to be created and won inside the planned "
                    "period, at the mean of the same-length past periods of the history window (see "
                    "new_deal_history); false: only the pipeline in hand (deals open at as_of).",
    )
    blend_weights: dict[str, float] | None = Field(
        None,
        description="Weight of each forecasting method in the blended forecast, {statistical, pipeline, leads: "
                    "weight >= 0}; rescaled to add up to 1 over the methods available, a method left out weighs 0. "
                    "null (default): weights inverse to each method's backtest error, w = (1/error) / sum(1/error); "
                    "equal weights when no backtest errors are given.",
    )
    delivery_hours_per_deal: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_DELIVERY_HOURS),
        description="Delivery (implementation, onboarding) hours each won deal of a product needs, {product: "
                    "hours >= 0}. A product not listed needs 0 hours and is counted in hours_unknown_share. "
                    "Default (the sample's products): Platform 40, Analytics 16, Integrations 24, Onboarding "
                    "Services 60, Premium Support 8, Edge Gateway 0 (hardware).",
    )
    customers_per_deal: float = Field(
        1.0,
        description="New customers to onboard per won deal (>= 0): 1 when every deal is a new logo, lower when "
                    "some deals are expansions of existing customers.",
    )
    support_tickets_per_customer_month: float = Field(
        0.5,
        description="Support tickets a new customer raises per month (>= 0), counted from the month it is won.",
    )
    min_rate_deals: int = Field(
        20,
        description="A segment's close rate (slip share, win rate, deal size, product mix) is used when it was "
                    "measured on at least this many deals; below that, the all-segment value. >= 1.",
    )
    interval: float = Field(
        0.8,
        description="Central probability between the downside and upside scenarios of the pipeline and lead "
                    "forecasts (0.8: downside and upside are the 10th and 90th percentiles). Align it with the "
                    "statistical forecast's interval. Between 0 and 1.",
    )
    lead_outcome_days: int = Field(
        90,
        description="A lead's conversion to an opportunity counts as known once the lead is this many days old: "
                    "the lead-to-opportunity conversion is measured on the leads created in the history window "
                    "shifted back by this many days. 1-3650.",
    )
    lead_forecast_scope: Literal["all_bookings", "lead_sourced"] = Field(
        "all_bookings",
        description="'all_bookings' (default): the lead forecast (open leads, converted leads whose deal is "
                    "still open, new leads: all lead-sourced) is grossed up by the measured share of won value that "
                    "came from leads, so it is comparable with the other methods; the gross-up stands in only for "
                    "deals not from a lead, so nothing is counted twice. 'lead_sourced': only the bookings of deals "
                    "that come from leads.",
    )
    agreement_tolerance: float = Field(
        0.1,
        description="Two forecasts within this fraction of each other (0.1: ±10 %) are said to agree. 0 to 1.",
    )

    @field_validator("history_months", "min_rate_deals", "lead_outcome_days", mode="before")
    @classmethod
    def _whole_number(cls, value: Any, info) -> int:
        bounds = {"history_months": (1, 60), "min_rate_deals": (1, 10**9), "lead_outcome_days": (1, 3650)}
        low, high = bounds[info.field_name]
        integral = isinstance(value, numbers.Integral) or (isinstance(value, float) and value.is_integer())
        if isinstance(value, bool) or not integral or not low <= value <= high:
            limit = f"from {low} to {high}" if high < 10**9 else f"of at least {low}"
            raise ValueError(
                f"{info.field_name} must be a whole number {limit}, e.g. "
                f"{cls.model_fields[info.field_name].default}; got {value!r}"
            )
        return int(value)

    @field_validator("customers_per_deal", "support_tickets_per_customer_month", mode="before")
    @classmethod
    def _non_negative(cls, value: Any, info) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
            raise ValueError(
                f"{info.field_name} must be a number of 0 or more, e.g. {cls.model_fields[info.field_name].default}; "
                f"got {value!r}"
            )
        return float(value)

    @field_validator("interval", "agreement_tolerance", mode="before")
    @classmethod
    def _fraction(cls, value: Any, info) -> float:
        ok = not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value)
        if info.field_name == "interval":
            ok = ok and 0 < value < 1
            rule = "a fraction strictly between 0 and 1, e.g. 0.8 for an 80 % interval"
        else:
            ok = ok and 0 <= value <= 1
            rule = "a fraction from 0 to 1, e.g. 0.1 for ±10 %"
        if not ok:
            raise ValueError(f"{info.field_name} must be {rule}; got {value!r}")
        return float(value)

    @field_validator("blend_weights", mode="before")
    @classmethod
    def _weights(cls, weights: Any) -> dict[str, float] | None:
        if weights is None:
            return None
        if not isinstance(weights, Mapping) or not weights:
            raise ValueError(
                "blend_weights must be a mapping of method to weight, e.g. {statistical: 0.5, pipeline: 0.3, "
                f"leads: 0.2}}, or null to derive the weights from backtest errors; got {weights!r}"
            )
        unknown = [name for name in weights if name not in METHODS]
        if unknown:
            raise ValueError(f"blend_weights has unknown method(s) {unknown}; valid: {', '.join(METHODS)}")
        bad = {name: value for name, value in weights.items()
               if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value)
               or value < 0}
        if bad:
            raise ValueError(f"blend_weights must be numbers of 0 or more; got {bad}")
        if sum(float(value) for value in weights.values()) <= 0:
            raise ValueError(
                f"blend_weights are all 0 ({dict(weights)}): give at least one method a positive weight, or set "
                "blend_weights to null to derive them from backtest errors"
            )
        return {name: float(value) for name, value in weights.items()}

    @field_validator("delivery_hours_per_deal", mode="before")
    @classmethod
    def _hours(cls, hours: Any) -> dict[str, float]:
        if not isinstance(hours, Mapping):
            raise ValueError(
                f"delivery_hours_per_deal must be a mapping of product to hours, e.g. {{Platform: 40}}; got {hours!r}"
            )
        blank = [name for name in hours if not str(name).strip()]
        if blank:
            raise ValueError("delivery_hours_per_deal has an empty product name")
        bad = {name: value for name, value in hours.items()
               if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value)
               or value < 0}
        if bad:
            raise ValueError(f"delivery_hours_per_deal must give 0 or more hours per product; got {bad}")
        return {str(name): float(value) for name, value in hours.items()}


# --------------------------------------------------------------------------------------------------
# argument checks and shared helpers


def _check_settings(settings) -> DemandSettings:
    if settings is None:
        return DemandSettings()
    if not isinstance(settings, DemandSettings):
        raise ValueError(f"settings must be a DemandSettings (or None for the defaults); got {type(settings).__name__}")
    return settings


def _check_frame(frame, name: str, columns: Sequence[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame; got {type(frame).__name__}")
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing required column(s) {missing}; it has {list(frame.columns)}")


def _check_opportunities(opportunities) -> None:
    _check_frame(opportunities, "opportunities", OPPORTUNITY_COLUMNS)


def _check_period(as_of, period_start, period_end) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
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


def _months(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """First days of the calendar months from the one containing ``start`` to the one containing ``end``."""
    periods = pd.period_range(start.to_period("M"), end.to_period("M"), freq="M")
    return pd.DatetimeIndex(periods.start_time, name="ds").astype("datetime64[ns]")


def _month_start(dates: pd.Series) -> pd.Series:
    return dates.dt.to_period("M").dt.start_time.astype("datetime64[ns]")


def _period_lengths(ds: pd.Series) -> np.ndarray:
    """Days each row's period lasts: a calendar month when every ``ds`` is a month's first day (monthly rows),
    else a week of 7 days from ``ds`` (weekly rows, ``forecast.py``'s ``freq: W``)."""
    ds = pd.to_datetime(pd.Series(ds))
    if (ds.dt.day == 1).all():
        return ds.dt.days_in_month.to_numpy(dtype=np.int64)
    return np.full(len(ds), 7, dtype=np.int64)


def _share_inside(ds: pd.Series, start: pd.Timestamp | None, end: pd.Timestamp | None) -> np.ndarray:
    """Share of each row's period (:func:`_period_lengths`) whose days fall in ``[start, end]`` (1 where a
    bound is None)."""
    first = _days(ds)
    length = _period_lengths(ds)
    last = first + length - 1
    lo = first if start is None else np.maximum(first, _days([start])[0])
    hi = last if end is None else np.minimum(last, _days([end])[0])
    return np.clip(hi - lo + 1, 0, None) / length


def _days(dates) -> np.ndarray:
    """Dates as whole days since 1970-01-01 (int64)."""
    return (pd.to_datetime(pd.Series(dates)).dt.normalize().to_numpy(dtype="datetime64[D]")).astype(np.int64)


def _z(interval: float) -> float:
    return NormalDist().inv_cdf(0.5 + interval / 2)


def _segment_values(frame: pd.DataFrame, segment_column: str | None) -> pd.Series | None:
    """The segment of each row as plain text (missing: ``Unknown``), or None when there is no such column."""
    if segment_column is None or segment_column not in frame.columns:
        return None
    values = frame[segment_column].astype(object)
    return values.where(values.notna(), UNKNOWN).astype(str)


def _segment_order(names) -> list[str]:
    """The canonical segments first (SMB, MM, ENT), then others alphabetically, ``Unknown`` last."""
    known = {name: index for index, name in enumerate(SEGMENTS)}
    return sorted(set(names), key=lambda name: (name == UNKNOWN, known.get(name, len(known)), name))


def _segment_id(segment: str) -> str:
    return f"segment={segment}"


def _lookup(table: pd.Series, keys: pd.MultiIndex | pd.Index) -> np.ndarray:
    return table.reindex(keys).to_numpy(dtype=float)


def _group_measure(values: np.ndarray, by_group: dict[str, tuple[float, int]], total: float,
                   minimum: int) -> np.ndarray:
    """Per row, the group's measured value when measured on at least ``minimum`` cases, else ``total``."""
    out = np.full(len(values), total, dtype=float)
    for index, group in enumerate(values):
        measured = by_group.get(group)
        if measured is not None and measured[1] >= minimum and not math.isnan(measured[0]):
            out[index] = measured[0]
    return out


# --------------------------------------------------------------------------------------------------
# 1. stage close rates and slippage


def stage_close_rates(opportunities: pd.DataFrame, as_of, settings: DemandSettings | None = None,
                      by: Sequence[str] | str = ()) -> pd.DataFrame:
    """Measured close rate of each open stage: P(won | the deal reached the stage).

    Deals: closed (won or lost) in the history window ``(as_of - history_months months, as_of]``. For each stage
    of ``schema.OPEN_STAGES`` (funnel order): ``deals`` = how many of them reached it (count; a won deal passed
    every stage, any other reached the furthest of ``max_stage`` and its current stage, as in
    ``kpis.stage_funnel``), ``won`` = how many of those were won (count), ``close_rate`` = won / deals
    (fraction; NaN when no deal reached the stage). The first stage's rate is the win rate by count.

    Columns ``<by...>, stage, deals, won, close_rate``: one row per stage (``by=()``) or per group with a deal
    closed in the window × stage, sorted by group then funnel order.
    """
    settings = _check_settings(settings)
    _check_opportunities(opportunities)
    keys = check_by(by, opportunities=opportunities)
    as_of = as_timestamp(as_of, "as_of")

    closed = opportunities.loc[closed_in_window(opportunities, as_of, settings.history_months)]
    base = pd.DataFrame({key: closed[key].to_numpy() for key in keys}, index=pd.RangeIndex(len(closed)))
    progress = stage_progress(closed)
    won = won_mask(closed)
    parts = []
    for index in range(len(OPEN_STAGES)):
        reached = progress >= index
        parts.append(base.assign(_stage=index, _deals=reached.astype(np.int64), _won=(reached & won).astype(np.int64)))
    long = pd.concat(parts, ignore_index=True) if parts else base
    if keys:
        out = (long.groupby([*keys, "_stage"], dropna=False, sort=True)[["_deals", "_won"]].sum().reset_index())
    else:
        out = (long.groupby("_stage")[["_deals", "_won"]].sum()
               .reindex(range(len(OPEN_STAGES)), fill_value=0).rename_axis("_stage").reset_index())
    out = out.rename(columns={"_deals": "deals", "_won": "won"}).astype({"deals": "int64", "won": "int64"})
    stage = np.array(OPEN_STAGES, dtype=object)[out["_stage"].to_numpy(dtype=np.int64)]
    out = out.drop(columns="_stage")
    out.insert(len(keys), "stage", text_array(stage))
    return out.assign(close_rate=ratio(out["won"], out["deals"])).reset_index(drop=True)


def close_date_slippage(opportunities: pd.DataFrame, as_of, settings: DemandSettings | None = None,
                        by: Sequence[str] | str = ()) -> pd.DataFrame:
    """How often deals miss their expected close date: the share of the deals due in the history window that
    are still open after their date passed (see "Slippage" in the module docstring for what this can and
    cannot see).

    Deals *due* in the window ``(as_of - history_months months, as_of]``, created on or before ``as_of``:

    * closed there (``close_date`` is then the actual date: taken as on time), or
    * *slipped*: still open with an expected ``close_date`` in the window and before ``as_of`` (stale).

    Columns ``<by...>, due_deals, due_value, slipped_deals, slipped_value`` (counts; sums of ``amount``, company
    currency), ``slip_share_count`` = slipped_deals / due_deals, ``slip_share`` = slipped_value / due_value
    (fractions, NaN when nothing was due; the value share is the one the pipeline forecast applies),
    ``median_days_late`` = median of ``as_of - close_date`` of the slipped deals (days past the expected date
    so far; NaN when none slipped). One row (``by=()``) or one per group with a due deal, sorted by group.
    """
    settings = _check_settings(settings)
    _check_opportunities(opportunities)
    keys = check_by(by, opportunities=opportunities)
    as_of = as_timestamp(as_of, "as_of")

    close = opportunities["close_date"]
    created = (opportunities["created_date"] <= as_of).to_numpy(dtype=bool)
    in_history = in_window(close, as_of, settings.history_months)
    closed = closed_mask(opportunities)
    slipped = created & in_history & ~closed & (close < as_of).to_numpy(dtype=bool)
    due = (created & in_history & closed) | slipped
    frame = opportunities.loc[due]
    is_slipped = slipped[due]
    late = (as_of - frame["close_date"]).dt.days.astype("float64")
    frame = frame.assign(
        _one=1,
        _slipped=is_slipped.astype(np.int64),
        _slipped_value=frame["amount"].where(is_slipped, 0.0),
        _late=late.where(is_slipped),
    )
    out = aggregate(
        frame, keys, due_deals=("_one", "sum"), due_value=("amount", "sum"), slipped_deals=("_slipped", "sum"),
        slipped_value=("_slipped_value", "sum"), median_days_late=("_late", "median"),
    ).astype({"due_deals": "int64", "due_value": "float64", "slipped_deals": "int64", "slipped_value": "float64",
              "median_days_late": "float64"})
    out = out.assign(
        slip_share_count=ratio(out["slipped_deals"], out["due_deals"]),
        slip_share=ratio(out["slipped_value"], out["due_value"]),
    )
    columns = [*keys, "due_deals", "due_value", "slipped_deals", "slipped_value", "slip_share_count", "slip_share",
               "median_days_late"]
    return out[columns].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# 2. pipeline forecast


def _check_target(target) -> dict[str, float] | None:
    """``target`` as {unique_id: amount}: a number is the total's target, a mapping gives segments (and
    optionally ``total``; else the total is the sum of the segment targets)."""
    if target is None:
        return None

    def amount(value, name: str) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
            raise ValueError(f"target{name} must be a bookings amount greater than 0 (company currency); got {value!r}")
        return float(value)

    if isinstance(target, Mapping):
        if not target:
            raise ValueError("target must be a number, a mapping {segment: amount} or None; got an empty mapping")
        out = {}
        for key, value in target.items():
            key = str(key)
            out[TOTAL if key == TOTAL else _segment_id(key.removeprefix("segment="))] = amount(value, f"[{key!r}]")
        if TOTAL not in out:
            out[TOTAL] = sum(out.values())
        return out
    return {TOTAL: amount(target, "")}


def _measured_rates(opportunities, as_of, settings, segment, close_rates) -> tuple[pd.Series, pd.Series | None]:
    """(all-segment rate per stage, per (segment, stage) rate already falling back to the all-segment rate
    where measured on fewer than ``min_rate_deals`` deals, or None without segments)."""
    if close_rates is not None:
        _check_frame(close_rates, "close_rates", ("stage", "close_rate"))
        rates = close_rates["close_rate"].astype("float64")
        if rates.isna().any() or ((rates < 0) | (rates > 1)).any():
            raise ValueError("close_rates.close_rate must be fractions from 0 to 1 with no missing value")
        stages = close_rates["stage"].astype(object).astype(str)
        unknown = sorted(set(stages) - set(OPEN_STAGES))
        if unknown:
            raise ValueError(f"close_rates has unknown stage(s) {unknown}; valid: {', '.join(OPEN_STAGES)}")
        if "segment" in close_rates.columns:
            index = pd.MultiIndex.from_arrays([_segment_values(close_rates, "segment").to_numpy(), stages.to_numpy()])
            by_segment = pd.Series(rates.to_numpy(), index=index)
            if not by_segment.index.is_unique:
                raise ValueError("close_rates has more than one row for some segment and stage")
            return pd.Series(np.nan, index=list(OPEN_STAGES)), by_segment
        total = pd.Series(rates.to_numpy(), index=stages.to_numpy())
        if not total.index.is_unique:
            raise ValueError("close_rates has more than one row for some stage; give one close_rate per stage")
        return total.reindex(list(OPEN_STAGES)), None

    total_table = stage_close_rates(opportunities, as_of, settings)
    total = pd.Series(total_table["close_rate"].to_numpy(dtype=float), index=list(OPEN_STAGES))
    if segment is None:
        return total, None
    table = stage_close_rates(opportunities.assign(_segment=segment), as_of, settings, by="_segment")
    stages = table["stage"].astype(object).to_numpy()
    fallback = total.reindex(stages).to_numpy()
    rate = np.where(table["deals"].to_numpy() >= settings.min_rate_deals, table["close_rate"].to_numpy(dtype=float),
                    fallback)
    index = pd.MultiIndex.from_arrays([table["_segment"].astype(object).to_numpy(), stages])
    return total, pd.Series(rate, index=index)


def _measured_slip(opportunities, as_of, settings, segment, slip_share) -> tuple[float, dict[str, float]]:
    """(all-segment slip share, {segment: slip share}) as applied: 0 when slippage is off or nothing was due."""
    if not settings.slippage:
        return 0.0, {}
    if slip_share is not None:
        if (isinstance(slip_share, bool) or not isinstance(slip_share, numbers.Real)
                or not 0 <= slip_share < 1):
            raise ValueError(f"slip_share must be a fraction from 0 up to (not including) 1; got {slip_share!r}")
        return float(slip_share), {}
    total = float(close_date_slippage(opportunities, as_of, settings)["slip_share"].iloc[0])
    total = 0.0 if math.isnan(total) else total
    if segment is None:
        return total, {}
    table = close_date_slippage(opportunities.assign(_segment=segment), as_of, settings, by="_segment")
    by_segment = {}
    for name, due, share in zip(table["_segment"].astype(object), table["due_deals"], table["slip_share"]):
        usable = due >= settings.min_rate_deals and not math.isnan(share)
        by_segment[str(name)] = float(share) if usable else total
    return total, by_segment


def _past_periods(opportunities: pd.DataFrame, as_of: pd.Timestamp, start: pd.Timestamp, end: pd.Timestamp,
                  settings: DemandSettings) -> list[tuple[int, pd.Timestamp, pd.Timestamp, pd.Timestamp]]:
    """(shift in months, origin, first bookable day, last day) of each past period like the planned one, most
    recent first (rules under "New deals" in the module docstring)."""
    step = len(_months(start, end))
    history_start = window_start(as_of, settings.history_months)
    earliest = opportunities["created_date"].min()
    first_day = max(start, as_of + pd.Timedelta(days=1))
    periods = []
    shift = step
    while (origin := window_start(as_of, shift)) >= history_start:
        last_day = window_start(end, shift)
        if last_day <= as_of and not (pd.isna(earliest) or origin < earliest):
            periods.append((shift, origin, window_start(first_day, shift), last_day))
        shift += step
    return periods


def _new_deal_items(opportunities: pd.DataFrame, labels: pd.Series, as_of, start, end, settings, include=True):
    """(won deals created and won inside each past period: ``segment, _period, ds, amount`` with ``ds`` the
    *planned* month the deal's month stands for; the past periods). ``include`` false: none."""
    periods = _past_periods(opportunities, as_of, start, end, settings) if include else []
    won = won_mask(opportunities)
    created, close = opportunities["created_date"], opportunities["close_date"]
    pieces = []
    for index, (shift, origin, first_day, last_day) in enumerate(periods):
        inside = won & ((created > origin) & (close >= first_day) & (close <= last_day)).to_numpy(dtype=bool)
        pieces.append(pd.DataFrame({
            "segment": labels[inside].to_numpy(dtype=object),
            "_period": index,
            "ds": (_month_start(close[inside]) + pd.DateOffset(months=shift)).to_numpy(dtype="datetime64[ns]"),
            "amount": opportunities.loc[inside, "amount"].to_numpy(dtype=float),
        }))
    empty = pd.DataFrame({"segment": pd.Series(dtype=object), "_period": pd.Series(dtype="int64"),
                          "ds": pd.Series(dtype="datetime64[ns]"), "amount": pd.Series(dtype=float)})
    return pd.concat([empty, *pieces], ignore_index=True), periods


def _new_deal_expectation(new: pd.DataFrame, n_periods: int, keys: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """(mean, variance) per row of ``keys`` (``unique_id``, or ``unique_id, ds``) of the new-deal bookings over
    the past periods (module docstring); zeros without a past period."""
    if n_periods == 0:
        return np.zeros(len(keys)), np.zeros(len(keys))
    names = list(keys.names)
    per_period = (new.groupby([*names, "_period"])["amount"].sum().unstack("_period")
                  .reindex(index=keys, columns=range(n_periods)).fillna(0.0))
    mean = per_period.mean(axis=1).to_numpy(dtype=float)
    if n_periods >= 2:
        variance = per_period.var(axis=1, ddof=1).to_numpy(dtype=float) * (1 + 1 / n_periods)
    else:  # one period: compound Poisson, sum of amount²
        variance = (new.assign(_square=new["amount"] ** 2).groupby(names)["_square"].sum()
                    .reindex(keys, fill_value=0.0).to_numpy(dtype=float))
    return mean, variance


def new_deal_history(
    opportunities: pd.DataFrame,
    as_of,
    period_start,
    period_end,
    settings: DemandSettings | None = None,
    *,
    segment_column: str | None = "segment",
) -> pd.DataFrame:
    """The deals created and won inside each past period like the planned one: what the pipeline forecast adds
    for the deals still to be created (``expected_new_deals`` = the mean of ``new_deal_bookings`` over these
    periods; the rules are under "New deals" in the module docstring).

    One row per ``unique_id`` (``segment=<s>`` for every segment of ``segment_column``, then ``total``; only
    ``total`` without that column) × past period, most recent period first. Columns: ``origin`` (the past
    period's stand-in for ``as_of``: deals created after it count), ``period_start``, ``period_end`` (the days
    a deal had to be won in, both included), ``won_deals`` (count) and ``new_deal_bookings`` (their amount,
    company currency). No row when no past period fits in the history window.
    """
    settings = _check_settings(settings)
    _check_opportunities(opportunities)
    as_of, start, end = _check_period(as_of, period_start, period_end)
    segment = _segment_values(opportunities, segment_column)
    labels = pd.Series(TOTAL, index=opportunities.index) if segment is None else segment
    new, periods = _new_deal_items(opportunities, labels, as_of, start, end, settings)
    ids, names = _series_ids(segment)
    grid = pd.MultiIndex.from_product([ids, range(len(periods))], names=["unique_id", "_period"])
    table = (_with_total(new.assign(_deals=1), segment is not None).groupby(["unique_id", "_period"])
             [["_deals", "amount"]].sum().reindex(grid, fill_value=0))
    period_index = grid.get_level_values("_period")
    out = pd.DataFrame({
        "unique_id": text_array(grid.get_level_values("unique_id")),
        "segment": text_array(names[i] for i in grid.get_level_values("unique_id")),
        "origin": pd.DatetimeIndex([periods[i][1] for i in period_index]).astype("datetime64[ns]"),
        "period_start": pd.DatetimeIndex([periods[i][2] for i in period_index]).astype("datetime64[ns]"),
        "period_end": pd.DatetimeIndex([periods[i][3] for i in period_index]).astype("datetime64[ns]"),
        "won_deals": table["_deals"].to_numpy(dtype=np.int64),
        "new_deal_bookings": table["amount"].to_numpy(dtype=float),
    })
    return out[list(NEW_DEAL_COLUMNS)]


def _series_ids(segment: pd.Series | None) -> tuple[list[str], dict[str, str]]:
    """(``unique_id`` values in order, {unique_id: segment label}): the segments then ``total``."""
    if segment is None:
        return [TOTAL], {TOTAL: TOTAL}
    order = _segment_order(segment)
    return [*(_segment_id(name) for name in order), TOTAL], {**{_segment_id(name): name for name in order},
                                                              TOTAL: TOTAL}


def _pipeline_parts(opportunities, as_of, period_start, period_end, settings, segment_column, close_rates,
                    slip_share):
    """Deal-level pieces of the pipeline forecast: (items due in the period, won in the period to date, stale
    deals, ids in order, {id: segment label}, months)."""
    settings = _check_settings(settings)
    _check_opportunities(opportunities)
    as_of, start, end = _check_period(as_of, period_start, period_end)
    segment = _segment_values(opportunities, segment_column)
    labels = pd.Series(TOTAL, index=opportunities.index) if segment is None else segment

    total_rates, segment_rates = _measured_rates(opportunities, as_of, settings, segment, close_rates)
    total_slip, segment_slip = _measured_slip(opportunities, as_of, settings, segment, slip_share)

    open_mask = open_at(opportunities, as_of)
    if "forecast_category" in opportunities.columns:
        category = opportunities["forecast_category"].astype(object)
        category = category.where(category.notna(), "pipeline").replace({"closed": "commit"})
    else:
        category = pd.Series("pipeline", index=opportunities.index, dtype=object)
    counted = open_mask & (category != "omitted").to_numpy(dtype=bool)
    close = opportunities["close_date"]
    stale_mask = counted & (close < as_of).to_numpy(dtype=bool)
    due_mask = counted & ~stale_mask & ((close >= start) & (close <= end)).to_numpy(dtype=bool)

    due = opportunities.loc[due_mask]
    stage_index = furthest_open_stage(due)
    stage = np.array(OPEN_STAGES, dtype=object)[stage_index]
    group = labels[due_mask].to_numpy(dtype=object)
    if segment_rates is not None:
        rate = _lookup(segment_rates, pd.MultiIndex.from_arrays([group, stage]))
        if close_rates is None:  # a segment with no closed deal at all: the all-segment rate
            rate = np.where(np.isnan(rate), total_rates.reindex(stage).to_numpy(), rate)
    else:
        rate = total_rates.reindex(stage).to_numpy(dtype=float)
    if np.isnan(rate).any():
        missing = sorted({f"{g}/{s}" if segment_rates is not None else s
                          for g, s, r in zip(group, stage, rate) if math.isnan(r)})
        source = ("close_rates has no rate for" if close_rates is not None else
                  f"no deal closed in the last {settings.history_months} months reached")
        raise ValueError(f"{source} {missing}, where open deals are due in the period: "
                         "widen demand.history_months or pass close_rates")
    slip = np.array([segment_slip.get(g, total_slip) for g in group], dtype=float) if len(group) else np.zeros(0)
    amount = due["amount"].to_numpy(dtype=float)
    probability = rate * (1.0 - slip)
    due_category = category[due_mask].to_numpy(dtype=object)
    items = pd.DataFrame({
        "segment": group,
        "ds": _month_start(due["close_date"]).to_numpy(),
        "open_deals": np.ones(len(due), dtype=np.int64),
        "open_value": amount,
        "commit_value": np.where(due_category == "commit", amount, 0.0),
        "best_case_value": np.where(due_category == "best_case", amount, 0.0),
        "weighted_value": amount * rate,
        "expected_pipeline": amount * probability,
        "_variance": amount**2 * probability * (1.0 - probability),
    })

    won_until = min(end, as_of)
    won_now = won_mask(opportunities) & ((close >= start) & (close <= won_until)).to_numpy(dtype=bool)
    won = pd.DataFrame({
        "segment": labels[won_now].to_numpy(dtype=object),
        "ds": _month_start(opportunities.loc[won_now, "close_date"]).to_numpy(),
        "won_to_date": opportunities.loc[won_now, "amount"].to_numpy(dtype=float),
    })
    stale = pd.DataFrame({
        "segment": labels[stale_mask].to_numpy(dtype=object),
        "stale_deals": np.ones(int(stale_mask.sum()), dtype=np.int64),
        "stale_value": opportunities.loc[stale_mask, "amount"].to_numpy(dtype=float),
    })
    new, periods = _new_deal_items(opportunities, labels, as_of, start, end, settings, settings.pipeline_new_deals)
    ids, names = _series_ids(segment)
    return items, won, stale, (new, len(periods)), ids, names, _months(start, end), settings


def _with_total(frame: pd.DataFrame, has_segments: bool) -> pd.DataFrame:
    """Rows of ``frame`` keyed ``unique_id``: once per segment (when there are segments) and once as total."""
    totals = frame.assign(unique_id=TOTAL)
    if not has_segments:
        return totals
    return pd.concat([frame.assign(unique_id=frame["segment"].map(_segment_id)), totals], ignore_index=True)


def _scenarios(base: np.ndarray, sd: np.ndarray, floor: np.ndarray, ceiling: np.ndarray, z: float):
    downside = np.clip(base - z * sd, floor, None)
    upside = np.minimum(base + z * sd, ceiling)
    return downside, np.maximum(upside, base)


def _pipeline_scenarios(base, pipeline_variance, won_to_date, open_value, new_mean, new_variance,
                        settings: DemandSettings):
    """(downside, upside) of the pipeline forecast: base ∓ z × sqrt(pipeline variance + new-deal variance),
    never below what is won, never above won + every open deal + the new deals' own upside."""
    z = _z(settings.interval)
    ceiling = won_to_date + open_value + new_mean + z * np.sqrt(new_variance)
    return _scenarios(base, np.sqrt(pipeline_variance + new_variance), won_to_date, ceiling, z)


def pipeline_forecast(
    opportunities: pd.DataFrame,
    as_of,
    period_start,
    period_end,
    settings: DemandSettings | None = None,
    *,
    target: float | Mapping[str, float] | None = None,
    segment_column: str | None = "segment",
    close_rates: pd.DataFrame | None = None,
    slip_share: float | None = None,
) -> pd.DataFrame:
    """Bookings the open pipeline will bring in the planned period, per segment and in total.

    Deals counted: open at ``as_of``, not ``omitted`` from the forecast, with an expected ``close_date`` in
    ``[period_start, period_end]`` and not before ``as_of``. Each is worth amount × close rate of the furthest
    stage it reached × (1 − slip share): the close rate measured for its segment (:func:`stage_close_rates`,
    the all-segment rate where the segment had fewer than ``min_rate_deals`` closed deals at that stage) and the
    slip share likewise (:func:`close_date_slippage`; 0 when ``settings.slippage`` is false). ``close_rates`` (a
    :func:`stage_close_rates` frame, optionally with a ``segment`` column) and ``slip_share`` (a fraction;
    ignored when ``settings.slippage`` is false) replace the measured values, e.g. for a what-if. For a past
    ``as_of`` the stages and dates are today's, so a backtest of this method is optimistic.

    With ``settings.pipeline_new_deals`` (default) the deals still to be created and won in the period are added:
    ``expected_new_deals``, the mean over the past periods of :func:`new_deal_history` (module docstring, "New
    deals").

    One row per ``unique_id`` (``segment=<s>`` for every segment of ``segment_column``, then ``total``; only
    ``total`` without that column). Columns, money in company currency:

    * ``open_deals``, ``open_value``: count and amount of the deals counted; ``commit_value``,
      ``best_case_value``: their amount in forecast category commit (an open deal marked ``closed`` counts as
      commit) and best_case.
    * ``weighted_value`` = sum of amount × close rate; ``slip_share`` = 1 − expected_pipeline / weighted_value
      (the value share taken off for slippage); ``expected_pipeline`` = sum of amount × close rate × (1 − slip):
      the pipeline in hand.
    * ``expected_new_deals``: bookings expected from deals created after ``as_of`` and won in the period (0
      with ``pipeline_new_deals`` false or no past period); ``new_deal_periods``: the number of past periods
      it is the mean of.
    * ``won_to_date``: amount won with close_date in ``[period_start, min(period_end, as_of)]`` (0 before the
      period starts).
    * ``base`` = won_to_date + expected_pipeline + expected_new_deals; ``downside`` / ``upside``: the
      ``settings.interval`` bounds (module docstring: the open deals' and the new deals' spreads combined),
      never below won_to_date nor above won_to_date + open_value + the new deals' own upside.
    * ``commit_total`` = won_to_date + commit_value; ``best_case_total`` = commit_total + best_case_value: the
      reps' own view.
    * ``stale_deals``, ``stale_value``: open deals whose expected date is already past (left out above).
    * ``target`` (company currency; NaN when not given for the row), ``coverage`` = (won_to_date + open_value)
      / target (as ``kpis.pipeline_coverage``), ``expected_attainment`` = base / target.

    ``target``: a number (the total's bookings target) or ``{segment: amount}`` (the total then is the sum,
    unless a ``total`` key is given).
    """
    targets = _check_target(target)
    items, won, stale, (new, n_periods), ids, names, _, settings = _pipeline_parts(
        opportunities, as_of, period_start, period_end, settings, segment_column, close_rates, slip_share)
    has_segments = len(ids) > 1
    sums = ["open_deals", "open_value", "commit_value", "best_case_value", "weighted_value", "expected_pipeline",
            "_variance"]
    table = _with_total(items, has_segments).groupby("unique_id")[sums].sum().reindex(ids, fill_value=0)
    new_mean, new_variance = _new_deal_expectation(_with_total(new, has_segments), n_periods,
                                                   pd.Index(ids, name="unique_id"))
    table["won_to_date"] = _with_total(won, has_segments).groupby("unique_id")["won_to_date"].sum().reindex(
        ids, fill_value=0.0)
    stale_sums = _with_total(stale, has_segments).groupby("unique_id")[["stale_deals", "stale_value"]].sum()
    table[["stale_deals", "stale_value"]] = stale_sums.reindex(ids, fill_value=0).to_numpy()

    won_to_date = table["won_to_date"].to_numpy(dtype=float)
    open_value = table["open_value"].to_numpy(dtype=float)
    base = won_to_date + table["expected_pipeline"].to_numpy(dtype=float) + new_mean
    downside, upside = _pipeline_scenarios(base, table["_variance"].to_numpy(dtype=float), won_to_date,
                                           open_value, new_mean, new_variance, settings)
    weighted = table["weighted_value"].astype("float64")
    unknown = sorted(set(targets or {}) - set(ids))
    if unknown:
        raise ValueError(f"target names {unknown}, which are not rows of the forecast; rows: {ids}")
    target_values = np.array([np.nan if targets is None else targets.get(i, np.nan) for i in ids], dtype=float)
    out = pd.DataFrame({
        "unique_id": text_array(ids),
        "segment": text_array(names[i] for i in ids),
        "open_deals": table["open_deals"].to_numpy(dtype=np.int64),
        "open_value": open_value,
        "commit_value": table["commit_value"].to_numpy(dtype=float),
        "best_case_value": table["best_case_value"].to_numpy(dtype=float),
        "weighted_value": weighted.to_numpy(),
        "slip_share": (1.0 - ratio(table["expected_pipeline"], weighted)).to_numpy(dtype=float),
        "expected_pipeline": table["expected_pipeline"].to_numpy(dtype=float),
        "expected_new_deals": new_mean,
        "new_deal_periods": np.full(len(ids), n_periods, dtype=np.int64),
        "won_to_date": won_to_date,
        "downside": downside,
        "base": base,
        "upside": upside,
        "commit_total": won_to_date + table["commit_value"].to_numpy(dtype=float),
        "best_case_total": won_to_date + (table["commit_value"] + table["best_case_value"]).to_numpy(dtype=float),
        "stale_deals": table["stale_deals"].to_numpy(dtype=np.int64),
        "stale_value": table["stale_value"].to_numpy(dtype=float),
        "target": target_values,
    })
    out = out.assign(coverage=(won_to_date + open_value) / target_values, expected_attainment=base / target_values)
    return out[list(PIPELINE_COLUMNS)]


def pipeline_forecast_by_month(
    opportunities: pd.DataFrame,
    as_of,
    period_start,
    period_end,
    settings: DemandSettings | None = None,
    *,
    segment_column: str | None = "segment",
    close_rates: pd.DataFrame | None = None,
    slip_share: float | None = None,
) -> pd.DataFrame:
    """:func:`pipeline_forecast` split by the month of each deal's expected close date (``won_to_date`` by the
    month it was won), one row per ``unique_id`` × month ``ds`` of the planned period, zeros where nothing is
    due. Columns ``unique_id, segment, ds, open_deals, open_value, weighted_value, expected_pipeline,
    expected_new_deals, won_to_date, downside, base, upside`` with the same definitions, month by month (the new
    deals by the month they were won in the past periods; the months' downsides do not add up to the period's: a
    bad month and a good one partly cancel)."""
    items, won, _, (new, n_periods), ids, names, months, settings = _pipeline_parts(
        opportunities, as_of, period_start, period_end, settings, segment_column, close_rates, slip_share)
    has_segments = len(ids) > 1
    grid = pd.MultiIndex.from_product([ids, months], names=["unique_id", "ds"])
    sums = ["open_deals", "open_value", "weighted_value", "expected_pipeline", "_variance"]
    table = _with_total(items, has_segments).groupby(["unique_id", "ds"])[sums].sum().reindex(grid, fill_value=0)
    table["won_to_date"] = (_with_total(won, has_segments).groupby(["unique_id", "ds"])["won_to_date"].sum()
                            .reindex(grid, fill_value=0.0))
    new_mean, new_variance = _new_deal_expectation(_with_total(new, has_segments), n_periods, grid)
    won_to_date = table["won_to_date"].to_numpy(dtype=float)
    open_value = table["open_value"].to_numpy(dtype=float)
    base = won_to_date + table["expected_pipeline"].to_numpy(dtype=float) + new_mean
    downside, upside = _pipeline_scenarios(base, table["_variance"].to_numpy(dtype=float), won_to_date,
                                           open_value, new_mean, new_variance, settings)
    unique_ids = grid.get_level_values("unique_id")
    out = pd.DataFrame({
        "unique_id": text_array(unique_ids),
        "segment": text_array(names[i] for i in unique_ids),
        "ds": grid.get_level_values("ds").to_numpy(dtype="datetime64[ns]"),
        "open_deals": table["open_deals"].to_numpy(dtype=np.int64),
        "open_value": open_value,
        "weighted_value": table["weighted_value"].to_numpy(dtype=float),
        "expected_pipeline": table["expected_pipeline"].to_numpy(dtype=float),
        "expected_new_deals": new_mean,
        "won_to_date": won_to_date,
        "downside": downside,
        "base": base,
        "upside": upside,
    })
    return out[list(PIPELINE_MONTH_COLUMNS)]


# --------------------------------------------------------------------------------------------------
# 3. lead forecast


def _lead_sourced(opportunities: pd.DataFrame) -> np.ndarray:
    if "lead_id" not in opportunities.columns:
        return np.zeros(len(opportunities), dtype=bool)
    return opportunities["lead_id"].notna().to_numpy(dtype=bool)


def _lead_conversion(leads: pd.DataFrame, as_of: pd.Timestamp, settings: DemandSettings,
                     segment_column: str | None = None) -> tuple[float, int, dict[str, tuple[float, int]]]:
    """Lead-to-opportunity conversion: of the leads created in the history window shifted back by
    ``lead_outcome_days`` (so their outcome is known), the share converted by ``as_of``. Returns (rate, leads,
    {segment: (rate, leads)} when ``segment_column`` is in ``leads``)."""
    _check_frame(leads, "leads", ("lead_id", "created_date"))
    if "converted" not in leads.columns and "converted_date" not in leads.columns:
        raise ValueError("leads has neither a converted nor a converted_date column: lead conversion cannot be "
                         "measured. Map the CRM's conversion flag onto leads.converted")
    cutoff = as_of - pd.Timedelta(days=settings.lead_outcome_days)
    known = leads.loc[in_window(leads["created_date"], cutoff, settings.history_months)]
    converted = converted_by(known, as_of, settings.lead_outcome_days)
    rate = float(converted.mean()) if len(known) else math.nan
    by_segment: dict[str, tuple[float, int]] = {}
    segment = _segment_values(known, segment_column)
    if segment is not None:
        grouped = pd.Series(converted, index=segment.to_numpy()).groupby(level=0)
        by_segment = {str(name): (float(group.mean()), int(len(group))) for name, group in grouped}
    return rate, len(known), by_segment


class _LeadModel:
    """The measured inputs and per-month pieces of the lead forecast (internal)."""

    def __init__(self, leads, lead_scores, opportunities, as_of, period_start, period_end, settings,
                 expected_new_leads):
        settings = _check_settings(settings)
        as_of, start, end = _check_period(as_of, period_start, period_end)
        _check_opportunities(opportunities)
        _check_frame(opportunities, "opportunities", ("lead_id",))
        _check_frame(leads, "leads", ("lead_id", "created_date"))
        _check_frame(lead_scores, "lead_scores", ("lead_id", "probability", "grade"))
        self.settings, self.as_of, self.start, self.end = settings, as_of, start, end
        self.months = _months(start, end)
        months = self.months
        month_end = (months + pd.offsets.MonthEnd(0)).astype("datetime64[ns]")
        first_day = max(start, as_of + pd.Timedelta(days=1))
        self.lo = np.maximum(_days(months), _days([first_day])[0])  # bookable days of each month, inclusive
        self.hi = np.minimum(_days(month_end), _days([end])[0])

        # measured on the history window
        closed = opportunities.loc[closed_in_window(opportunities, as_of, settings.history_months)]
        from_lead = _lead_sourced(closed)
        won = won_mask(closed)
        lead_closed = closed.loc[from_lead]
        if len(lead_closed) == 0:
            raise ValueError(f"no deal from a lead (opportunities.lead_id) closed in the last "
                             f"{settings.history_months} months: the lead forecast has no win rate to use. Widen "
                             "demand.history_months or leave the lead forecast out")
        self.win_rate = float(won[from_lead].mean())
        lead_won = closed.loc[from_lead & won]
        self.average_deal_size = float(lead_won["amount"].mean()) if len(lead_won) else math.nan
        won_value = float(closed.loc[won, "amount"].sum())
        self.lead_sourced_share = float(lead_won["amount"].sum()) / won_value if won_value > 0 else math.nan

        by_id = leads.drop_duplicates("lead_id", keep="last")
        created = pd.Series(by_id["created_date"].to_numpy(), index=by_id["lead_id"].astype(object).to_numpy())
        lead_created = lead_won["lead_id"].astype(object).map(created)
        lag = (lead_won["close_date"] - lead_created).dt.days.dropna().to_numpy(dtype=float)
        self.lags = np.sort(np.clip(lag, 0, None))
        if len(self.lags) == 0:
            raise ValueError("no lead-sourced deal won in the history window has its lead in the leads table: the "
                             "lead-to-booking lag cannot be measured. Check that opportunities.lead_id matches "
                             "leads.lead_id, or widen demand.history_months")
        self.median_lag_days = float(np.median(self.lags))
        # conversion (the day the lead became the deal: its created_date) to booking, same won deals
        conversion_lag = (lead_won["close_date"] - lead_won["created_date"]).dt.days.dropna().to_numpy(dtype=float)
        self.conversion_lags = np.sort(np.clip(conversion_lag, 0, None))
        self.median_conversion_lag_days = float(np.median(self.conversion_lags))
        self.conversion, known_leads, _ = _lead_conversion(leads, as_of, settings)
        if known_leads == 0:
            raise ValueError(f"no lead was created in the {settings.history_months} months ending "
                             f"{settings.lead_outcome_days} days before as_of, so the conversion of new leads cannot be "
                             "measured: widen demand.history_months or lower demand.lead_outcome_days")
        if settings.lead_forecast_scope == "all_bookings":
            if not self.lead_sourced_share > 0:
                raise ValueError("no won value in the history window came from leads, so the lead forecast cannot "
                                 "be scaled to all bookings: set demand.lead_forecast_scope to 'lead_sourced'")
            self.scale = 1.0 / self.lead_sourced_share
        else:
            self.scale = 1.0

        # open leads: probability × win rate × share of the remaining lag landing in each month
        scores = lead_scores
        probability = scores["probability"].astype("float64")
        if probability.isna().any() or ((probability < 0) | (probability > 1)).any():
            raise ValueError("lead_scores.probability must be fractions from 0 to 1 with no missing value")
        lead_created_at = scores["lead_id"].astype(object).map(created)
        if lead_created_at.isna().any():
            missing = scores.loc[lead_created_at.isna().to_numpy(), "lead_id"].astype(object).head(3).tolist()
            raise ValueError(f"lead_scores has {int(lead_created_at.isna().sum())} lead(s) not in leads (or without "
                             f"created_date), e.g. {missing}: score the same leads table")
        grade = scores["grade"].astype(object)
        open_ids = np.array([f"grade={g}" for g in grade.where(grade.notna(), "none")], dtype=object)
        open_share = self._remaining_share(self.lags, _days(lead_created_at))

        # leads converted by as_of whose deal is still open (a scored lead is counted once, as an open lead):
        # P(convert) = 1, won at the lead deals' win rate, timed by the lags from conversion to booking
        deals = opportunities.loc[open_at(opportunities, as_of) & _lead_sourced(opportunities)]
        deals = deals.loc[~deals["lead_id"].astype(object).isin(set(scores["lead_id"].astype(object))).to_numpy()]
        deal_share = self._remaining_share(self.conversion_lags, _days(deals["created_date"]))

        self.open_ids = np.concatenate([open_ids, np.full(len(deals), CONVERTED_OPEN, dtype=object)])
        self.open_probability = np.concatenate([probability.to_numpy(), np.ones(len(deals))])
        share = np.concatenate([open_share, deal_share]) if len(deals) else open_share
        self.open_wins = self.open_probability[:, None] * self.win_rate * share  # leads (then deals) × months

        # new leads: a daily stream from the day after as_of to period_end
        days = pd.date_range(as_of + pd.Timedelta(days=1), end, freq="D")
        self.volume = self._volume(leads, expected_new_leads, days)
        d = _days(days)
        inside_new = (np.searchsorted(self.lags, self.hi[None, :] - d[:, None], side="right")
                      - np.searchsorted(self.lags, self.lo[None, :] - d[:, None], side="left"))
        inside_new = np.where(self.lo <= self.hi, inside_new / len(self.lags), 0.0)  # days × months
        day_month = days.to_period("M").start_time
        per_day = {scenario: (self.volume[scenario].reindex(day_month).to_numpy(dtype=float)
                              / days.days_in_month.to_numpy(dtype=float)) for scenario in SCENARIOS}
        self.new_leads = {scenario: float(per_day[scenario].sum()) for scenario in SCENARIOS}
        self.new_wins = {scenario: (per_day[scenario] @ inside_new) * self.conversion * self.win_rate
                         for scenario in SCENARIOS}  # months

    def _remaining_share(self, lags: np.ndarray, started: np.ndarray) -> np.ndarray:
        """Share of each item (started on day ``started``, not booked by ``as_of``) booking in each month of the
        period: of the ``lags`` longer than its age at ``as_of``, those with start + lag in the month's bookable
        days. Items × months; 0 when no lag is longer than the age."""
        age = _days([self.as_of])[0] - started
        remaining = len(lags) - np.searchsorted(lags, age, side="right")  # lags longer than the age
        inside = (np.searchsorted(lags, self.hi[None, :] - started[:, None], side="right")
                  - np.searchsorted(lags, self.lo[None, :] - started[:, None], side="left"))
        share = np.where(remaining[:, None] > 0, inside / np.maximum(remaining, 1)[:, None], 0.0)
        return np.where(self.lo <= self.hi, share, 0.0)

    def _volume(self, leads, expected_new_leads, days) -> dict[str, pd.Series]:
        """New leads per calendar month, by scenario, for the months of ``days``."""
        needed = pd.DatetimeIndex(days.to_period("M").unique().start_time)
        if expected_new_leads is None:
            created = in_window(leads["created_date"], self.as_of, self.settings.history_months)
            monthly = float(created.sum()) / self.settings.history_months
            series = pd.Series(monthly, index=needed)
            return {scenario: series for scenario in SCENARIOS}
        _check_frame(expected_new_leads, "expected_new_leads", ("ds", "base"))
        frame = expected_new_leads
        if "unique_id" in frame.columns:
            ids = frame["unique_id"].astype(object).unique()
            if len(ids) > 1:
                if TOTAL not in ids:
                    raise ValueError(f"expected_new_leads has several unique_id values {list(ids)[:5]} and no "
                                     f"'{TOTAL}': pass the rows of one series")
                frame = frame.loc[frame["unique_id"].astype(object).eq(TOTAL).to_numpy(dtype=bool)]
        ds = pd.to_datetime(frame["ds"]).astype("datetime64[ns]")
        weekly = not (ds.dt.day == 1).all()
        if ds.duplicated().any() or (not weekly and ds.dt.to_period("M").duplicated().any()):
            raise ValueError("expected_new_leads has more than one row for some period (ds): one row per month "
                             "(or per week)")
        out = {}
        for scenario in SCENARIOS:
            column = scenario if scenario in frame.columns else "base"
            values = pd.Series(frame[column].to_numpy(dtype=float), index=pd.DatetimeIndex(ds))
            if values.isna().any() or (values < 0).any():
                raise ValueError(f"expected_new_leads.{column} must be lead counts of 0 or more with no missing value")
            if weekly:  # a week's leads spread evenly over its 7 days, then summed per calendar month
                days = values.index.repeat(7) + pd.to_timedelta(np.tile(np.arange(7), len(values)), unit="D")
                daily = pd.Series(np.repeat(values.to_numpy() / 7, 7), index=days)
                values = daily.groupby(daily.index.to_period("M").start_time).sum()
            else:
                values.index = values.index.to_period("M").start_time
            out[scenario] = values
        missing = needed.difference(out["base"].index)
        if len(missing):
            raise ValueError("expected_new_leads has no row for month(s) "
                             f"{[m.strftime('%Y-%m') for m in missing]}: it must cover every month from the day "
                             f"after as_of ({self.as_of.date()}) to period_end ({self.end.date()})")
        return {scenario: series.reindex(needed) for scenario, series in out.items()}

    def ids(self) -> list[str]:
        grades = sorted(set(self.open_ids) - {CONVERTED_OPEN})
        return [*grades, CONVERTED_OPEN, NEW_LEADS, TOTAL]

    def pick(self, unique_id: str) -> np.ndarray:
        """Which open leads and converted-open deals (rows of ``open_wins``) a row ``unique_id`` holds."""
        if unique_id == TOTAL:
            return np.ones(len(self.open_ids), dtype=bool)
        return self.open_ids == unique_id


def lead_forecast(
    leads: pd.DataFrame,
    lead_scores: pd.DataFrame,
    opportunities: pd.DataFrame,
    as_of,
    period_start,
    period_end,
    settings: DemandSettings | None = None,
    expected_new_leads: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Bookings the lead funnel will bring in the planned period: open leads, leads already converted whose deal
    is still open, and the leads still to come — every lead-funnel stage that can still book in the period, each
    valued by the lead method's own measured rates (never the pipeline's stage close rates, the deal's amount or
    its expected close date, so the lead and pipeline forecasts stay independent views of the same period).

    Measured on the history window (module docstring): ``win_rate`` = won / closed among deals from a lead
    (``lead_id`` filled; count); ``average_deal_size`` = mean amount of those won (company currency); the lags
    from a lead's creation to its won booking (``median_lag_days``) and from its conversion (the deal's
    created_date) to its won booking (``median_conversion_lag_days``), in days; ``lead_sourced_share`` = their
    won value / all won value; the new-lead conversion (leads created in the window shifted back
    ``lead_outcome_days``, share converted by ``as_of``).

    * **Open leads** (``lead_scores``: ``lead_id, probability, grade`` of the scoring step): historical grades are
      not stored, so conversion by grade cannot be measured; each lead's ``probability`` (the scoring model's
      P(convert), checked for calibration on held-out leads in step 1) is used directly. Expected wins in the
      period = probability × win_rate × share of the lags longer than the lead's age that land in the period.
    * **Converted, deal still open**: deals with a ``lead_id`` open at ``as_of`` (a lead also in ``lead_scores``
      is counted once, as an open lead). P(convert) = 1; expected wins in the period = win_rate × share of the
      conversion-to-booking lags longer than the deal's age that land in the period; valued at
      average_deal_size. A deal older than every measured lag counts 0 (as a stale open lead does).
      Both rates are unconditional: a deal that has stayed open a while has passed some early losses, and
      long-cycle deals tend to be larger, so this part is more likely to be low than high.
    * **New leads**: created each day from the day after ``as_of`` to ``period_end``; per month
      ``expected_new_leads`` (columns ``ds`` (month, or week: spread evenly over its days), ``base`` and
      optionally ``downside``/``upside``; with a
      ``unique_id`` column of several series the ``total`` rows), else the trailing average (leads created in
      the window / history_months) for every scenario. Expected wins = leads × conversion × win_rate × share of
      all lags landing in the period.

    Rows ``grade=<g>`` (open leads of each grade), ``converted_open`` (converted leads whose deal is open),
    ``new_leads``, ``total`` (all three). Columns: ``leads`` (open leads, converted leads with an open deal, or
    expected new leads in the base scenario; count), ``mean_probability`` (P(convert) of those leads; 1 for
    converted ones), ``expected_opportunities`` (leads × P(convert), whenever they convert), ``expected_wins``
    (won in the period, count), ``share_in_period`` = expected_wins / (expected_opportunities × win_rate) (timing
    share), ``lead_sourced_bookings`` = expected_wins × average_deal_size, ``converted_open_bookings`` = the part
    of ``base`` from converted leads whose deal is open (0 on grade and new-lead rows), ``base`` =
    lead_sourced_bookings / lead_sourced_share with ``lead_forecast_scope`` 'all_bookings', else =
    lead_sourced_bookings; ``downside``/``upside`` (module docstring; new leads at their downside/upside volume),
    and the measured ``win_rate, average_deal_size, median_lag_days, median_conversion_lag_days,
    lead_sourced_share`` (the same on every row). Money in the company currency.

    The 'all_bookings' gross-up: all three parts are lead-sourced, so lead_sourced_bookings is the whole lead
    funnel's bookings in the period; dividing by lead_sourced_share adds the deals not from a lead (self-sourced,
    open today or still to come) at their historical share of won value. Converted-open deals are lead-sourced
    and scaled with the rest; the gross-up never re-adds the pipeline's open deals, so nothing is counted twice.
    """
    model = _LeadModel(leads, lead_scores, opportunities, as_of, period_start, period_end, settings,
                       expected_new_leads)
    z = _z(model.settings.interval)
    size, scale = model.average_deal_size, model.scale
    ids = model.ids()
    rows = []
    open_q = model.open_wins.sum(axis=1)
    for unique_id in ids:
        if unique_id == NEW_LEADS or unique_id == TOTAL:
            new = {s: float(model.new_wins[s].sum()) for s in SCENARIOS}
        else:
            new = {s: 0.0 for s in SCENARIOS}
        pick = model.pick(unique_id)
        q = open_q[pick]
        converted_wins = float(q[model.open_ids[pick] == CONVERTED_OPEN].sum())
        p = model.open_probability[pick]
        new_leads = model.new_leads["base"] if unique_id in (NEW_LEADS, TOTAL) else 0.0
        leads_count = float(pick.sum()) + new_leads
        opportunities_expected = float(p.sum()) + new_leads * model.conversion
        wins = float(q.sum()) + new["base"]
        variance = size**2 * (float((q * (1 - q)).sum()) + new["base"])
        sd = math.sqrt(variance) * scale
        open_value = float(q.sum()) * size * scale
        rows.append({
            "unique_id": unique_id,
            "leads": leads_count,
            "mean_probability": opportunities_expected / leads_count if leads_count > 0 else math.nan,
            "expected_opportunities": opportunities_expected,
            "expected_wins": wins,
            "share_in_period": (wins / (opportunities_expected * model.win_rate)
                                if opportunities_expected * model.win_rate > 0 else math.nan),
            "lead_sourced_bookings": wins * size,
            "converted_open_bookings": converted_wins * size * scale,
            "downside": max(open_value + new["downside"] * size * scale - z * sd, 0.0),
            "base": wins * size * scale,
            "upside": open_value + new["upside"] * size * scale + z * sd,
        })
    out = pd.DataFrame(rows)
    out["unique_id"] = text_array(out["unique_id"])
    out = out.assign(win_rate=model.win_rate, average_deal_size=size, median_lag_days=model.median_lag_days,
                     median_conversion_lag_days=model.median_conversion_lag_days,
                     lead_sourced_share=model.lead_sourced_share)
    out["upside"] = np.maximum(out["upside"], out["base"])
    out["downside"] = np.minimum(out["downside"], out["base"])
    return out[list(LEAD_COLUMNS)]


def lead_forecast_by_month(
    leads: pd.DataFrame,
    lead_scores: pd.DataFrame,
    opportunities: pd.DataFrame,
    as_of,
    period_start,
    period_end,
    settings: DemandSettings | None = None,
    expected_new_leads: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`lead_forecast` split by the month the wins book in: one row per ``unique_id`` (``grade=<g>``,
    ``converted_open``, ``new_leads``, ``total``) × month ``ds`` of the planned period. Columns ``unique_id, ds,
    expected_wins, lead_sourced_bookings, converted_open_bookings, downside, base, upside`` with the same
    definitions, month by month."""
    model = _LeadModel(leads, lead_scores, opportunities, as_of, period_start, period_end, settings,
                       expected_new_leads)
    z = _z(model.settings.interval)
    size, scale = model.average_deal_size, model.scale
    frames = []
    for unique_id in model.ids():
        with_new = unique_id in (NEW_LEADS, TOTAL)
        pick = model.pick(unique_id)
        q = model.open_wins[pick]
        converted_wins = q[model.open_ids[pick] == CONVERTED_OPEN].sum(axis=0)
        new = {s: (model.new_wins[s] if with_new else np.zeros(len(model.months))) for s in SCENARIOS}
        open_wins = q.sum(axis=0)
        wins = open_wins + new["base"]
        sd = np.sqrt(size**2 * ((q * (1 - q)).sum(axis=0) + new["base"])) * scale
        base = wins * size * scale
        frames.append(pd.DataFrame({
            "unique_id": unique_id,
            "ds": model.months.to_numpy(dtype="datetime64[ns]"),
            "expected_wins": wins,
            "lead_sourced_bookings": wins * size,
            "converted_open_bookings": converted_wins * size * scale,
            "downside": np.minimum(np.clip((open_wins + new["downside"]) * size * scale - z * sd, 0, None), base),
            "base": base,
            "upside": np.maximum((open_wins + new["upside"]) * size * scale + z * sd, base),
        }))
    out = pd.concat(frames, ignore_index=True)
    out["unique_id"] = text_array(out["unique_id"])
    return out[list(LEAD_MONTH_COLUMNS)]


# --------------------------------------------------------------------------------------------------
# 4. comparing and blending


def _method_total(frame, name: str, unique_id: str, start, end) -> tuple[dict[str, float], dict[str, float]]:
    """(scenario totals, extra columns of the row when ``frame`` is period-level) of one method."""
    _check_frame(frame, name, ("unique_id", *SCENARIOS))
    rows = frame.loc[frame["unique_id"].astype(object).eq(unique_id).to_numpy(dtype=bool)]
    if "ds" in frame.columns:  # the share of each month's (week's) days inside the period
        share = _share_inside(rows["ds"], start, end)
        rows = rows.loc[share > 0]
        rows = rows.assign(**{s: rows[s].astype("float64") * share[share > 0] for s in SCENARIOS})
    elif len(rows) > 1:
        raise ValueError(f"{name} has {len(rows)} rows for unique_id {unique_id!r} and no ds column: give one row "
                         "per series for the period, or monthly rows with ds")
    if rows.empty:
        raise ValueError(f"{name} has no row for unique_id {unique_id!r}"
                         + (" in the planned period" if "ds" in frame.columns else ""))
    values = {s: float(rows[s].astype("float64").sum()) for s in SCENARIOS}
    if any(math.isnan(v) for v in values.values()):
        raise ValueError(f"{name} has a missing {'/'.join(SCENARIOS)} value for unique_id {unique_id!r}")
    extras = {}
    if "ds" not in frame.columns:
        row = rows.iloc[0]
        extras = {column: row[column] for column in frame.columns if column not in ("unique_id", *SCENARIOS)}
    return values, extras


def _backtest_errors(backtest_errors) -> dict[str, float]:
    if backtest_errors is None:
        return {}
    if isinstance(backtest_errors, pd.DataFrame):
        _check_frame(backtest_errors, "backtest_errors", ("method", "error"))
        if backtest_errors["method"].duplicated().any():
            raise ValueError("backtest_errors has more than one row for some method: one error per method")
        pairs = zip(backtest_errors["method"].astype(object), backtest_errors["error"].astype("float64"))
    elif isinstance(backtest_errors, Mapping):
        pairs = backtest_errors.items()
    else:
        raise ValueError("backtest_errors must be a frame with columns method, error, a mapping {method: error} or "
                         f"None; got {type(backtest_errors).__name__}")
    errors = {}
    for method, error in pairs:
        if method not in METHODS:
            raise ValueError(f"backtest_errors has unknown method {method!r}; valid: {', '.join(METHODS)}")
        if (isinstance(error, bool) or not isinstance(error, numbers.Real) or not math.isfinite(error)
                or error < 0):
            raise ValueError(f"backtest_errors[{method!r}] must be an error of 0 or more (e.g. a mean absolute "
                             f"percentage error as a fraction); got {error!r}")
        errors[str(method)] = float(error)
    return errors


def method_weights(available: Sequence[str], settings: DemandSettings | None = None,
                  backtest_errors=None) -> tuple[dict[str, float], str]:
    """The weight of each available method in the blend (adding up to 1) and how they were set.

    * ``settings.blend_weights`` set: those weights, rescaled over ``available`` (a method not listed weighs 0).
    * else with ``backtest_errors`` (a frame ``method, error`` or a mapping {method: error}; error >= 0, lower is
      better, e.g. the MAPE of each method's backtested quarterly bookings): w_m = (1/e_m) / sum_k (1/e_k). A
      method without an error gets the largest error given; if some errors are 0 those methods share the weight.
    * else equal weights.

    Returns ({method: weight}, text saying how the weights were set).
    """
    settings = _check_settings(settings)
    available = [m for m in METHODS if m in available]
    if not available:
        raise ValueError(f"no forecast to blend: give at least one of {', '.join(METHODS)}")
    errors = _backtest_errors(backtest_errors)
    if settings.blend_weights is not None:
        raw = {m: settings.blend_weights.get(m, 0.0) for m in available}
        if sum(raw.values()) <= 0:
            raise ValueError(f"demand.blend_weights {settings.blend_weights} give no weight to the methods available "
                             f"({', '.join(available)}): give one of them a positive weight")
        dropped = [m for m in settings.blend_weights if m not in available and settings.blend_weights[m] > 0]
        basis = "weights set in the params" + (f" ({', '.join(dropped)} not available: rescaled)" if dropped else "")
    elif errors:
        worst = max(errors.values())
        used = {m: errors.get(m, worst) for m in available}
        if min(used.values()) == 0:
            raw = {m: 1.0 if e == 0 else 0.0 for m, e in used.items()}
        else:
            raw = {m: 1.0 / e for m, e in used.items()}
        untested = [m for m in available if m not in errors]
        tested = [m for m in available if m in errors]
        if untested and len(set(used.values())) == 1:  # e.g. only the statistical forecast has a backtest
            basis = (f"equal weights: only {', '.join(tested) or 'none of them'} was backtested; "
                     f"{', '.join(untested)} could not be (the data keep no history of stages, expected close "
                     "dates or lead scores to backtest them on)")
        else:
            basis = ("weights inverse to backtest error ("
                     + ", ".join(f"{m} {used[m]:.3g}" for m in available) + ")"
                     + (f"; {', '.join(untested)} not backtested: given the largest error" if untested else ""))
    else:
        raw = {m: 1.0 for m in available}
        basis = "equal weights (no backtest errors given)"
    total = sum(raw.values())
    return {m: raw[m] / total for m in available}, basis


def _reason(method: str, base: float, reference: str | None, reference_base: float, extras: dict,
            tolerance: float, currency: str, period: str) -> str:
    if method == "statistical":
        return "baseline: bookings history, trend and seasonality"
    if reference is None or method == reference:
        return "baseline the other methods are compared with"
    if not reference_base > 0:
        return f"{reference} forecasts nothing to compare with"
    gap = round(base / reference_base - 1, 9)  # 110 / 100 - 1 is 0.10000000000000009
    name, reference_name = METHOD_LABELS[method], METHOD_LABELS[reference]
    if abs(gap) <= tolerance:
        return f"{name} agrees with {reference_name} (within ±{percent(tolerance, 0)})"
    where = f"{name} is {percent(abs(gap), 0)} {'below' if gap < 0 else 'above'} {reference_name}"
    if method == "pipeline":
        open_value = extras.get("open_value")
        if gap < 0:
            text = f"{where}: coverage is thin"
            if open_value is not None and not pd.isna(open_value):
                text += (f" — open deals due in the {period} total {money(open_value, currency, compact=True)}, "
                         f"{open_value / reference_base:.1f}× the {reference_name} forecast before close rates")
            new = extras.get("expected_new_deals")
            if new is not None and not pd.isna(new) and new > 0:
                text += (f"; deals still to be created add {money(new, currency, compact=True)} at the rate of past "
                         f"{period}s")
            else:
                text += f", and deals still to be created in the {period} are not counted"
            slip = extras.get("slip_share")
            if slip is not None and not pd.isna(slip) and slip >= 0.2:
                text += f"; {percent(slip, 0)} of the due value is expected to slip"
            return text
        text = f"{where}: more is due in the {period} than history suggests"
        if open_value is not None and not pd.isna(open_value):
            text += f" (open deals due {money(open_value, currency, compact=True)})"
        return text + " — check close dates and stages before relying on it"
    if method == "leads":
        share = extras.get("share_in_period")
        lag = extras.get("median_lag_days")
        wins = extras.get("expected_wins")
        converted = extras.get("converted_open_bookings")
        of_which = ""
        if converted is not None and not pd.isna(converted) and base > 0:
            of_which = (f" ({percent(converted / base, 0)} of it from leads already converted whose deal is still "
                        "open, at the lead deals' win rate and size)")
        if gap < 0:
            if share is not None and not pd.isna(share) and share < 0.5 and lag is not None and not pd.isna(lag):
                return (f"{where}: the lead-to-booking lag (median {lag:.0f} days) puts most wins from open leads, "
                        f"converted leads and new leads after the {period}{of_which}")
            text = f"{where}: fewer or weaker leads than the bookings trend needs"
            if wins is not None and not pd.isna(wins):
                text += (f" — open leads, converted leads with an open deal and the expected new leads give "
                         f"{wins:,.0f} wins in the {period} at the measured conversion and win rate{of_which}")
            return text
        text = f"{where}: lead volume or quality is up"
        if wins is not None and not pd.isna(wins):
            text += f" — the lead funnel is expected to give {wins:,.0f} wins in the {period}{of_which}"
        return text + "; bookings history has not caught up with it yet"
    return where


def compare_forecasts(
    statistical: pd.DataFrame | None,
    pipeline: pd.DataFrame | None,
    lead: pd.DataFrame | None,
    settings: DemandSettings | None = None,
    backtest_errors=None,
    *,
    unique_id: str = TOTAL,
    period_start=None,
    period_end=None,
    currency: str = "USD",
    period_name: str = "quarter",
) -> pd.DataFrame:
    """The three forecasts of the planned period side by side, and their blend.

    Each forecast is a frame with ``unique_id, downside, base, upside``: one row per series for the period
    (:func:`pipeline_forecast`, :func:`lead_forecast`) or monthly (or weekly) rows with ``ds`` (``forecast.py``,
    the ``_by_month`` functions), summed over ``[period_start, period_end]`` (every row when not given), each
    row weighted by the share of its month's (week's) days inside it. The row(s) of ``unique_id`` (default ``total``) are used; a method given as None is left out.

    Rows: ``method`` statistical, pipeline, leads (those given), then ``blended``, each with ``scenario``
    downside, base, upside. Columns: ``bookings`` (company currency; blended = sum of weight × bookings of the
    same scenario), ``weight`` (the method's blend weight, see :func:`method_weights`; 1 for blended),
    ``vs_reference`` = bookings / the reference method's bookings of the same scenario − 1 (reference: statistical,
    else the first method given), ``weight_basis`` (how the weights were set), ``reason`` (why the method differs
    from the reference, e.g. "pipeline is 30% below statistical: coverage is thin …"). Monthly downsides summed
    are wider than a quarterly interval would be.
    """
    settings = _check_settings(settings)
    start = None if period_start is None else as_timestamp(period_start, "period_start")
    end = None if period_end is None else as_timestamp(period_end, "period_end")
    given = {"statistical": statistical, "pipeline": pipeline, "leads": lead}
    names = {"statistical": "statistical", "pipeline": "pipeline", "leads": "lead"}
    totals, extras = {}, {}
    for method, frame in given.items():
        if frame is not None:
            totals[method], extras[method] = _method_total(frame, names[method], unique_id, start, end)
    weights, basis = method_weights(list(totals), settings, backtest_errors)
    methods = list(totals)
    reference = "statistical" if "statistical" in totals else methods[0]
    blended = {s: sum(weights[m] * totals[m][s] for m in methods) for s in SCENARIOS}

    rows = []
    for method in methods:
        reason = _reason(method, totals[method]["base"], reference, totals[reference]["base"], extras[method],
                         settings.agreement_tolerance, currency, period_name)
        for scenario in SCENARIOS:
            rows.append((method, scenario, totals[method][scenario], weights[method], reason))
    weight_text = ", ".join(f"{METHOD_LABELS[m]} {percent(weights[m], 0)}" for m in methods)
    for scenario in SCENARIOS:
        rows.append(("blended", scenario, blended[scenario], 1.0, f"weighted average of the methods: {weight_text}"))
    out = pd.DataFrame(rows, columns=["method", "scenario", "bookings", "weight", "reason"])
    reference_values = out["scenario"].map(totals[reference]).astype("float64")
    out["vs_reference"] = out["bookings"] / reference_values.where(reference_values != 0) - 1
    out["weight_basis"] = basis
    for column in ("method", "scenario", "weight_basis", "reason"):
        out[column] = out[column].astype(TEXT_DTYPE)
    return out[list(COMPARISON_COLUMNS)]


def explain_differences(comparison: pd.DataFrame, currency: str = "USD", period_name: str = "quarter") -> list[str]:
    """Plain sentences for the executive page from a :func:`compare_forecasts` frame: the blended forecast and its
    range with the weights, each method's base and why it differs, and how far apart the methods are."""
    _check_frame(comparison, "comparison", ("method", "scenario", "bookings", "weight", "weight_basis", "reason"))
    table = comparison.assign(method=comparison["method"].astype(object),
                              scenario=comparison["scenario"].astype(object))
    values = table.pivot_table(index="method", columns="scenario", values="bookings", aggfunc="sum")
    if "blended" not in values.index:
        raise ValueError("comparison has no blended rows: pass the frame compare_forecasts returns")
    fmt = lambda value: money(value, currency, compact=True)  # noqa: E731
    blend = values.loc["blended"]
    methods = [m for m in METHODS if m in values.index]
    weights = table.drop_duplicates("method").set_index("method")["weight"]
    basis = str(table["weight_basis"].iloc[0])
    sentences = [
        f"Blended forecast for the {period_name}: {fmt(blend['base'])} (downside {fmt(blend['downside'])}, upside "
        f"{fmt(blend['upside'])}), weighting "
        + ", ".join(f"{METHOD_LABELS[m]} {percent(weights[m], 0)}" for m in methods)
        + f" — {basis}."
    ]
    reasons = table.drop_duplicates("method").set_index("method")["reason"]
    for method in methods:
        row = values.loc[method]
        sentences.append(f"{METHOD_LABELS[method].capitalize()}: {fmt(row['base'])} (range {fmt(row['downside'])} to "
                         f"{fmt(row['upside'])}); {reasons[method]}.")
    if len(methods) > 1 and blend["base"] > 0:
        spread = (values.loc[methods, "base"].max() - values.loc[methods, "base"].min()) / blend["base"]
        sentences.append(f"The methods' base forecasts span {percent(spread, 0)} of the blended forecast.")
    return sentences


# --------------------------------------------------------------------------------------------------
# 5. demand drivers


def _id_parts(unique_id: str) -> dict[str, str]:
    """``"region=EMEA/segment=MM"`` -> {"region": "EMEA", "segment": "MM"}; ``"total"`` -> {}."""
    if unique_id == TOTAL:
        return {}
    parts = dict(part.split("=", 1) for part in unique_id.split("/") if "=" in part)
    return parts if parts else {"": unique_id}


def _segment_demand(demand: pd.DataFrame, value_column: str | None) -> pd.DataFrame:
    """``segment, ds, bookings`` from either that shape or a ``forecast.py`` frame (``unique_id, ds, base``)."""
    if not isinstance(demand, pd.DataFrame):
        raise ValueError(f"demand_by_segment_month must be a pandas DataFrame; got {type(demand).__name__}")
    column = value_column or ("bookings" if "bookings" in demand.columns else "base")
    by_id = "unique_id" in demand.columns
    if by_id:
        _check_frame(demand, "demand_by_segment_month", ("unique_id", "ds", column))
        parts = [_id_parts(str(i)) for i in demand["unique_id"].astype(object)]
        levels = sorted({frozenset(p) for p in parts if "segment" in p}, key=lambda level: (len(level), sorted(level)))
        if levels:  # the least detailed level that splits by segment, summed over its other columns
            keep = np.array([frozenset(p) == levels[0] for p in parts], dtype=bool)
            segment = pd.Series([p["segment"] for p, k in zip(parts, keep) if k], dtype=object)
        else:
            keep = np.array([not p for p in parts], dtype=bool)  # only the total: one segment "All"
            if not keep.any():
                raise ValueError("demand_by_segment_month has no series by segment (unique_id 'segment=<s>', also "
                                 "nested as 'region=<r>/segment=<s>') and no 'total' series")
            segment = pd.Series("All", index=range(int(keep.sum())), dtype=object)
        demand = demand.loc[keep]
    else:
        _check_frame(demand, "demand_by_segment_month", ("segment", "ds", column))
        segment = _segment_values(demand, "segment")
        is_total = segment.eq(TOTAL)
        if is_total.any() and not is_total.all():  # segment rows and their total: keep the segments
            demand, segment = demand.loc[~is_total.to_numpy(dtype=bool)], segment[~is_total]
        segment = segment.where(segment != TOTAL, "All")
    bookings = demand[column].astype("float64")
    if bookings.isna().any() or (bookings < 0).any():
        raise ValueError(f"demand_by_segment_month.{column} must be bookings of 0 or more with no missing value")
    out = pd.DataFrame({
        "segment": segment.to_numpy(dtype=object),
        "ds": pd.to_datetime(demand["ds"]).dt.to_period("M").dt.start_time.to_numpy(dtype="datetime64[ns]"),
        "bookings": bookings.to_numpy(),
    })
    if not by_id and out.duplicated(["segment", "ds"]).any():
        raise ValueError("demand_by_segment_month has more than one row for some segment and month")
    return out.groupby(["segment", "ds"], sort=False, as_index=False)["bookings"].sum()


def demand_drivers(
    demand_by_segment_month: pd.DataFrame,
    opportunities: pd.DataFrame,
    leads: pd.DataFrame | None,
    products: pd.DataFrame | None,
    as_of,
    settings: DemandSettings | None = None,
    *,
    segment_column: str | None = "segment",
    value_column: str | None = None,
) -> pd.DataFrame:
    """What the bookings demand needs, per segment and month, at the rates measured over the history window.

    ``demand_by_segment_month``: ``segment, ds, bookings`` (a ``total`` segment next to others is dropped), or a
    frame with ``unique_id, ds, base`` such as ``forecast.py``'s scenarios: the least detailed series split by
    segment are used (``segment=<s>``, or ``region=<r>/segment=<s>`` summed over the regions); with only a
    ``total`` series, one segment ``All``. ``value_column`` picks another column (e.g. ``upside``).

    Rates per segment of ``segment_column`` of ``opportunities``; the all-segment value where the segment was
    measured on fewer than ``min_rate_deals`` deals (or there is no such column). Columns:

    * ``bookings`` (input, company currency); ``average_deal_size`` (mean won amount, company currency);
      ``deals`` = bookings / average_deal_size (count of deals to win).
    * ``win_rate`` (won / closed, count); ``opportunities`` = deals / win_rate (opportunities to work; for the
      deals of month m they must be created about ``median_cycle_days`` (of won deals) earlier).
    * ``lead_sourced_share``: share of the opportunities created in the window that came from a lead (1 without
      ``lead_id``); ``lead_conversion``: lead-to-opportunity conversion (module docstring; by segment when
      ``leads`` has ``segment_column``); ``qualified_leads`` = opportunities × lead_sourced_share /
      lead_conversion (leads needed; NaN without ``leads``).
    * ``new_customers`` = deals × customers_per_deal; ``support_tickets`` = new customers won from the first month
      of the frame up to and including this month × support_tickets_per_customer_month (the tickets the new
      demand adds; the installed base's tickets are step 3's current load).
    * ``delivery_hours_per_deal`` = sum over products of the segment's product mix (share of won deals, count) ×
      ``delivery_hours_per_deal`` of the product (hardware products of ``products`` need 0); ``delivery_hours``
      = deals × that; ``hours_unknown_share``: share of the mix whose product has no hours set (counted as 0).

    Sorted by segment (SMB, MM, ENT first), then month.
    """
    settings = _check_settings(settings)
    _check_opportunities(opportunities)
    as_of = as_timestamp(as_of, "as_of")
    demand = _segment_demand(demand_by_segment_month, value_column)
    months = settings.history_months
    minimum = settings.min_rate_deals

    segment = _segment_values(opportunities, segment_column)
    frame = opportunities.assign(_segment=segment if segment is not None else "All")
    closed = frame.loc[closed_in_window(frame, as_of, months)]
    won = won_mask(closed)
    wins = closed.loc[won]

    def measure(values: pd.Series, counts: pd.Series, total_value: float) -> np.ndarray:
        by_group = {str(k): (float(values[k]), int(counts.get(k, 0))) for k in values.index}
        return _group_measure(demand["segment"].to_numpy(dtype=object), by_group, total_value, minimum)

    closed_count = closed.groupby("_segment").size()
    win_rate = measure(pd.Series(won, index=closed["_segment"].to_numpy()).groupby(level=0).mean(), closed_count,
                       float(won.mean()) if len(closed) else math.nan)
    won_count = wins.groupby("_segment").size()
    deal_size = measure(wins.groupby("_segment")["amount"].mean(), won_count,
                        float(wins["amount"].mean()) if len(wins) else math.nan)
    cycle = (wins["close_date"] - wins["created_date"]).dt.days.astype("float64")
    cycle_days = measure(cycle.groupby(wins["_segment"].to_numpy()).median(), won_count,
                         float(cycle.median()) if len(wins) else math.nan)

    created = frame.loc[in_window(frame["created_date"], as_of, months)]
    if "lead_id" in opportunities.columns:
        from_lead = pd.Series(_lead_sourced(created), index=created["_segment"].to_numpy())
        lead_share = measure(from_lead.groupby(level=0).mean(), created.groupby("_segment").size(),
                             float(from_lead.mean()) if len(created) else math.nan)
    else:
        lead_share = np.ones(len(demand))
    if leads is not None:
        rate, _, by_segment = _lead_conversion(leads, as_of, settings, segment_column)
        conversion = _group_measure(demand["segment"].to_numpy(dtype=object), by_segment, rate, minimum)
    else:
        conversion = np.full(len(demand), np.nan)

    hours_per_deal, unknown_share = _delivery_hours(wins, products, settings, demand["segment"])

    deals = demand["bookings"].to_numpy() / np.where(deal_size > 0, deal_size, np.nan)
    opportunities_needed = deals / np.where(win_rate > 0, win_rate, np.nan)
    new_customers = deals * settings.customers_per_deal
    out = demand.assign(
        average_deal_size=deal_size,
        deals=deals,
        win_rate=win_rate,
        opportunities=opportunities_needed,
        median_cycle_days=cycle_days,
        lead_sourced_share=lead_share,
        lead_conversion=conversion,
        qualified_leads=opportunities_needed * lead_share / np.where(conversion > 0, conversion, np.nan),
        new_customers=new_customers,
        delivery_hours_per_deal=hours_per_deal,
        delivery_hours=deals * hours_per_deal,
        hours_unknown_share=unknown_share,
    )
    order = {name: index for index, name in enumerate(_segment_order(out["segment"]))}
    out = out.assign(_order=out["segment"].map(order)).sort_values(["_order", "ds"], kind="stable")
    out["support_tickets"] = (out.groupby("segment")["new_customers"].cumsum()
                              * settings.support_tickets_per_customer_month)
    out["segment"] = out["segment"].astype(TEXT_DTYPE)
    return out[list(DRIVER_COLUMNS)].reset_index(drop=True)


def _delivery_hours(wins: pd.DataFrame, products: pd.DataFrame | None, settings: DemandSettings,
                    segments: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(hours per deal, share of the mix with unknown hours) per row of ``segments``, from the product mix of the
    won deals (per segment when it won at least ``min_rate_deals`` deals)."""
    if "product" not in wins.columns:
        return np.full(len(segments), np.nan), np.full(len(segments), np.nan)
    hours = dict(settings.delivery_hours_per_deal)
    if products is not None:
        _check_frame(products, "products", ("product",))
        if "kind" in products.columns:
            hardware = products.loc[products["kind"].astype(object).eq("hardware").fillna(False).to_numpy(dtype=bool)]
            for name in hardware["product"].astype(object):
                hours.setdefault(str(name), 0.0)
    product = wins["product"].astype(object)
    product = product.where(product.notna(), "")
    per_deal = product.map(hours)
    known = per_deal.notna().to_numpy(dtype=float)
    values = per_deal.fillna(0.0).to_numpy(dtype=float)
    group = wins["_segment"].to_numpy(dtype=object)
    table = pd.DataFrame({"group": group, "hours": values, "unknown": 1.0 - known})
    by = table.groupby("group").agg(hours=("hours", "mean"), unknown=("unknown", "mean"), n=("hours", "size"))
    total_hours = float(values.mean()) if len(values) else math.nan
    total_unknown = float((1.0 - known).mean()) if len(values) else math.nan
    rows = segments.to_numpy(dtype=object)
    hours_out = _group_measure(rows, {str(k): (r.hours, int(r.n)) for k, r in by.iterrows()}, total_hours,
                               settings.min_rate_deals)
    unknown_out = _group_measure(rows, {str(k): (r.unknown, int(r.n)) for k, r in by.iterrows()}, total_unknown,
                                 settings.min_rate_deals)
    return hours_out, unknown_out


# --------------------------------------------------------------------------------------------------
# 6. hardware units


def hardware_units(
    orders: pd.DataFrame,
    products: pd.DataFrame | None,
    as_of,
    period_start,
    period_end,
    settings: DemandSettings | None = None,
) -> pd.DataFrame:
    """Hardware units to plan per product × region × month of the planned period (the step-3 artifact).

    ``trailing_monthly_units``: units ordered in the history window / history_months, per product and region.
    ``annual_growth``: per product (all regions), units of the 12 months to ``as_of`` / units of the 12 months
    before − 1 (0 when the earlier year has no orders: nothing to measure growth from).
    ``units`` = trailing_monthly_units × (1 + annual_growth) ** (years from the middle of the history window to
    the middle of the month) × the share of the month's days inside the period. No seasonality: the statistical
    forecast may replace this run rate.

    Products: those of kind ``hardware`` in ``products`` (every product ordered when ``products`` is None). A
    missing region is ``Unknown``. One row per product × region ordered in the window × month, sorted.
    """
    settings = _check_settings(settings)
    as_of, start, end = _check_period(as_of, period_start, period_end)
    _check_frame(orders, "orders", ("order_date", "product", "units"))
    units = orders["units"].astype("float64")
    if units.isna().any() or (units < 0).any():
        raise ValueError("orders.units must be unit counts of 0 or more with no missing value")
    product = orders["product"].astype(object)
    keep = product.notna().to_numpy(dtype=bool)
    if products is not None:
        _check_frame(products, "products", ("product", "kind"))
        hardware = set(products.loc[products["kind"].astype(object).eq("hardware").fillna(False).to_numpy(dtype=bool),
                                    "product"].astype(object))
        keep &= product.isin(hardware).to_numpy(dtype=bool)
    region = (_segment_values(orders, "region") if "region" in orders.columns
              else pd.Series(UNKNOWN, index=orders.index))
    frame = pd.DataFrame({"product": product.to_numpy(), "region": region.to_numpy(), "units": units.to_numpy(),
                          "date": orders["order_date"].to_numpy()}).loc[keep]
    months = _months(start, end)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in HARDWARE_COLUMNS}).astype(
            {"product": TEXT_DTYPE, "region": TEXT_DTYPE, "ds": "datetime64[ns]"})

    in_history = in_window(frame["date"], as_of, settings.history_months)
    trailing = frame.loc[in_history].groupby(["product", "region"])["units"].sum() / settings.history_months
    last_year = frame.loc[in_window(frame["date"], as_of, 12)].groupby("product")["units"].sum()
    year_before_end = window_start(as_of, 12)
    year_before = frame.loc[in_window(frame["date"], year_before_end, 12)].groupby("product")["units"].sum()
    growth = (last_year / year_before.where(year_before > 0) - 1).reindex(trailing.index.get_level_values(0).unique())
    growth = growth.fillna(0.0)

    history_start = window_start(as_of, settings.history_months)
    middle = history_start + pd.Timedelta(days=1) + (as_of - history_start) / 2  # days as [day, day + 1)
    rows = []
    for ds in months:
        month_end = ds + pd.offsets.MonthEnd(0)
        fraction = ((min(month_end, end) - max(ds, start)).days + 1) / ds.days_in_month
        ahead = ((ds + (month_end - ds + pd.Timedelta(days=1)) / 2) - middle).total_seconds() / 86400 / 365.25
        for (name, area), monthly in trailing.items():
            g = float(growth.get(name, 0.0))
            rows.append((name, area, ds, monthly * (1 + g) ** ahead * fraction, monthly, g))
    out = pd.DataFrame(rows, columns=list(HARDWARE_COLUMNS))
    out = out.sort_values(["product", "region", "ds"], kind="stable").reset_index(drop=True)
    out["product"] = out["product"].astype(TEXT_DTYPE)
    out["region"] = out["region"].astype(TEXT_DTYPE)
    out["ds"] = out["ds"].astype("datetime64[ns]")
    return out
