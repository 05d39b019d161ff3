"""What closes the gap between the forecast and the target on the pipeline side: the coverage the company needs at
its own measured close rates, and the opportunities (and leads) still to create, month by month, for the bookings
the forecast lacks (*Coverage needed* and *Pipeline to create* in the notes of ``salesops.demand.plan``).

Definitions:

* **Pipeline coverage** (as step 1 measures it): (won to date + open pipeline expected to close in the quarter) ÷
  target.
* **Pipeline yield**: the share of that open pipeline's value the pipeline method expects to be won in the quarter,
  at the stage close rates and slippage measured in the history (``pipeline_forecast``'s expected_pipeline ÷
  open_value).
* **Coverage needed**: the coverage at which the pipeline method reaches the target: (won to date + (target − won
  to date − expected new deals) ÷ pipeline yield) ÷ target. Measured, not the rule of thumb "3×".
* **Creation yield** of month k of a quarter: over the last complete quarters, the bookings won in the same quarter
  from the opportunities created in its k-th month, per opportunity created (by count, company currency): win rate,
  deal size and the sales cycle together.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from salesops import deals
from salesops.checks import as_timestamp
from salesops.demand.plan.common import check_frame, check_opportunities_frame
from salesops.fiscal_calendar import quarter_freq

YIELD_COLUMNS: tuple[str, ...] = ("month_of_quarter", "quarters", "created", "won_in_quarter", "bookings_in_quarter",
                                  "yield_per_opportunity", "mean_created_amount")
CREATE_COLUMNS: tuple[str, ...] = ("ds", "opportunities", "usual_opportunities", "pipeline_value", "leads",
                                   "expected_bookings")


def opportunities(count: int) -> str:
    """``1`` → ``"1 new opportunity"``, ``304`` → ``"304 new opportunities"``."""
    return f"{count:,} new opportunit{'y' if count == 1 else 'ies'}"


def creation_yield(opportunities: pd.DataFrame, as_of, quarters: int = 4, fiscal_year_start_month: int = 1
                   ) -> pd.DataFrame:
    """Bookings won within the quarter per opportunity created in each month of it, measured over the last
    ``quarters`` complete fiscal quarters on or before ``as_of`` that the data covers from their first day.

    One row per month of the quarter (1, 2, 3): ``quarters`` (how many were measured), ``created`` (opportunities
    created in that month of those quarters), ``won_in_quarter`` (of them, won with a close date in the same
    quarter), ``bookings_in_quarter`` (their amount), ``yield_per_opportunity`` = bookings_in_quarter ÷ created
    (NaN when none was created) and ``mean_created_amount`` (the mean entered amount of the created opportunities
    that carry one: the pipeline value an opportunity adds when it is created; NaN when none does)."""
    check_opportunities_frame(opportunities)
    check_frame(opportunities, "opportunities", ("created_date", "close_date", "amount", "is_won"))
    as_of = as_timestamp(as_of, "as_of")
    if isinstance(quarters, bool) or not isinstance(quarters, int) or quarters < 1:
        raise ValueError(f"quarters must be a whole number of quarters of at least 1, e.g. 4; got {quarters!r}")
    first_day = deals.history_start(opportunities)
    last = deals.last_complete_quarter(as_of, fiscal_year_start_month)
    periods = [last - back for back in range(quarters)]
    periods = [p for p in periods if pd.notna(first_day) and p.start_time.normalize() >= first_day.normalize()]
    created = pd.to_datetime(opportunities["created_date"])
    close = pd.to_datetime(opportunities["close_date"])
    amount = opportunities["amount"].astype("float64")
    won = deals.won_mask(opportunities)
    freq = quarter_freq(fiscal_year_start_month)
    created_quarter = created.dt.to_period(freq)
    in_measured = created_quarter.isin(periods).to_numpy(dtype=bool, na_value=False)
    quarter_start = created_quarter.dt.start_time.dt.to_period("M")
    month_of_quarter = (created.dt.to_period("M") - quarter_start).map(
        lambda offset: offset.n + 1 if pd.notna(offset) else np.nan)
    won_inside = won & (close.dt.to_period(freq) == created_quarter).to_numpy(dtype=bool, na_value=False)
    rows = []
    for month in (1, 2, 3):
        mask = in_measured & (month_of_quarter == month).to_numpy(dtype=bool, na_value=False)
        count = int(mask.sum())
        bookings = float(amount[mask & won_inside].sum())
        amounts = amount[mask].dropna()
        rows.append((month, len(periods), count, int((mask & won_inside).sum()), bookings,
                     bookings / count if count else math.nan, float(amounts.mean()) if len(amounts) else math.nan))
    return pd.DataFrame(rows, columns=list(YIELD_COLUMNS))


def coverage_needed(pipeline_total: pd.Series | dict, target: float) -> dict[str, float]:
    """The coverage the target needs at the measured close rates, from the pipeline forecast's total row
    (``pipeline_forecast``: open_value, expected_pipeline, expected_new_deals, won_to_date).

    Returns ``coverage`` ((won + open) ÷ target), ``pipeline_yield`` (expected_pipeline ÷ open_value; NaN without
    open pipeline), ``coverage_needed`` (see the module notes; NaN without a yield; the won-to-date share alone
    when won deals and new deals already reach the target) and ``pipeline_short`` (open pipeline closing in the
    quarter still missing at that yield, company currency; 0 when coverage is enough)."""
    if not (isinstance(target, (int, float)) and math.isfinite(target) and target > 0):
        raise ValueError(f"target must be a bookings amount greater than 0 (company currency); got {target!r}")
    row = {key: float(pipeline_total[key]) for key in ("open_value", "expected_pipeline", "expected_new_deals",
                                                        "won_to_date")}
    coverage = (row["won_to_date"] + row["open_value"]) / target
    pipeline_yield = row["expected_pipeline"] / row["open_value"] if row["open_value"] > 0 else math.nan
    still = max(target - row["won_to_date"] - row["expected_new_deals"], 0.0)
    needed = (row["won_to_date"] + still / pipeline_yield) / target if pipeline_yield > 0 else math.nan
    short = max(needed - coverage, 0.0) * target if not math.isnan(needed) else math.nan
    return {"coverage": coverage, "pipeline_yield": pipeline_yield, "coverage_needed": needed, "pipeline_short": short}


def pipeline_to_create(yields: pd.DataFrame, bookings_to_add: float, quarter_start, lead_conversion: float | None
                       ) -> pd.DataFrame:
    """The new opportunities to create in each month of the quarter so that, at the measured creation yields,
    they add ``bookings_to_add`` within the quarter: the same number each month, n = bookings_to_add ÷ Σ yields
    (an opportunity created late in the quarter rarely closes in it, so most of the bookings come from the first
    months; creating them evenly is what a team can sustain).

    ``yields``: :func:`creation_yield`. ``lead_conversion``: the measured lead-to-opportunity conversion (a
    fraction), or None when the leads do not measure it. Columns ``ds`` (month start), ``opportunities`` (whole,
    rounded up; on top of the usual), ``usual_opportunities`` (those created in a month of the measured quarters,
    on average: how much more the plan asks), ``pipeline_value`` (opportunities × mean created amount), ``leads`` (opportunities ÷ conversion,
    whole, rounded up; missing without a conversion) and ``expected_bookings`` (won in the quarter). Empty when
    nothing is to be added or the history measures no yield."""
    start = as_timestamp(quarter_start, "quarter_start")
    per_month = yields["yield_per_opportunity"].astype("float64").fillna(0.0).to_numpy()
    if not bookings_to_add > 0 or per_month.sum() <= 0:
        return pd.DataFrame({column: [] for column in CREATE_COLUMNS}).astype(
            {"ds": "datetime64[ns]", "opportunities": "int64", "usual_opportunities": "float64", "leads": "Int64"})
    count = math.ceil(bookings_to_add / per_month.sum())
    mean_amount = yields["mean_created_amount"].astype("float64").mean()
    leads = (pd.array([math.ceil(count / lead_conversion)] * 3, dtype="Int64")
             if lead_conversion and lead_conversion > 0 else pd.array([pd.NA] * 3, dtype="Int64"))
    return pd.DataFrame({
        "ds": pd.date_range(start, periods=3, freq="MS"),
        "opportunities": np.full(3, count, dtype="int64"),
        "usual_opportunities": np.full(3, yields["created"].sum() / (3 * yields["quarters"].iloc[0])),
        "pipeline_value": np.full(3, count * mean_amount),
        "leads": leads,
        "expected_bookings": count * per_month,
    })


NEED_COLUMNS: tuple[str, ...] = ("target", "forecast", "gap", "coverage", "pipeline_yield", "coverage_needed",
                                 "pipeline_short", "bookings_to_add", "lead_conversion", "basis")


def pipeline_need(pipeline_total: pd.Series | dict, target: float, forecast: float,
                  lead_conversion: float | None = None) -> pd.DataFrame:
    """One row: the forecast's gap to the target and what the pipeline must add.

    ``pipeline_total``: the pipeline forecast's total row; ``forecast``: the blended base forecast of the quarter.
    ``gap`` = target − forecast (negative: above target). The :func:`coverage_needed` figures, then
    ``bookings_to_add``: what new pipeline must add in the quarter — 0 when the coverage is at least the coverage
    needed (then the pipeline is not what stands between the forecast and the target); else the gap, or, when the
    blend reaches the target but the pipeline alone does not, the pipeline forecast's own gap (target − its base).
    ``basis`` says which, in words. ``lead_conversion``: the measured lead-to-opportunity conversion, kept for the
    page (NaN when not measured)."""
    need = coverage_needed(pipeline_total, target)
    gap = target - forecast
    short = need["coverage"] < need["coverage_needed"]
    if not short:
        to_add, basis = 0.0, "the open pipeline covers the target at the measured close rates"
    elif gap > 0:
        to_add, basis = gap, "the blended forecast's gap to the target"
    else:
        to_add = max(target - float(pipeline_total["base"]), 0.0)
        basis = "the pipeline forecast's gap to the target (the blend reaches it, the open pipeline alone does not)"
    return pd.DataFrame([{
        "target": float(target), "forecast": float(forecast), "gap": gap, **need, "bookings_to_add": to_add,
        "lead_conversion": math.nan if lead_conversion is None else float(lead_conversion), "basis": basis,
    }])[list(NEED_COLUMNS)].astype({"basis": "string"})
